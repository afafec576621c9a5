/** A results file for report tests: one quick run's settings, no scenarios; tests lay theirs over it. */
import type { BenchResults } from '../../e2e/results.js';
import { FETCH_SETTINGS } from '../../e2e/spec.js';

/** @returns the fixture with `over` laid over it (`machine` fields too). */
export function benchResults(
  over: Omit<Partial<BenchResults>, 'machine'> & { machine?: Partial<BenchResults['machine']> } = {},
): BenchResults {
  const { machine, ...rest } = over;
  return {
    schema: 2,
    startedAt: '2026-11-30T17:00:00.000Z',
    finishedAt: '2026-11-30T17:05:00.000Z',
    quick: true,
    repetitions: 3,
    node: { version: '24.22.3', lts: 'Krypton', choice: 'default (latest LTS line)' },
    steadyStateMs: 10_000,
    kafka: { version: '4.4.0', brokers: 1 },
    fetch: FETCH_SETTINGS,
    producer: '',
    measurement: '',
    clients: [],
    scenarios: [],
    runs: [],
    cells: [],
    firstRecord: [],
    micro: [],
    ...rest,
    machine: {
      cpus: 2,
      loadAverageAtStart: [1],
      loadAverageAtEnd: [1],
      harnessNode: 'v20.20.2',
      platform: 'linux-x64',
      ...machine,
    },
  };
}
