import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { lookupsFor, parseCount, parsePartitions, parsePosition, resolvePosition } from './positions.js';
import { errorOf } from './test-support/error-of.js';

const usageError = (run: () => unknown) => errorOf(run, UsageError);

describe('parsePosition', () => {
  it.each([
    ['earliest', { kind: 'earliest' }],
    ['beginning', { kind: 'earliest' }],
    ['latest', { kind: 'latest' }],
    ['end', { kind: 'latest' }],
    ['42', { kind: 'offset', offset: 42 }],
    ['0', { kind: 'offset', offset: 0 }],
    ['-10', { kind: 'fromEnd', count: 10 }],
    ['@1764579600000', { kind: 'timestamp', timestamp: 1_764_579_600_000 }],
    ['2025-12-01T09:00:00Z', { kind: 'timestamp', timestamp: Date.UTC(2025, 11, 1, 9) }],
    ['2025-12-01T10:00:00+01:00', { kind: 'timestamp', timestamp: Date.UTC(2025, 11, 1, 9) }],
    ['2025-12-01T09:00:00.250Z', { kind: 'timestamp', timestamp: Date.UTC(2025, 11, 1, 9, 0, 0, 250) }],
  ])('reads %j', (text, expected) => {
    expect(parsePosition(text, '--from', true)).toEqual(expected);
  });

  it.each(['yesterday', '1.5', '', '--1', '2025-13-45T99:00:00Z', '@-5', '99999999999999999999'])(
    'refuses %j with a UsageError naming the option',
    (text) => {
      const error = usageError(() => parsePosition(text, '--from', true));
      expect(error.option).toBe('--from');
      expect(error.message.startsWith('--from: ')).toBe(true);
    },
  );

  it('refuses -N where only absolute positions are taken', () => {
    expect(usageError(() => parsePosition('-3', '--to', false)).message).toBe(
      '--to: -N is not taken here, got "-3"',
    );
  });
});

describe('resolvePosition', () => {
  const bounds = { earliest: 100, latest: 200 };

  it('moves an offset outside the log to its nearest end', () => {
    expect(resolvePosition({ kind: 'offset', offset: 5 }, bounds)).toBe(100);
    expect(resolvePosition({ kind: 'offset', offset: 150 }, bounds)).toBe(150);
    expect(resolvePosition({ kind: 'offset', offset: 500 }, bounds)).toBe(200);
  });

  it('counts -N back from the end, but not before the log start', () => {
    expect(resolvePosition({ kind: 'fromEnd', count: 10 }, bounds)).toBe(190);
    expect(resolvePosition({ kind: 'fromEnd', count: 1000 }, bounds)).toBe(100);
  });

  it('takes the offset found for a time, or the end when no record is that recent', () => {
    expect(resolvePosition({ kind: 'timestamp', timestamp: 1 }, { ...bounds, atTimestamp: 150 })).toBe(150);
    expect(resolvePosition({ kind: 'timestamp', timestamp: 1 }, { ...bounds, atTimestamp: null })).toBe(200);
  });

  it('asks for the log start only when the position needs it', () => {
    expect(lookupsFor({ kind: 'latest' })).toEqual({ earliest: false, timestamp: null });
    expect(lookupsFor({ kind: 'timestamp', timestamp: 7 })).toEqual({ earliest: false, timestamp: 7 });
    expect(lookupsFor({ kind: 'offset', offset: 3 })).toEqual({ earliest: true, timestamp: null });
    expect(lookupsFor({ kind: 'fromEnd', count: 3 })).toEqual({ earliest: true, timestamp: null });
  });
});

describe('parsePartitions and parseCount', () => {
  it('reads a partition list, sorted and without repeats', () => {
    expect(parsePartitions('3, 1,3,0', '-p')).toEqual([0, 1, 3]);
  });

  it.each(['', 'a', '1,,2', '-1'])('refuses the partition list %j', (text) => {
    expect(usageError(() => parsePartitions(text, '--partition')).option).toBe('--partition');
  });

  it('takes positive integers only as counts', () => {
    expect(parseCount('25', '--count')).toBe(25);
    for (const bad of ['0', '-2', '1e3', 'ten', '']) {
      expect(usageError(() => parseCount(bad, '--count')).option).toBe('--count');
    }
  });
});
