/**
 * Joins the results files of runs that each covered part of the scenario matrix, so that the full
 * matrix (hours on two cores) can be run over several sittings. Every ratio stays one run's: the
 * clients of a scenario ran side by side in one run, and a scenario may come from one file only. The
 * files must agree on what makes their figures comparable: the Node the clients ran on, the broker
 * version, the fetch settings, the steady-state time, quick mode, the number of CPUs,
 * and the harness's own account of how it filled and measured.
 */
import type { BenchResults, ClientEntry } from '../e2e/results.js';
import { scenarioMatrix } from '../e2e/scenarios.js';

/** Results files that cannot be joined (what differs, or a scenario present twice). */
export class ResultsMergeError extends Error {
  override readonly name = 'ResultsMergeError';
}

/** What must be equal in every file joined, by name (as the error reports it). */
const COMPARABLE: ReadonlyArray<readonly [string, (r: BenchResults) => unknown]> = [
  ['Node of the clients', (r) => r.node?.version],
  ['Kafka version', (r) => r.kafka.version],
  ['fetch settings', (r) => JSON.stringify(r.fetch)],
  ['steady-state time', (r) => r.steadyStateMs],
  ['quick mode', (r) => r.quick],
  ['CPUs', (r) => r.machine.cpus],
  ['producer', (r) => r.producer],
  ['measurement', (r) => r.measurement],
];

/**
 * @param parts the results files, each a run of some scenarios.
 * @param options `replace`: a scenario in several parts is taken from the one that started last (a
 *   rerun at a newer build), and `mergedFrom` names what each earlier part lost.
 * @returns one results file holding every part's scenarios in matrix order, with `mergedFrom` naming
 *   the parts; the load averages are the earliest part's at its start and the latest part's at its end.
 * @throws ResultsMergeError when there are no parts, when one is not of schema 2, when they differ in what makes figures comparable,
 *   when a scenario is in two parts (unless `replace`), or when a client's label (its version) differs between parts.
 */
export function mergeResults(
  parts: readonly BenchResults[],
  options: { readonly replace?: boolean } = {},
): BenchResults {
  if (parts.length === 0) throw new ResultsMergeError('no results files to join');
  const first = parts[0]!;
  parts.forEach((part, index) => {
    if (part.schema !== 2)
      throw new ResultsMergeError(
        `file ${index + 1} is not a results file of schema 2 (earlier ones cannot be joined)`,
      );
  });
  for (const [what, read] of COMPARABLE) {
    const values = new Set(parts.map((p) => JSON.stringify(read(p) ?? null)));
    if (values.size > 1) {
      throw new ResultsMergeError(`the files differ in ${what}: ${[...values].join(' / ')}`);
    }
  }
  const from = new Map<string, number>();
  parts.forEach((part, index) => {
    for (const s of part.scenarios) {
      const earlier = from.get(s.id);
      if (earlier !== undefined && options.replace !== true) {
        throw new ResultsMergeError(`scenario ${s.id} is in file ${earlier + 1} and file ${index + 1}`);
      }
      if (earlier === undefined || parts[earlier]!.startedAt <= part.startedAt) from.set(s.id, index);
    }
  });
  // Each part keeps only the scenarios it is the source of.
  const kept = parts.map((part, index) => {
    const mine = (id: string) => from.get(id) === index;
    return {
      ...part,
      // A part's read limit goes with its scenarios: the joined file keeps the first part's only.
      scenarios: part.scenarios.filter((s) => mine(s.id)).map((s) => withReadLimit(s, part.maxReadMs)),
      runs: part.runs.filter((r) => mine(r.scenario)),
      cells: part.cells.filter((c) => mine(c.scenario)),
      firstRecord: part.firstRecord.filter((c) => mine(c.scenario)),
      replaced: part.scenarios.filter((s) => !mine(s.id)).map((s) => s.id),
    };
  });
  const order = new Map(scenarioMatrix(false).map((s, i) => [s.id, i]));
  const rank = (id: string) => order.get(id) ?? order.size;
  const byScenario = <T extends { readonly scenario: string }>(items: T[]) =>
    items.sort((a, b) => rank(a.scenario) - rank(b.scenario));
  const chronological = [...kept].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const earliest = chronological[0]!;
  const latest = [...parts].sort((a, b) => b.finishedAt.localeCompare(a.finishedAt))[0]!;
  return {
    ...first,
    startedAt: earliest.startedAt,
    finishedAt: latest.finishedAt,
    machine: {
      ...first.machine,
      loadAverageAtStart: earliest.machine.loadAverageAtStart,
      loadAverageAtEnd: latest.machine.loadAverageAtEnd,
    },
    // The fewest a cell had; the report names each count (`runsPerCell`), and each cell its own runs.
    repetitions: Math.min(...kept.filter((p) => p.scenarios.length > 0).map((p) => p.repetitions)),
    clients: mergeClients(parts),
    scenarios: kept.flatMap((p) => p.scenarios).sort((a, b) => rank(a.id) - rank(b.id)),
    runs: byScenario(kept.flatMap((p) => p.runs)),
    cells: byScenario(kept.flatMap((p) => p.cells)),
    firstRecord: byScenario(kept.flatMap((p) => p.firstRecord)),
    micro: parts.flatMap((p) => p.micro),
    mergedFrom: chronological.map((p) => ({
      startedAt: p.startedAt,
      finishedAt: p.finishedAt,
      scenarios: p.scenarios.map((s) => s.id),
      ...(p.replaced.length === 0 ? {} : { replaced: p.replaced }),
      repetitions: p.repetitions,
    })),
  };
}

/** @returns the scenario with its sizing's `readLimitMs` set from its run's limit where it had prefixes. */
function withReadLimit<S extends BenchResults['scenarios'][number]>(scenario: S, maxReadMs?: number): S {
  const sizing = scenario.sizing;
  if (sizing?.prefixes === undefined || sizing.readLimitMs !== undefined || maxReadMs === undefined) {
    return scenario;
  }
  return { ...scenario, sizing: { ...sizing, readLimitMs: maxReadMs } };
}

/** @returns every client of the parts once, in first-seen order; available where any part ran it. */
function mergeClients(parts: readonly BenchResults[]): ClientEntry[] {
  const clients = new Map<string, ClientEntry>();
  for (const part of parts) {
    for (const client of part.clients) {
      const seen = clients.get(client.id);
      if (seen === undefined) {
        clients.set(client.id, client);
        continue;
      }
      if (seen.label !== client.label) {
        throw new ResultsMergeError(
          `client ${client.id} is ${seen.label} in one file and ${client.label} in another`,
        );
      }
      if (!seen.available && client.available) clients.set(client.id, client);
    }
  }
  return [...clients.values()];
}
