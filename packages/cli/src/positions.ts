/**
 * Where to start reading (`consume --from`) or where to move a group (`offsets reset --to`): the log
 * start or end, an offset, a point in time, or N records before the end.
 */
import { UsageError } from './errors.js';

/** A position in each partition, before it is looked up. */
export type PositionSpec =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  | { readonly kind: 'offset'; readonly offset: number }
  /** The first record at or after this time (milliseconds since the epoch). */
  | { readonly kind: 'timestamp'; readonly timestamp: number }
  /** `count` records before the end of each partition (kcat's `-o -N`). */
  | { readonly kind: 'fromEnd'; readonly count: number };

/** What a partition's position is computed from; each entry is looked up only when the spec needs it. */
export interface PartitionBounds {
  /** The log start offset. */
  readonly earliest: number;
  /** The log end (the last stable offset under read_committed). */
  readonly latest: number;
  /** The offset of the first record at or after the spec's timestamp; null when no record is that recent. */
  readonly atTimestamp?: number | null;
}

/** The words `--from` and `--to` take, for help texts. */
export const POSITION_HELP =
  'earliest, latest, an offset, a time (ISO 8601, e.g. 2026-12-01T09:00:00Z, or @<epoch-ms>)';

/**
 * Reads a position as the command line gives it.
 * @param allowFromEnd whether `-N` (N records before the end) is taken.
 * @returns the position.
 * @throws UsageError naming `option` when the text is none of the forms.
 */
export function parsePosition(text: string, option: string, allowFromEnd: boolean): PositionSpec {
  const value = text.trim();
  if (value === 'earliest' || value === 'beginning') return { kind: 'earliest' };
  if (value === 'latest' || value === 'end') return { kind: 'latest' };
  if (/^\d+$/.test(value)) return { kind: 'offset', offset: safeInteger(value, option) };
  if (/^-\d+$/.test(value)) {
    if (!allowFromEnd) throw new UsageError(`-N is not taken here, got ${JSON.stringify(text)}`, option);
    return { kind: 'fromEnd', count: safeInteger(value.slice(1), option) };
  }
  if (/^@\d+$/.test(value)) return { kind: 'timestamp', timestamp: safeInteger(value.slice(1), option) };
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$/.test(value)) {
    const timestamp = Date.parse(value);
    if (Number.isFinite(timestamp)) return { kind: 'timestamp', timestamp };
  }
  const forms = allowFromEnd ? `${POSITION_HELP} or -N` : POSITION_HELP;
  throw new UsageError(`expected ${forms}; got ${JSON.stringify(text)}`, option);
}

function safeInteger(digits: string, option: string): number {
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${digits} is too large`, option);
  return n;
}

/** @returns which lookups `spec` needs: the log start, the log end, a timestamp. */
export function lookupsFor(spec: PositionSpec): { earliest: boolean; timestamp: number | null } {
  return {
    earliest: spec.kind !== 'latest' && spec.kind !== 'timestamp',
    timestamp: spec.kind === 'timestamp' ? spec.timestamp : null,
  };
}

/**
 * Resolves a position in one partition. An offset outside the log is moved to its nearest end, and a
 * time after the last record to the log end, as Kafka's consumer-groups tool does.
 * @returns the offset.
 */
export function resolvePosition(spec: PositionSpec, bounds: PartitionBounds): number {
  switch (spec.kind) {
    case 'earliest':
      return bounds.earliest;
    case 'latest':
      return bounds.latest;
    case 'offset':
      return Math.min(Math.max(spec.offset, bounds.earliest), bounds.latest);
    case 'timestamp':
      return bounds.atTimestamp ?? bounds.latest;
    case 'fromEnd':
      return Math.max(bounds.earliest, bounds.latest - spec.count);
  }
}

/**
 * Reads a partition list: `0`, `0,2,5`.
 * @returns the partition numbers, sorted, each once.
 * @throws UsageError naming `option` on anything else.
 */
export function parsePartitions(text: string, option: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d{1,9}$/.test(p))) {
    throw new UsageError(
      `expected a partition number or a comma-separated list, got ${JSON.stringify(text)}`,
      option,
    );
  }
  return [...new Set(parts.map(Number))].sort((a, b) => a - b);
}

/**
 * Reads a positive count (`-n`, `--timeout`).
 * @returns the number.
 * @throws UsageError naming `option` when it is not a positive integer.
 */
export function parseCount(text: string, option: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`expected a positive integer, got ${JSON.stringify(text)}`, option);
  }
  return Number(text);
}
