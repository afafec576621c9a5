import { randomUUID } from 'node:crypto';
import * as diagnostics from 'node:diagnostics_channel';
import { setTimeout as sleep } from 'node:timers/promises';
import { type KafkaCluster, startKafka } from '@runnel/kafka-local';
import { testCluster } from '@runnel/kafka-local/vitest';
import { ClusterClient, type RequestMessage } from '@runnel/network';
import { CreateTopics } from '@runnel/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer } from './consumer.js';
import { produce } from './test-support/produce.js';
import { until } from './test-support/until.js';
import { startUserProgram, type UserEvent } from './test-support/user-process.js';

// Follower fetching (KIP-392) on a 3-node cluster of this file's own: node N is in rack `rack-N` and
// leaders pick a replica in the consumer's rack. The partition's replicas are 1 (leader), 2 and 3; the
// consumer sits in rack-2, so its records come from node 2 until node 2 is killed.
const RACK_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';
const BATCH = 200;
const VALUE = 'x'.repeat(100);

let cluster: KafkaCluster;
let admin: ClusterClient;

beforeAll(async () => {
  cluster = await startKafka({
    version: testCluster().version,
    nodes: 3,
    brokerProperties: {
      'replica.selector.class': RACK_SELECTOR,
      // A killed node is fenced, and so leaves the in-sync replicas, within seconds.
      'broker.heartbeat.interval.ms': 500,
      'broker.session.timeout.ms': 3_000,
    },
    nodeProperties: (nodeId) => ({ 'broker.rack': `rack-${nodeId}` }),
  });
  admin = new ClusterClient({ bootstrapServers: cluster.bootstrap, defaultDeadlineMs: 30_000 });
}, 180_000);

afterAll(async () => {
  await admin?.close();
  await cluster?.stop();
});

/** Writes `count` records to partition 0, acknowledged by every in-sync replica; retried while the ISR shrinks. */
async function write(topic: string, count: number): Promise<void> {
  const records = Array.from({ length: count }, (_, i) => ({ value: `${i}:${VALUE}` }));
  for (let attempt = 1; ; attempt++) {
    try {
      await produce(admin, topic, 0, records);
      return;
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(1_000);
    }
  }
}

/** Creates `topic` with one partition on `replicas` (the first leads). */
async function createTopic(topic: string, replicas: number[]): Promise<void> {
  await admin.send({
    target: { kind: 'any' },
    api: CreateTopics,
    message: {
      topics: [
        {
          name: topic,
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: replicas }],
          configs: [],
        },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    },
    errorCode: (r) => r.topics[0]?.errorCode ?? 0,
  });
}

/** Fetch requests by node id: how many were answered, their response bytes, and how many failed. */
function watchFetches() {
  const byNode = new Map<number, { answered: number; bytes: number; failed: number }>();
  const none = () => {};
  const handlers = {
    start: none,
    end: none,
    asyncStart: none,
    error: none,
    asyncEnd: (m: RequestMessage) => {
      if (m.api !== 'Fetch') return;
      const row = byNode.get(m.nodeId) ?? { answered: 0, bytes: 0, failed: 0 };
      if (m.error === undefined) {
        row.answered++;
        row.bytes += m.responseBytes;
      } else row.failed++;
      byNode.set(m.nodeId, row);
    },
  };
  const channel = diagnostics.tracingChannel<unknown, RequestMessage>('runnel:request');
  channel.subscribe(handlers);
  const of = (nodeId: number) => ({ answered: 0, bytes: 0, failed: 0, ...byNode.get(nodeId) });
  return {
    of,
    /** @returns the counts now, to compare with later ones. */
    snapshot: () => new Map([1, 2, 3].map((id) => [id, of(id)])),
    stop: () => channel.unsubscribe(handlers),
  };
}

describe('follower fetching (KIP-392) on a 3-node cluster with racks', () => {
  it('reads from the follower in its rack, and from the leader once that follower is killed, losing nothing', async () => {
    const topic = `follower-${randomUUID().slice(0, 8)}`;
    await createTopic(topic, [1, 2, 3]);
    await write(topic, BATCH);

    const fetches = watchFetches();
    const consumer = new Consumer({
      brokers: cluster.bootstrap,
      rack: 'rack-2',
      autoOffsetReset: 'earliest',
      fetchMaxWaitMs: 100,
      reconnectBackoffMaxMs: 500,
    });
    const fetchErrors: number[] = [];
    consumer.on('fetchError', (e) => fetchErrors.push(e.nodeId));
    const offsets: number[] = [];
    try {
      const racks = await consumer.partitionsFor(topic);
      expect(racks[0]!.leader).toBe(1);
      consumer.assign([{ topic, partition: 0 }]);
      const running = consumer.run({
        eachRecord: (r) => {
          offsets.push(r.offset);
        },
      });

      await until(`first ${BATCH} records`, () => offsets.length >= BATCH, 30_000);
      expect(consumer.lag()[0]!.preferredReadReplica).toBe(2);
      // The leader answered with the replica to use and no records; the records came from node 2.
      const before = fetches.snapshot();
      expect(before.get(2)!.answered).toBeGreaterThan(0);
      expect(before.get(2)!.bytes).toBeGreaterThan(BATCH * VALUE.length);
      expect(before.get(1)!.bytes).toBeLessThan(BATCH * VALUE.length);
      expect(before.get(3)!.answered).toBe(0);

      await cluster.killNode(2);
      await write(topic, BATCH);
      await until(`${BATCH} records written after the kill`, () => offsets.length >= 2 * BATCH, 45_000);
      await until('fetching from the leader', () => consumer.lag()[0]!.preferredReadReplica === null, 30_000);
      const after = fetches.snapshot();
      expect(after.get(1)!.bytes - before.get(1)!.bytes).toBeGreaterThan(BATCH * VALUE.length);
      expect(after.get(3)!.answered).toBe(0);
      expect(fetchErrors).toContain(2);

      // Every record once, in order: none lost, none delivered twice.
      expect(offsets).toEqual(Array.from({ length: 2 * BATCH }, (_, i) => i));
      await until('zero lag', () => consumer.lag()[0]!.lag === 0, 30_000);
      expect(consumer.lag()[0]!.highWatermark).toBe(2 * BATCH);
      await consumer.close({ timeoutMs: 5_000 });
      await running;
    } finally {
      fetches.stop();
      await consumer.close({ timeoutMs: 5_000 });
    }
  }, 120_000);

  it('keeps a consumer program (plain node) alive across the kill of the follower it reads from, ending with code 0', async () => {
    // The first test killed node 2: bring it back so that the controllers keep a quorum without node 3.
    await cluster.startNode(2);
    const topic = `follower-child-${randomUUID().slice(0, 8)}`;
    await createTopic(topic, [1, 2, 3]);
    await write(topic, BATCH);
    const program = startUserProgram('consume-child.mjs', {
      config: {
        brokers: cluster.bootstrap,
        rack: 'rack-3',
        autoOffsetReset: 'earliest',
        fetchMaxWaitMs: 100,
        reconnectBackoffMaxMs: 500,
      },
      assign: [{ topic, partition: 0 }],
      stopAfter: 2 * BATCH,
      healthEveryMs: 200,
    });
    try {
      const delivered = () => program.eventsOf('records').flatMap((e: UserEvent) => e.offsets as number[]);
      const replicaOf = (e: UserEvent) => (e.preferredReadReplicas as (number | null)[] | undefined)?.[0];
      await program.waitFor(
        (e) => e.event === 'health' && replicaOf(e) === 3 && delivered().length >= BATCH,
        60_000,
        'the first records, read from node 3',
      );
      await cluster.killNode(3);
      await write(topic, BATCH);
      await program.waitFor((e) => e.event === 'done', 60_000, 'the end of consumption');
      expect((await program.exited).code, program.report()).toBe(0);
      expect(delivered()).toEqual(Array.from({ length: 2 * BATCH }, (_, i) => i));
      // Records written after the kill can only have come from the leader (no replica is left in
      // rack-3); the failed fetches to node 3 on the way are counted.
      expect(program.eventsOf('health').at(-1)!.fetchErrors as number).toBeGreaterThan(0);
    } finally {
      await program.stop();
    }
  }, 120_000);
});
