/**
 * Short group timings for the scenarios that wait out a session timeout. Under the classic protocol the
 * member asks for them; under the consumer protocol (KIP-848) the broker sets them, per group (Kafka 4.0+
 * group configs) or as the broker's defaults.
 */
import { alterGroupConfig, kafkaVersionProfile, startKafka } from '@runnel/kafka-local';
import type { TestKafkaCluster } from '@runnel/kafka-local/vitest';
import type { ConsumerConfig, GroupProtocol } from '../config.js';

/** The session timeout and heartbeat interval a scenario runs its group with. */
export interface GroupTiming {
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
}

/** The broker properties that make `timing` every consumer-protocol group's default. */
export function consumerGroupBrokerProperties(timing: GroupTiming): Record<string, number> {
  return {
    'group.consumer.session.timeout.ms': timing.sessionTimeoutMs,
    'group.consumer.heartbeat.interval.ms': timing.heartbeatIntervalMs,
  };
}

/** @returns the consumer options that ask for `timing` under `protocol` (none under 'consumer': the broker decides). */
export function memberTiming(protocol: GroupProtocol, timing: GroupTiming): Partial<ConsumerConfig> {
  return protocol === 'classic'
    ? { sessionTimeoutMs: timing.sessionTimeoutMs, heartbeatIntervalMs: timing.heartbeatIntervalMs }
    : { groupProtocol: 'consumer' };
}

/** A cluster to run one group on, and how to let go of it. */
export interface TimedGroupCluster {
  readonly cluster: Pick<TestKafkaCluster, 'bootstrap' | 'version' | 'runJava'>;
  release(): Promise<void>;
}

/**
 * Makes group `groupId` run with `timing` under `protocol`, leaving every other group of the shared
 * test cluster as it was: classic members ask for it themselves, consumer-protocol groups get it as
 * group configs on Kafka 4.x, and on Kafka 3.x (no group configs) a single-node cluster of their own
 * gets it as the broker's defaults.
 * @returns the cluster to use; `release` stops a cluster started here.
 * @throws KafkaToolError when the broker refuses the configs or a cluster does not start.
 */
export async function clusterWithGroupTiming(
  shared: TestKafkaCluster,
  protocol: GroupProtocol,
  groupId: string,
  timing: GroupTiming,
): Promise<TimedGroupCluster> {
  const nothing = async () => {};
  if (protocol === 'classic') return { cluster: shared, release: nothing };
  if (kafkaVersionProfile(shared.version).major >= 4) {
    await alterGroupConfig(shared, groupId, {
      'consumer.session.timeout.ms': timing.sessionTimeoutMs,
      'consumer.heartbeat.interval.ms': timing.heartbeatIntervalMs,
    });
    return { cluster: shared, release: nothing };
  }
  const own = await startKafka({
    version: shared.version,
    brokerProperties: consumerGroupBrokerProperties(timing),
  });
  return {
    cluster: { bootstrap: own.bootstrap, version: own.version, runJava: shared.runJava },
    release: () => own.stop(),
  };
}
