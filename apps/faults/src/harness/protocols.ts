/**
 * The group protocols every scenario runs under: classic with an eager assignor, classic with the
 * cooperative one (KIP-429), and the consumer protocol (KIP-848), where the broker assigns.
 */
export const PROTOCOLS = ['classic-eager', 'classic-cooperative', 'consumer'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** The session timeout of every scenario's group (classic members ask for it; the broker sets it for `consumer`). */
export const SESSION_TIMEOUT_MS = 10_000;
/** The consumer protocol's heartbeat interval, a broker setting. */
export const CONSUMER_HEARTBEAT_MS = 1_000;

/** @returns the verifiable consumer options that select `protocol`. */
export function protocolArgs(protocol: Protocol): string[] {
  switch (protocol) {
    case 'classic-eager':
      return [
        '--group-protocol',
        'classic',
        '--assignment-strategy',
        'org.apache.kafka.clients.consumer.RangeAssignor',
        '--session-timeout',
        String(SESSION_TIMEOUT_MS),
      ];
    case 'classic-cooperative':
      return [
        '--group-protocol',
        'classic',
        '--assignment-strategy',
        'org.apache.kafka.clients.consumer.CooperativeStickyAssignor',
        '--session-timeout',
        String(SESSION_TIMEOUT_MS),
      ];
    case 'consumer':
      return ['--group-protocol', 'consumer', '--group-remote-assignor', 'uniform'];
  }
}
