/**
 * Sets a share group's `share.auto.offset.reset` with IncrementalAlterConfigs, as the Java tool does
 * through its Admin client before it joins: a new share group starts at the latest offset otherwise.
 */
import { resolveSecurity, type ShareConsumerConfig } from '@runnel/consumer';
import { ClusterClient } from '@runnel/network';
import { ErrorCode, IncrementalAlterConfigs, KafkaProtocolError } from '@runnel/protocol';

/** Kafka's ConfigResource type of a group, and the SET operation. */
const GROUP_RESOURCE = 32;
const SET = 0;

/**
 * Sets `share.auto.offset.reset` of `config.groupId` to `strategy`.
 * @returns once the broker took it.
 * @throws KafkaProtocolError for the broker's refusal (e.g. GROUP_AUTHORIZATION_FAILED,
 *   INVALID_CONFIG); the client's errors (no broker reachable within the default timeout).
 */
export async function setShareAutoOffsetReset(config: ShareConsumerConfig, strategy: string): Promise<void> {
  const { tls, sasl } = resolveSecurity({
    brokers: config.brokers,
    ...(config.tls ? { tls: config.tls } : {}),
    ...(config.sasl ? { sasl: config.sasl } : {}),
  });
  const client = new ClusterClient({
    bootstrapServers: typeof config.brokers === 'string' ? config.brokers.split(',') : config.brokers,
    ...(tls === undefined ? {} : { tls }),
    ...(sasl === undefined ? {} : { sasl }),
  });
  try {
    const response = await client.send({
      target: { kind: 'any' },
      api: IncrementalAlterConfigs,
      message: {
        resources: [
          {
            resourceType: GROUP_RESOURCE,
            resourceName: config.groupId,
            configs: [{ name: 'share.auto.offset.reset', configOperation: SET, value: strategy }],
          },
        ],
        validateOnly: false,
      },
    });
    for (const r of response.responses) {
      if (r.errorCode !== ErrorCode.NONE) {
        throw new KafkaProtocolError(
          r.errorCode,
          `setting share.auto.offset.reset of group ${config.groupId}`,
        );
      }
    }
  } finally {
    await client.close();
  }
}
