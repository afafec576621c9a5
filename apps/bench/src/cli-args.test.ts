import { describe, expect, it } from 'vitest';
import { parseBenchArgs, UsageError } from './cli-args.js';

describe('parseBenchArgs', () => {
  it('defaults to the full suite with 5 runs per cell', () => {
    expect(parseBenchArgs([])).toEqual({
      quick: false,
      repetitions: 5,
      micro: true,
      e2e: true,
      updateReadme: true,
      steadyStateMs: 10_000,
      maxReadMs: 60_000,
    });
  });

  it('runs 3 per cell in quick mode unless told otherwise', () => {
    expect(parseBenchArgs(['--quick']).repetitions).toBe(3);
    expect(parseBenchArgs(['--quick', '--reps', '1']).repetitions).toBe(1);
  });

  it('reads lists, counts and switches', () => {
    const args = parseBenchArgs([
      '--clients',
      'runnel, kafkajs',
      '--scenarios',
      '100B-none-p1',
      '--records',
      '20000',
      '--no-micro',
      '--no-readme',
      '--out',
      '/tmp/x',
      '--kafka-version',
      '3.9',
      '--node',
      '26',
      '--steady-seconds',
      '3',
      '--max-read-seconds',
      '0',
    ]);
    expect(args).toMatchObject({
      clients: ['runnel', 'kafkajs'],
      scenarios: ['100B-none-p1'],
      records: 20_000,
      micro: false,
      updateReadme: false,
      out: '/tmp/x',
      kafkaVersion: '3.9',
      node: '26',
      steadyStateMs: 3000,
      maxReadMs: 0,
    });
  });

  it('rejects unknown flags, missing values and bad counts', () => {
    expect(() => parseBenchArgs(['--fast'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--reps'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--reps', '0'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--records', '1e3x'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--clients', ','])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--steady-seconds', '0'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--node'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--max-read-seconds', '-1'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--max-read-seconds', '1.5'])).toThrow(UsageError);
  });
});
