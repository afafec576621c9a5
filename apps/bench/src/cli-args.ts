/** Options of `pnpm bench`. */
export interface BenchArgs {
  readonly quick: boolean;
  /** Runs per cell; default 5, quick 3. */
  readonly repetitions: number;
  /** Records per scenario instead of the scenario's own count. */
  readonly records?: number;
  /** Client ids to run (default all). */
  readonly clients?: readonly string[];
  /** Scenario ids to run (default the mode's matrix). */
  readonly scenarios?: readonly string[];
  readonly micro: boolean;
  readonly e2e: boolean;
  /** Where results go; default apps/bench/results. */
  readonly out?: string;
  /** Kafka version or alias for the broker. */
  readonly kafkaVersion?: string;
  /** Update the results section of apps/bench/README.md. */
  readonly updateReadme: boolean;
  /** The Node every Node client runs on: a line, an exact version or `system` (default the latest LTS line). */
  readonly node?: string;
  /** The shortest read of the fastest client a throughput topic is grown for, in ms (default 10 s). */
  readonly steadyStateMs: number;
  /**
   * The longest timed read of one client, in ms (default 60 s; 0: every client reads the whole topic).
   * A client slower than that reads a prefix of the topic it takes about this long over.
   */
  readonly maxReadMs: number;
}

/** Thrown for a command line the bench does not understand. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `usage: pnpm bench [--quick] [--reps N] [--records N] [--clients a,b] [--scenarios id,id]
                  [--node 22|24|26|X.Y.Z|system] [--steady-seconds S] [--max-read-seconds S]
                  [--no-micro] [--no-e2e] [--no-readme] [--out DIR] [--kafka-version V]`;

/** @returns `text` as an integer of at least `min` (1 or 0). */
function integer(flag: string, text: string | undefined, min = 1): number {
  const value = Number(text);
  if (text === undefined || !Number.isInteger(value) || value < min) {
    const kind = min === 1 ? 'a positive' : 'a non-negative';
    throw new UsageError(`${flag} takes ${kind} integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

function list(flag: string, text: string | undefined): string[] {
  const items = (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`${flag} takes a comma-separated list`);
  return items;
}

/**
 * Parses the bench's command line (without node and the script).
 *
 * @returns the options.
 * @throws UsageError on an unknown flag or a bad value.
 */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let quick = false;
  let repetitions: number | undefined;
  let records: number | undefined;
  let clients: string[] | undefined;
  let scenarios: string[] | undefined;
  let micro = true;
  let e2e = true;
  let updateReadme = true;
  let out: string | undefined;
  let kafkaVersion: string | undefined;
  let node: string | undefined;
  let steadySeconds = 10;
  let maxReadSeconds = 60;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--quick':
        quick = true;
        break;
      case '--reps':
        repetitions = integer(flag, value());
        break;
      case '--records':
        records = integer(flag, value());
        break;
      case '--clients':
        clients = list(flag, value());
        break;
      case '--scenarios':
        scenarios = list(flag, value());
        break;
      case '--no-micro':
        micro = false;
        break;
      case '--no-e2e':
        e2e = false;
        break;
      case '--no-readme':
        updateReadme = false;
        break;
      case '--out':
        out = value();
        break;
      case '--kafka-version':
        kafkaVersion = value();
        break;
      case '--node':
        node = value();
        break;
      case '--steady-seconds':
        steadySeconds = integer(flag, value());
        break;
      case '--max-read-seconds':
        maxReadSeconds = integer(flag, value(), 0);
        break;
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  }
  return {
    quick,
    repetitions: repetitions ?? (quick ? 3 : 5),
    ...(records === undefined ? {} : { records }),
    ...(clients === undefined ? {} : { clients }),
    ...(scenarios === undefined ? {} : { scenarios }),
    micro,
    e2e,
    updateReadme,
    ...(out === undefined ? {} : { out }),
    ...(kafkaVersion === undefined ? {} : { kafkaVersion }),
    ...(node === undefined ? {} : { node }),
    steadyStateMs: steadySeconds * 1000,
    maxReadMs: maxReadSeconds * 1000,
  };
}
