import { GeneratorError } from './errors.js';

/**
 * A contiguous range of message versions as Kafka's definitions write them: `none`, `3`, `0-4` or
 * `5+`. An open range has `max` = `Infinity`; the empty range has `min` > `max`.
 */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export const NO_VERSIONS: VersionRange = { min: 0, max: -1 };
export const ALL_VERSIONS: VersionRange = { min: 0, max: Number.POSITIVE_INFINITY };

const RANGE = /^(\d+)(?:(\+)|-(\d+))?$/;

/**
 * Parses a version range string from a message definition.
 *
 * @returns the range; `none` gives the empty range.
 * @throws GeneratorError when the text is not `none`, `N`, `N-M` (with N <= M) or `N+`.
 */
export function parseVersions(text: string, where: string): VersionRange {
  if (text === 'none') return NO_VERSIONS;
  const m = RANGE.exec(text);
  if (m === null) throw new GeneratorError(`${where}: invalid version range ${JSON.stringify(text)}`);
  const min = Number(m[1]);
  if (m[2] === '+') return { min, max: Number.POSITIVE_INFINITY };
  const max = m[3] === undefined ? min : Number(m[3]);
  if (max < min) throw new GeneratorError(`${where}: version range ${JSON.stringify(text)} is backwards`);
  return { min, max };
}

/** @returns whether the range holds no version. */
export function isEmpty(r: VersionRange): boolean {
  return r.min > r.max;
}

/** @returns the versions both ranges hold (possibly empty). */
export function intersect(a: VersionRange, b: VersionRange): VersionRange {
  const min = Math.max(a.min, b.min);
  const max = Math.min(a.max, b.max);
  return min > max ? NO_VERSIONS : { min, max };
}

/** @returns whether `outer` holds every version of `inner`. */
export function containsRange(outer: VersionRange, inner: VersionRange): boolean {
  return isEmpty(inner) || (outer.min <= inner.min && outer.max >= inner.max);
}

/** @returns whether the range holds `version`. */
export function containsVersion(r: VersionRange, version: number): boolean {
  return version >= r.min && version <= r.max;
}

/** @returns the smallest range holding both (the hull; the ranges need not touch). */
export function hull(a: VersionRange, b: VersionRange): VersionRange {
  if (isEmpty(a)) return b;
  if (isEmpty(b)) return a;
  return { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

/** @returns the range as the definitions write it, e.g. `3+`, `0-4`, `none`. */
export function formatVersions(r: VersionRange): string {
  if (isEmpty(r)) return 'none';
  if (r.max === Number.POSITIVE_INFINITY) return `${r.min}+`;
  return r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`;
}

/**
 * Renders "version is in `r`" as a TypeScript condition, given that `version` is already known to
 * lie in `domain`; bounds that the domain implies are left out.
 *
 * @returns `'true'`, `'false'` or a condition such as `version >= 3 && version <= 7`.
 */
export function versionCondition(r: VersionRange, domain: VersionRange): string {
  const inside = intersect(r, domain);
  if (isEmpty(inside)) return 'false';
  const parts: string[] = [];
  if (inside.min > domain.min) parts.push(`version >= ${inside.min}`);
  if (inside.max < domain.max) parts.push(`version <= ${inside.max}`);
  return parts.length === 0 ? 'true' : parts.join(' && ');
}
