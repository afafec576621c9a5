import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerProxies } from '@runnel/fault-proxy';
import {
  type BrokerProperties,
  createTopic,
  describeTopic,
  groupCoordinator,
  type KafkaCluster,
  type PropertyValue,
  startKafka,
} from '@runnel/kafka-local';
import { CONSUMER_HEARTBEAT_MS, SESSION_TIMEOUT_MS } from './protocols.js';

/** How members reach the brokers: straight to PLAINTEXT, or through the fault proxies (EXTERNAL). */
export type Route = 'direct' | 'proxy';

/**
 * A 3-node cluster with a fault proxy in front of each node. Kafka's tools and the producer use the
 * PLAINTEXT listener; members bootstrap either there or through the proxies, whose ports the nodes
 * advertise on their EXTERNAL listener, so proxy faults hit only consumer traffic.
 */
export class FaultCluster {
  private constructor(
    readonly kafka: KafkaCluster,
    readonly proxies: BrokerProxies,
    /** A temp dir for properties files and the like; removed by `stop`. */
    readonly dir: string,
  ) {}

  /**
   * Starts the proxies, then the cluster (consumer-protocol groups get the suite's session timeout and
   * heartbeat interval as broker defaults), then points the proxies at the nodes.
   *
   * @throws KafkaToolError when the cluster does not start (the proxies are closed again).
   */
  static async start(brokerProperties: BrokerProperties = {}): Promise<FaultCluster> {
    const proxies = await BrokerProxies.start(3);
    const dir = await mkdtemp(join(tmpdir(), 'runnel-faults-'));
    try {
      const kafka = await startKafka({
        nodes: 3,
        // The scenarios restart nodes dozens of times on a shared 2-core machine: give each start room.
        readyTimeoutMs: 300_000,
        externalListener: { advertisedPorts: proxies.ports },
        brokerProperties: {
          'group.consumer.session.timeout.ms': SESSION_TIMEOUT_MS,
          'group.consumer.heartbeat.interval.ms': CONSUMER_HEARTBEAT_MS,
          ...brokerProperties,
        },
      });
      proxies.setUpstreams(kafka.external!);
      return new FaultCluster(kafka, proxies, dir);
    } catch (error) {
      await proxies.close();
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The bootstrap list members use on `route`. */
  bootstrap(route: Route): string {
    return route === 'proxy' ? this.proxies.bootstrap : this.kafka.bootstrap;
  }

  /** Node ids, 1..3. */
  get nodeIds(): number[] {
    return this.kafka.brokers.map((b) => b.nodeId);
  }

  /**
   * Creates a topic replicated to every node (or as `replicaAssignment` says) with
   * `min.insync.replicas=2`, plus `configs`.
   */
  async createTopic(
    topic: string,
    partitions: number,
    configs: Readonly<Record<string, PropertyValue>> = {},
    replicaAssignment?: readonly (readonly number[])[],
  ): Promise<void> {
    await createTopic(this.kafka, {
      topic,
      partitions,
      ...(replicaAssignment ? { replicaAssignment } : { replicationFactor: 3 }),
      configs: { 'min.insync.replicas': 2, ...configs },
    });
  }

  /** This cluster as Kafka's tools should reach it while `nodeId` is frozen (without it in the bootstrap). */
  without(nodeId: number): KafkaCluster {
    const bootstrap = this.kafka.brokers
      .filter((b) => b.nodeId !== nodeId)
      .map((b) => `${b.host}:${b.port}`)
      .join(',');
    return { ...this.kafka, bootstrap };
  }

  /** @returns the node leading `topic`'s `partition` (-1 when none does). */
  async leaderOf(topic: string, partition: number): Promise<number> {
    const state = await describeTopic(this.kafka, topic);
    return state.find((p) => p.partition === partition)?.leader ?? -1;
  }

  /** @returns the node coordinating `groupId`. */
  coordinatorOf(groupId: string): Promise<number> {
    return groupCoordinator(this.kafka, groupId);
  }

  /**
   * Undoes whatever a scenario left: thaws paused nodes, starts stopped ones (together, so a quorum
   * forms), clears every proxy fault and accepts connections again.
   */
  async heal(): Promise<void> {
    for (const id of this.nodeIds) this.kafka.resumeNode(id);
    const stopped = this.nodeIds.filter((id) => !this.kafka.isRunning(id));
    await Promise.all(stopped.map((id) => this.kafka.startNode(id)));
    await this.proxies.heal();
  }

  /** Stops the cluster and the proxies and removes the temp dir. */
  async stop(): Promise<void> {
    await this.proxies.close();
    await this.kafka.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
