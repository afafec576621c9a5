/**
 * The command line of the verifiable share consumer, read as Kafka's `VerifiableShareConsumer` (Kafka
 * 4.4) reads it: `--bootstrap-server`, `--topic` and `--group-id` (required), `--max-messages`,
 * `--verbose`, `--acknowledgement-mode auto|sync|async`, `--ack-pattern`, `--offset-reset-strategy
 * earliest|latest`, and a Java properties file through `--command-config`, whose values the options
 * replace.
 */
import {
  type AcknowledgeType,
  ConfigError,
  consumerConfigFromProperties,
  type ReadTextFile,
  type ShareConsumerConfig,
} from '@runnel/consumer';
import { intOption, propertiesOption, readToolArgs } from './tool-args.js';

/** How the tool acknowledges, as Java's tool names it. */
export type VerifiableAcknowledgementMode = 'auto' | 'sync' | 'async';

/** What the verifiable share consumer runs with. */
export interface VerifiableShareConsumerOptions {
  readonly topic: string;
  /** Stop once this many records were acknowledged successfully; -1: run until stopped. */
  readonly maxMessages: number;
  readonly verbose: boolean;
  readonly acknowledgementMode: VerifiableAcknowledgementMode;
  /** The cycle of types applied by offset (`offset % length`); empty: accept everything. */
  readonly ackPattern: readonly AcknowledgeType[];
  /** The group's `share.auto.offset.reset` to set before joining, or null to leave it. */
  readonly offsetResetStrategy: 'earliest' | 'latest' | null;
  readonly config: ShareConsumerConfig;
}

const VALUE_OPTIONS = new Set([
  'bootstrap-server',
  'topic',
  'group-id',
  'max-messages',
  'acknowledgement-mode',
  'ack-pattern',
  'offset-reset-strategy',
  'command-config',
]);
const SWITCHES = new Set(['verbose']);

/** Consumer properties a share consumer has, under the options of its config. */
const SHARE_KEYS = [
  'brokers',
  'groupId',
  'clientId',
  'rack',
  'fetchMinBytes',
  'fetchMaxBytes',
  'fetchMaxWaitMs',
  'checkCrcs',
  'requestTimeoutMs',
  'defaultApiTimeoutMs',
  'retryBackoffMs',
  'metadataMaxAgeMs',
  'tls',
  'sasl',
] as const;

/**
 * @returns the `--ack-pattern` cycle (Java's types, any case).
 * @throws ConfigError on a type other than accept, release, reject; `renew` (KIP-1222) is not one this
 *   client sends.
 */
function ackPatternOf(text: string): AcknowledgeType[] {
  const types = text
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
  for (const t of types) {
    if (t === 'renew')
      throw new ConfigError('--ack-pattern', 'renew is not an acknowledgement type Runnel sends');
    if (t !== 'accept' && t !== 'release' && t !== 'reject') {
      throw new ConfigError('--ack-pattern', `${JSON.stringify(t)} is not accept, release or reject`);
    }
  }
  if (types.length === 0) throw new ConfigError('--ack-pattern', 'must name at least one type');
  return types as AcknowledgeType[];
}

/**
 * @returns the share consumer config a Java properties file describes: `share.acknowledgement.mode`
 *   and `max.poll.records` here, the rest (connection, fetch sizes, TLS, SASL) as the consumer maps them.
 * @throws ConfigError naming a property that is unknown, malformed, or that share groups do not have.
 */
export function shareConfigFromProperties(
  props: ReadonlyMap<string, string>,
  readFile: ReadTextFile,
): ShareConsumerConfig {
  const rest = new Map(props);
  const share: Record<string, unknown> = {};
  const mode = rest.get('share.acknowledgement.mode');
  if (mode !== undefined) {
    const lower = mode.trim().toLowerCase();
    if (lower !== 'implicit' && lower !== 'explicit') {
      throw new ConfigError(
        'share.acknowledgement.mode',
        `must be implicit or explicit, got ${JSON.stringify(mode)}`,
      );
    }
    share.acknowledgementMode = lower;
    rest.delete('share.acknowledgement.mode');
  }
  const maxPoll = rest.get('max.poll.records');
  if (maxPoll !== undefined) {
    if (!/^\d+$/.test(maxPoll.trim()))
      throw new ConfigError('max.poll.records', `must be an integer, got ${JSON.stringify(maxPoll)}`);
    share.maxPollRecords = Number(maxPoll.trim());
    rest.delete('max.poll.records');
  }
  const consumer = consumerConfigFromProperties(rest, readFile) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(consumer)) {
    if (value === undefined) continue;
    if (!(SHARE_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(key, 'is a consumer option share groups do not have');
    }
    share[key] = value;
  }
  return share as unknown as ShareConsumerConfig;
}

/**
 * Reads the verifiable share consumer's command line (see the file comment).
 * @param readFile reads the properties file and the PEM files it names.
 * @returns the options.
 * @throws ConfigError naming the option or property that is unknown, missing, malformed or refused
 *   (`--ack-pattern` with `--acknowledgement-mode auto`, as Java refuses it).
 */
export function parseVerifiableShareConsumerArgs(
  argv: readonly string[],
  readFile: ReadTextFile,
): VerifiableShareConsumerOptions {
  const args = readToolArgs(argv, {
    tool: 'verifiable share consumer',
    values: VALUE_OPTIONS,
    switches: SWITCHES,
  });
  for (const required of ['bootstrap-server', 'topic', 'group-id']) {
    if (!args.get(required)) throw new ConfigError(`--${required}`, 'is required');
  }
  const props = propertiesOption(args, 'command-config', readFile);
  props.set('bootstrap.servers', args.get('bootstrap-server')!);
  props.set('group.id', args.get('group-id')!);
  const mode = (args.get('acknowledgement-mode') ?? 'auto').toLowerCase();
  if (mode !== 'auto' && mode !== 'sync' && mode !== 'async') {
    throw new ConfigError(
      '--acknowledgement-mode',
      `must be auto, sync or async, got ${JSON.stringify(mode)}`,
    );
  }
  const pattern = args.get('ack-pattern');
  const ackPattern = pattern === undefined || pattern === '' ? [] : ackPatternOf(pattern);
  if (ackPattern.length > 0 && mode === 'auto') {
    throw new ConfigError('--ack-pattern', "needs --acknowledgement-mode sync or async, not 'auto'");
  }
  const reset = args.get('offset-reset-strategy')?.toLowerCase() ?? '';
  if (reset !== '' && reset !== 'earliest' && reset !== 'latest') {
    throw new ConfigError(
      '--offset-reset-strategy',
      `must be earliest or latest, got ${JSON.stringify(reset)}`,
    );
  }
  const config = shareConfigFromProperties(props, readFile);
  // sync and async acknowledge each record explicitly (and commit), as the Java tool's pattern does.
  if (mode !== 'auto') config.acknowledgementMode = 'explicit';
  return {
    topic: args.get('topic')!,
    maxMessages: intOption(args, 'max-messages', -1, -1),
    verbose: args.has('verbose'),
    acknowledgementMode: mode,
    ackPattern,
    offsetResetStrategy: reset === '' ? null : reset,
    config,
  };
}
