/**
 * The cluster client of a share consumer, built as the Consumer builds its own (the same connection
 * settings, response-size bound, security and client software name). Copied from the Consumer's
 * constructor, which does not expose it; the two fold into one helper once the consumer's split lands.
 */
import { ClusterClient, TlsError } from '@runnel/network';
import { ConfigError } from '../errors.js';
import { CONSUMER_VERSION } from '../package-version.js';
import { resolveSecurity } from '../security-config.js';
import type { ResolvedShareConfig, ShareConsumerConfig } from './share-config.js';

/**
 * @returns a client of the cluster `config` names, secured as `input`'s `tls` and `sasl` say; it
 *   connects nothing until asked.
 * @throws ConfigError naming `tls` when its CA, certificate or key cannot be loaded.
 */
export function shareClusterClient(config: ResolvedShareConfig, input: ShareConsumerConfig): ClusterClient {
  // Handed to the client and not kept, so that no object reachable from the consumer shows a secret.
  const { tls, sasl } = resolveSecurity(input);
  try {
    return new ClusterClient({
      ...(tls === undefined ? {} : { tls }),
      ...(sasl === undefined ? {} : { sasl }),
      bootstrapServers: config.brokers,
      connection: {
        clientId: config.clientId,
        requestTimeoutMs: config.requestTimeoutMs,
        // A ShareFetch answer may reach fetchMaxBytes plus one oversized first batch.
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
