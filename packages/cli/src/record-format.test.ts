import { stripVTControlCharacters } from 'node:util';
import { TimestampType } from '@runnel/codec';
import type { ConsumerRecord } from '@runnel/consumer';
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { RecordFormatError, UsageError } from './errors.js';
import { parseRecordFormat, recordFormatter } from './record-format.js';
import { compileTemplate } from './template.js';
import { errorOf } from './test-support/error-of.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const plain = pc.createColors(false);
const colored = pc.createColors(true);

function record(overrides: Partial<ConsumerRecord> = {}): ConsumerRecord {
  return {
    topic: 'orders',
    partition: 2,
    offset: 41,
    leaderEpoch: 0,
    timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
    timestampType: TimestampType.createTime,
    key: bytes('user-7'),
    value: bytes('{"amount": 12}'),
    headers: [
      { key: 'trace', value: bytes('abc') },
      { key: 'empty', value: null },
    ],
    ...overrides,
  };
}

describe('compileTemplate', () => {
  it('splits a kcat template into literals and fields, reading escapes and %%', () => {
    expect(compileTemplate('%t [%p] @%o: %k %s\\n')).toEqual([
      { field: 't' },
      ' [',
      { field: 'p' },
      '] @',
      { field: 'o' },
      ': ',
      { field: 'k' },
      ' ',
      { field: 's' },
      '\n',
    ]);
    expect(compileTemplate('100%% \\t\\\\')).toEqual(['100% \t\\']);
  });

  it.each([
    ['%x', 'unknown field %x'],
    ['abc %', 'lone %'],
    ['\\q', 'unknown escape \\q'],
  ])('refuses %j with a UsageError naming --format', (template, words) => {
    const error = errorOf(() => compileTemplate(template), UsageError);
    expect(error.option).toBe('--format');
    expect(error.message).toContain(words);
  });
});

describe('recordFormatter', () => {
  it('prints one JSON object per line, embedding a json value as JSON', () => {
    const format = recordFormatter(parseRecordFormat({ json: true, valueFormat: 'json' }), plain);
    const line = format(record());
    expect(line.endsWith('}\n')).toBe(true);
    expect(JSON.parse(line)).toEqual({
      topic: 'orders',
      partition: 2,
      offset: 41,
      timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
      timestampType: 'CreateTime',
      key: 'user-7',
      value: { amount: 12 },
      headers: [
        { key: 'trace', value: 'abc' },
        { key: 'empty', value: null },
      ],
    });
    expect(JSON.parse(format(record({ key: null, value: null })))).toMatchObject({ key: null, value: null });
  });

  it('fills a template with every field, lengths -1 for null', () => {
    const format = recordFormatter(parseRecordFormat({ format: '%t|%p|%o|%k|%K|%s|%S|%T|%h\\n' }), plain);
    expect(format(record())).toBe(
      `orders|2|41|user-7|6|{"amount": 12}|14|${Date.UTC(2026, 0, 2, 3, 4, 5, 6)}|trace=abc,empty=\n`,
    );
    expect(format(record({ key: null, value: null, headers: [] }))).toBe(
      `orders|2|41||-1||-1|${Date.UTC(2026, 0, 2, 3, 4, 5, 6)}|\n`,
    );
  });

  it('shows keys and values as hex, base64 or compact JSON', () => {
    const format = recordFormatter(
      parseRecordFormat({ format: '%k %s', keyFormat: 'hex', valueFormat: 'base64' }),
      plain,
    );
    expect(format(record({ key: new Uint8Array([0, 255, 16]), value: bytes('hi') }))).toBe('00ff10 aGk=');
    const json = recordFormatter(parseRecordFormat({ format: '%s', valueFormat: 'json' }), plain);
    expect(json(record())).toBe('{"amount":12}');
  });

  it('reads only the view of a value, not the buffer around it', () => {
    const buffer = bytes('xxhiyy');
    const format = recordFormatter(parseRecordFormat({ format: '%s', valueFormat: 'hex' }), plain);
    expect(format(record({ value: buffer.subarray(2, 4) }))).toBe('6869');
  });

  it('fails with a RecordFormatError naming the record when a value is not JSON', () => {
    const format = recordFormatter(parseRecordFormat({ json: true, valueFormat: 'json' }), plain);
    expect(() => format(record({ value: bytes('not json') }))).toThrow(RecordFormatError);
    expect(() => format(record({ value: bytes('not json') }))).toThrow(
      /the value of orders-2@41 is not JSON/,
    );
  });

  it('prints a readable line: position, time, key and value, headers last; colored only when asked', () => {
    const format = recordFormatter(parseRecordFormat({}), plain);
    expect(format(record())).toBe(
      'orders [2] @41 2026-01-02T03:04:05.006Z user-7: {"amount": 12} [trace=abc,empty=]\n',
    );
    expect(format(record({ key: null, headers: [], timestamp: -1 }))).toBe(
      'orders [2] @41 - {"amount": 12}\n',
    );
    const line = recordFormatter(parseRecordFormat({}), colored)(record());
    expect(line).toContain('\x1b[36muser-7\x1b[39m');
    expect(stripVTControlCharacters(line)).toBe(format(record()));
  });

  it('keeps a readable line on one line and shows no byte a terminal would act on', () => {
    const format = recordFormatter(parseRecordFormat({}), plain);
    const sneaky = record({ key: bytes('a\nb'), value: bytes('x\x1b]0;owned\x07\ty\r\u009b'), headers: [] });
    expect(format(sneaky)).toBe(
      'orders [2] @41 2026-01-02T03:04:05.006Z a\\nb: x\\x1b]0;owned\\x07\\ty\\r\\x9b\n',
    );
    // A template prints the bytes as they are, as kcat does.
    const raw = recordFormatter(parseRecordFormat({ format: '%s' }), plain);
    expect(raw(sneaky)).toBe('x\x1b]0;owned\x07\ty\r\u009b');
  });

  it('refuses --json with --format, and unknown data formats', () => {
    expect(() => parseRecordFormat({ json: true, format: '%s' })).toThrow(UsageError);
    expect(() => parseRecordFormat({ valueFormat: 'avro' })).toThrow(
      /--value-format: expected one of string, json, hex, base64/,
    );
  });
});
