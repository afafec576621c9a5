/**
 * The command line of the verifiable consumer, read as Kafka's `VerifiableConsumer` reads it: the
 * properties file (`--consumer.config` or `--command-config`) first, then the options, which replace
 * what the file says, and one consumer configuration checked as a whole.
 */
import {
  ConfigError,
  type ConsumerConfig,
  consumerConfigFromProperties,
  type ReadTextFile,
} from '@runnel/consumer';
import { intOption, propertiesOption, readToolArgs } from './tool-args.js';
import { PROBE_OPTIONS, type ProbeOptions, parseProbeOptions } from './verifiable-consumer-probes.js';

/** What the verifiable consumer runs with. */
export interface VerifiableConsumerOptions {
  readonly topic: string;
  /** Stop after this many records; -1: run until stopped. */
  readonly maxMessages: number;
  /** Print a `record_data` event per record. */
  readonly verbose: boolean;
  /** How long `close` may take (`--close-timeout`, default 30 000 ms as in Java). */
  readonly closeTimeoutMs: number;
  /** Whether the consumer commits on its own; without it the tool commits after each batch. */
  readonly autoCommit: boolean;
  readonly config: ConsumerConfig;
  /** Runnel-only additions (process stats, log events, pause/seek); see `verifiable-consumer-probes.ts`. */
  readonly probes: ProbeOptions;
}

const VALUE_OPTIONS = new Set([
  'bootstrap-server',
  'topic',
  'group-id',
  'group-instance-id',
  'group-protocol',
  'group-remote-assignor',
  'max-messages',
  'session-timeout',
  'close-timeout',
  'reset-policy',
  'assignment-strategy',
  'consumer.config',
  'command-config',
  ...PROBE_OPTIONS,
]);
const SWITCHES = new Set(['enable-autocommit', 'verbose']);

/**
 * Reads the verifiable consumer's command line: `--bootstrap-server`, `--topic` and `--group-id`
 * (required), `--group-instance-id`, `--group-protocol classic|consumer`, `--group-remote-assignor`
 * (consumer protocol only), `--assignment-strategy` (Java class names, classic only, default the
 * RangeAssignor), `--session-timeout`, `--max-messages`, `--close-timeout`, `--reset-policy` (default
 * earliest), `--enable-autocommit`, `--verbose`, and a Java properties file through `--consumer.config`
 * or `--command-config` (see `consumerConfigFromProperties` for the keys it takes); and Runnel's own
 * `--stats-interval-ms`, `--log-level`, `--seek-back-every`, `--pause-every`, `--pause-ms`.
 * @param readFile reads the properties file and the PEM files it names.
 * @returns the options.
 * @throws ConfigError naming the option or property that is unknown, missing, malformed or refused
 *   (e.g. `session.timeout.ms` under the consumer protocol, as Java refuses it).
 */
export function parseVerifiableConsumerArgs(
  argv: readonly string[],
  readFile: ReadTextFile,
): VerifiableConsumerOptions {
  const args = readToolArgs(argv, { tool: 'verifiable consumer', values: VALUE_OPTIONS, switches: SWITCHES });
  for (const required of ['bootstrap-server', 'topic', 'group-id']) {
    if (!args.get(required)) throw new ConfigError(`--${required}`, 'is required');
  }
  if (args.has('consumer.config') && args.has('command-config')) {
    throw new ConfigError('--consumer.config', 'and --command-config are mutually exclusive');
  }
  const fileOption = args.has('consumer.config') ? 'consumer.config' : 'command-config';
  const props = propertiesOption(args, fileOption, readFile);

  // The options replace the file's values, with the same defaults Java's tool puts.
  const protocol = (args.get('group-protocol') ?? 'classic').toLowerCase();
  if (protocol !== 'classic' && protocol !== 'consumer') {
    throw new ConfigError('--group-protocol', `must be classic or consumer, got ${JSON.stringify(protocol)}`);
  }
  props.set('group.protocol', protocol);
  if (protocol === 'consumer') {
    const assignor = args.get('group-remote-assignor');
    if (assignor !== undefined) props.set('group.remote.assignor', assignor);
  } else {
    props.set(
      'partition.assignment.strategy',
      args.get('assignment-strategy') ?? 'org.apache.kafka.clients.consumer.RangeAssignor',
    );
  }
  const sessionTimeout = args.get('session-timeout');
  if (sessionTimeout !== undefined) props.set('session.timeout.ms', sessionTimeout);
  props.set('group.id', args.get('group-id')!);
  const instanceId = args.get('group-instance-id');
  if (instanceId !== undefined) props.set('group.instance.id', instanceId);
  props.set('bootstrap.servers', args.get('bootstrap-server')!);
  const autoCommit = args.has('enable-autocommit');
  props.set('enable.auto.commit', String(autoCommit));
  props.set('auto.offset.reset', args.get('reset-policy') ?? 'earliest');
  // Without --enable-autocommit the tool turns auto commit off, which makes a file's interval moot
  // (Java ignores it then): drop it rather than refuse the file.
  if (!autoCommit) props.delete('auto.commit.interval.ms');

  return {
    topic: args.get('topic')!,
    maxMessages: intOption(args, 'max-messages', -1, -1),
    verbose: args.has('verbose'),
    closeTimeoutMs: intOption(args, 'close-timeout', 30_000, 0),
    autoCommit,
    config: consumerConfigFromProperties(props, readFile),
    probes: parseProbeOptions(args, (name, fallback, min) => intOption(args, name, fallback, min)),
  };
}
