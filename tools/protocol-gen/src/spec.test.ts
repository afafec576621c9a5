import { describe, expect, it } from 'vitest';
import { GeneratorError } from './errors.js';
import { parseJsonWithComments } from './json-comments.js';
import { parseMessageSpec } from './spec.js';

const request = (extraTop = '', extraField = ''): string => `// a comment at the top
{
  "apiKey": 99, // trailing comment
  "type": "request",
  "listeners": ["broker"],
  "name": "DemoRequest",
  "validVersions": "0-3",
  "flexibleVersions": "2+",
  ${extraTop}
  "fields": [
    { "name": "Url", "type": "string", "versions": "0+", "default": "http://example//x",
      "about": "a // inside a string stays" ${extraField} },
    { "name": "Ids", "type": "[]int64", "versions": "1+", "nullableVersions": "2+", "ignorable": true,
      "entityType": "producerId", "about": "x" },
    { "name": "Items", "type": "[]Item", "versions": "0+", "about": "x", "fields": [
      { "name": "Key", "type": "string", "versions": "0+", "mapKey": true, "about": "x" },
      { "name": "Blob", "type": "bytes", "versions": "0+", "zeroCopy": true, "about": "x" }
    ]},
    { "name": "Hint", "type": "int32", "versions": "2+", "taggedVersions": "2+", "tag": 0, "default": "0x7fffffff",
      "about": "x" }
  ]
}`;

describe('the definition parser', () => {
  it('strips // comments but not // inside strings', () => {
    expect(parseJsonWithComments('{"a": "x//y"} // c\n', 'f')).toEqual({ a: 'x//y' });
  });

  it('models every key of a message and its fields', () => {
    const spec = parseMessageSpec(request(), 'DemoRequest.json');
    expect(spec).toMatchObject({
      name: 'DemoRequest',
      type: 'request',
      apiKey: 99,
      validVersions: { min: 0, max: 3 },
      flexibleVersions: { min: 2 },
      listeners: ['broker'],
      latestVersionUnstable: false,
    });
    const [url, ids, items, hint] = spec.fields;
    expect(url).toMatchObject({ name: 'Url', default: 'http://example//x', typeText: 'string' });
    expect(ids).toMatchObject({
      type: { kind: 'array', element: { kind: 'primitive', name: 'int64' } },
      nullableVersions: { min: 2 },
      ignorable: true,
      entityType: 'producerId',
    });
    expect(items?.struct?.fields.map((f) => [f.name, f.mapKey, f.zeroCopy])).toEqual([
      ['Key', true, false],
      ['Blob', false, true],
    ]);
    expect(hint).toMatchObject({ tag: 0, taggedVersions: { min: 2 }, default: '0x7fffffff' });
  });

  it('stops on an unknown top-level key, naming the file and the key', () => {
    expect(() => parseMessageSpec(request('"newKey": 1,'), 'DemoRequest.json')).toThrowError(
      /DemoRequest.json: unknown key "newKey"/,
    );
  });

  it('stops on an unknown field key, naming the path to the field', () => {
    expect(() => parseMessageSpec(request('', ', "sensitive": true'), 'DemoRequest.json')).toThrowError(
      /DemoRequest.json \(DemoRequest\)\.fields\[0\] \(Url\): unknown key "sensitive"/,
    );
  });

  it('stops on values of the wrong shape', () => {
    const bad =
      (from: string, to: string): (() => unknown) =>
      () =>
        parseMessageSpec(request().replace(from, to), 'DemoRequest.json');
    expect(bad('"type": "request"', '"type": "query"')).toThrowError(/unknown message type "query"/);
    expect(bad('"[]int64"', '"[]int128"')).toThrowError(/unknown type "\[\]int128"/);
    expect(bad('"tag": 0', '"tag": -1')).toThrowError(/"tag" must be a non-negative integer/);
    expect(bad('"ignorable": true', '"ignorable": "yes"')).toThrowError(/"ignorable" must be true or false/);
    expect(bad('"listeners": ["broker"]', '"listeners": ["router"]')).toThrowError(
      /unknown listener "router"/,
    );
    expect(
      bad('"versions": "0+", "mapKey"', '"versions": "0+", "nullableVersions": "0+", "mapKey"'),
    ).not.toThrow();
    expect(
      bad('"type": "bytes", "versions": "0+", "zeroCopy"', '"type": "int32", "versions": "0+", "zeroCopy"'),
    ).toThrowError(/zeroCopy applies only to bytes/);
    expect(
      bad(
        '"Hint", "type": "int32", "versions": "2+", "taggedVersions": "2+", "tag": 0',
        '"Hint", "type": "int32", "versions": "2+", "tag": 0',
      ),
    ).toThrowError(/"tag" and "taggedVersions" come together/);
  });

  it('raises GeneratorError for text that is not JSON', () => {
    expect(() => parseMessageSpec('{ "name": ', 'Broken.json')).toThrowError(GeneratorError);
  });
});
