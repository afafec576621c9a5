import { KafkaToolError } from './errors.js';

/** How a Kafka version logs: Kafka 4 uses Log4j 2, Kafka 3.x uses reload4j (Log4j 1 API). */
export type KafkaLogging = 'log4j2' | 'reload4j';

/** What differs between the Kafka versions this tool can run. */
export interface KafkaVersionProfile {
  readonly version: string;
  readonly major: number;
  readonly logging: KafkaLogging;
  /** Maven coordinates (group:artifact:version) added next to kafka_2.13 and kafka-tools. */
  readonly loggingArtifacts: readonly string[];
  /** Main class of the tool that lists every registered broker and its API versions. */
  readonly brokerApiVersionsClass: string;
}

const LOG4J2 = [
  // kafka-tools pulls slf4j-api 2.x, which does not see the 1.x binding below: pin 1.7.36.
  'org.slf4j:slf4j-api:1.7.36',
  'org.apache.logging.log4j:log4j-api:2.24.3',
  'org.apache.logging.log4j:log4j-core:2.24.3',
  'org.apache.logging.log4j:log4j-slf4j-impl:2.24.3',
];
const RELOAD4J = ['org.slf4j:slf4j-reload4j:1.7.36', 'ch.qos.reload4j:reload4j:1.2.25'];

function profile4(version: string): KafkaVersionProfile {
  return {
    version,
    major: 4,
    logging: 'log4j2',
    loggingArtifacts: LOG4J2,
    brokerApiVersionsClass: 'org.apache.kafka.tools.BrokerApiVersionsCommand',
  };
}

function profile39(version: string): KafkaVersionProfile {
  return {
    version,
    major: 3,
    logging: 'reload4j',
    loggingArtifacts: RELOAD4J,
    // Moved to org.apache.kafka.tools only in 4.0.
    brokerApiVersionsClass: 'kafka.admin.BrokerApiVersionsCommand',
  };
}

/** The versions that were run on this machine with this tool, newest first within each line. */
const PROFILES: ReadonlyMap<string, KafkaVersionProfile> = new Map(
  [profile4('4.4.0'), profile39('3.9.2')].map((p) => [p.version, p]),
);

/** The Kafka version used when none is asked for (alias `4`). */
export const DEFAULT_KAFKA_VERSION = '4.4.0';

const ALIASES: ReadonlyMap<string, string> = new Map([
  ['4', DEFAULT_KAFKA_VERSION],
  ['3.9', '3.9.2'],
]);

/** Every version `resolveKafkaVersion` accepts, exact versions first, then aliases. */
export const SUPPORTED_KAFKA_VERSIONS: readonly string[] = [...PROFILES.keys()];

/**
 * Resolves a version alias to an exact Kafka version.
 *
 * @param alias `undefined` or `'4'` for the default 4.x, `'3.9'` for the newest working 3.9.x, or an
 *   exact supported version such as `'4.4.0'`. Surrounding spaces and an empty string count as unset.
 * @returns the exact version, e.g. `'4.4.0'`.
 * @throws KafkaToolError when the alias is neither a known alias nor a supported exact version.
 */
export function resolveKafkaVersion(alias?: string): string {
  const wanted = alias?.trim() ?? '';
  if (wanted === '') return DEFAULT_KAFKA_VERSION;
  const exact = ALIASES.get(wanted) ?? wanted;
  if (PROFILES.has(exact)) return exact;
  throw new KafkaToolError(
    `unsupported Kafka version ${JSON.stringify(alias)}: use one of ${[...ALIASES.keys(), ...PROFILES.keys()].join(', ')}`,
    { code: 'ERR_KAFKA_VERSION' },
  );
}

/**
 * Returns what this tool needs to know to run an exact Kafka version.
 *
 * @throws KafkaToolError when the version is not supported (see `resolveKafkaVersion`).
 */
export function kafkaVersionProfile(version: string): KafkaVersionProfile {
  const found = PROFILES.get(resolveKafkaVersion(version));
  if (found === undefined) throw new KafkaToolError(`unsupported Kafka version ${JSON.stringify(version)}`);
  return found;
}
