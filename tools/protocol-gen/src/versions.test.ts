import { describe, expect, it } from 'vitest';
import { GeneratorError } from './errors.js';
import { formatVersions, parseVersions, versionCondition } from './versions.js';

describe('version ranges', () => {
  it('parse every form the definitions use', () => {
    expect(parseVersions('none', 'x')).toEqual({ min: 0, max: -1 });
    expect(parseVersions('3', 'x')).toEqual({ min: 3, max: 3 });
    expect(parseVersions('0-4', 'x')).toEqual({ min: 0, max: 4 });
    expect(parseVersions('5+', 'x')).toEqual({ min: 5, max: Number.POSITIVE_INFINITY });
  });

  it('reject anything else, naming where it was found', () => {
    expect(() => parseVersions('4-2', 'Foo.versions')).toThrowError(
      /Foo.versions: version range "4-2" is backwards/,
    );
    expect(() => parseVersions('1,2', 'Foo.versions')).toThrowError(GeneratorError);
    expect(() => parseVersions('', 'Foo.versions')).toThrowError(GeneratorError);
  });

  it('format back to the definitions notation', () => {
    for (const text of ['none', '3', '0-4', '5+'])
      expect(formatVersions(parseVersions(text, 'x'))).toBe(text);
  });

  it('render conditions without the bounds the surrounding code already guarantees', () => {
    const domain = { min: 0, max: 9 };
    expect(versionCondition(parseVersions('0+', 'x'), domain)).toBe('true');
    expect(versionCondition(parseVersions('3+', 'x'), domain)).toBe('version >= 3');
    expect(versionCondition(parseVersions('0-4', 'x'), domain)).toBe('version <= 4');
    expect(versionCondition(parseVersions('2-4', 'x'), domain)).toBe('version >= 2 && version <= 4');
    expect(versionCondition(parseVersions('10+', 'x'), domain)).toBe('false');
  });
});
