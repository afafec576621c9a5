/**
 * The cluster client a consumer talks through: the consumer's options as @runnel/network's, on the
 * environment's clock and connections.
 */
import { ClusterClient, systemClock, TlsError } from '@runnel/network';
import { type ConsumerConfig, resolveSecurity } from './config.js';
import type { ConsumerEnvironment } from './consumer-types.js';
import type { ClientContext, ClientSettings } from './context.js';
import type { Deserializer } from './deserializers.js';
import { ConfigError } from './errors.js';
import type { ClientEventMap, ConsumerEvents } from './events.js';
import { CONSUMER_VERSION } from './package-version.js';

/**
 * @returns the cluster client of a consumer (or a share consumer), on the environment's clock and
 *   connections, secured as `input`'s `tls` and `sasl` say.
 * @throws ConfigError naming `tls` when its material cannot be loaded.
 */
export function clientFor(
  input: Partial<ConsumerConfig<Deserializer, Deserializer>>,
  config: ClientSettings,
  environment: ConsumerEnvironment,
): ClusterClient {
  // Handed to the client and not kept: the pool holds no reference to them either, so no object
  // reachable from the consumer shows a key or password.
  const { tls, sasl } = resolveSecurity(input);
  try {
    return new ClusterClient({
      ...(tls === undefined ? {} : { tls }),
      ...(sasl === undefined ? {} : { sasl }),
      ...(environment.clock ? { clock: environment.clock } : {}),
      ...(environment.connectionFactory ? { connectionFactory: environment.connectionFactory } : {}),
      ...(environment.random ? { random: environment.random } : {}),
      bootstrapServers: config.brokers,
      connection: {
        clientId: config.clientId,
        requestTimeoutMs: config.requestTimeoutMs,
        // A Fetch answer may reach fetchMaxBytes plus one oversized first batch (KIP-74).
        maxResponseSize: Math.max(128 * 1024 * 1024, config.fetchMaxBytes + 16 * 1024 * 1024),
      },
      retryBackoffMs: config.retryBackoffMs,
      reconnectBackoffMs: config.reconnectBackoffMs,
      reconnectBackoffMaxMs: config.reconnectBackoffMaxMs,
      metadataMaxAgeMs: config.metadataMaxAgeMs,
      defaultDeadlineMs: config.defaultApiTimeoutMs,
      logger: config.logger,
      clientSoftware: { name: 'runnel', version: CONSUMER_VERSION },
    });
  } catch (error) {
    if (error instanceof TlsError) throw new ConfigError('tls', error.message, { cause: error });
    throw error;
  }
}

/**
 * @returns what a consumer (or share consumer) with the resolved `config` runs on: its cluster client,
 *   the environment's clock (the system clock when none is given), its events and identity.
 * @throws ConfigError naming `tls` when its material cannot be loaded.
 */
export function contextFor<C extends ClientSettings, M extends ClientEventMap>(
  input: Partial<ConsumerConfig<Deserializer, Deserializer>>,
  config: C,
  environment: ConsumerEnvironment,
  events: ConsumerEvents<M>,
): ClientContext<C> & { readonly events: ConsumerEvents<M> } {
  return {
    config,
    client: clientFor(input, config, environment),
    clock: environment.clock ?? systemClock,
    events,
    identity: { clientId: config.clientId, groupId: config.groupId },
    ...(environment.random ? { random: environment.random } : {}),
  };
}
