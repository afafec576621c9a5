import { describe, expect, it } from 'vitest';
import { type CpuProfile, formatSelfTimes, selfTimes } from './cpuprofile.js';

const frame = (functionName: string, url = '', lineNumber = -1) => ({ functionName, url, lineNumber });

const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)') },
    { id: 2, callFrame: frame('decode', 'file:///repo/packages/codec/dist/record.js', 9) },
    { id: 3, callFrame: frame('decode', 'file:///repo/packages/codec/dist/record.js', 9) },
    { id: 4, callFrame: frame('', 'file:///repo/x.js', 0) },
    { id: 5, callFrame: frame('(idle)') },
    { id: 6, callFrame: frame('(garbage collector)') },
  ],
  startTime: 0,
  endTime: 1000,
  samples: [2, 3, 4, 5, 6, 2],
  timeDeltas: [0, 100, 200, 300, 5000, 400],
};

describe('selfTimes', () => {
  it('charges each tick with the time to the next one and merges frames of the same function', () => {
    const times = selfTimes(PROFILE, 'file:///repo/');
    expect(times.map((t) => [t.functionName, t.location, t.selfMs])).toEqual([
      ['(garbage collector)', '', 0.4],
      ['decode', 'packages/codec/dist/record.js:10', 0.3],
      ['(anonymous)', 'x.js:1', 0.3],
    ]);
  });

  it('leaves idle time out of the shares', () => {
    const shares = selfTimes(PROFILE).map((t) => t.share);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(shares[0]).toBe(0.4);
  });

  it('falls back to hit counts over the profile span without tick times', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('a', 'a.js', 0), hitCount: 3 },
        { id: 2, callFrame: frame('b', 'b.js', 0), hitCount: 1 },
      ],
      startTime: 0,
      endTime: 4000,
    };
    expect(selfTimes(profile).map((t) => [t.functionName, t.selfMs])).toEqual([
      ['a', 3],
      ['b', 1],
    ]);
  });

  it('rejects a value that is not a profile', () => {
    expect(() => selfTimes({} as CpuProfile)).toThrow(TypeError);
  });
});

describe('formatSelfTimes', () => {
  it('prints the top entries with self time, share and location', () => {
    const text = formatSelfTimes(selfTimes(PROFILE, 'file:///repo/'), 2);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe('      0.4   40.0%  (garbage collector)');
    expect(lines[2]).toBe('      0.3   30.0%  decode  (packages/codec/dist/record.js:10)');
  });
});
