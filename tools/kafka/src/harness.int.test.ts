import { describe, expect, it } from 'vitest';
import { testCluster } from './test-cluster.js';
import { createTopic, describeGroup, getEndOffsets, producePerf } from './tools.js';

describe('the shared test cluster', () => {
  it('takes 1000 records spread over 3 partitions and reports end offsets that sum to 1000', async () => {
    const cluster = testCluster();
    const topic = `harness-${Date.now()}`;
    await createTopic(cluster, { topic, partitions: 3, replicationFactor: cluster.brokers.length });

    const summary = await producePerf(cluster, {
      topic,
      numRecords: 1000,
      recordSize: 100,
      compression: 'lz4',
      // Round-robin so every partition gets records whatever the sticky partitioner would pick.
      props: { 'partitioner.class': 'org.apache.kafka.clients.producer.RoundRobinPartitioner' },
    });
    expect(summary.records).toBe(1000);

    const offsets = await getEndOffsets(cluster, topic);
    expect([...offsets.keys()].sort()).toEqual([0, 1, 2]);
    for (const end of offsets.values()) expect(end).toBeGreaterThan(0n);
    expect([...offsets.values()].reduce((a, b) => a + b, 0n)).toBe(1000n);
  });

  it('describes the committed offsets and lag of a group that consumed part of a topic', async () => {
    const cluster = testCluster();
    const topic = `harness-group-${Date.now()}`;
    const group = `harness-group-${Date.now()}`;
    await createTopic(cluster, { topic, partitions: 1 });
    await producePerf(cluster, { topic, numRecords: 200, recordSize: 50 });

    // Kafka's own consumer commits its position on close, so the group ends with 120 committed.
    const consumed = await cluster.runJava('org.apache.kafka.tools.ConsumerPerformance', [
      '--bootstrap-server',
      cluster.bootstrap,
      '--topic',
      topic,
      '--group',
      group,
      '--messages',
      '120',
      '--consumer.config',
      '/dev/null',
    ]);
    expect(consumed.code).toBe(0);

    const rows = await describeGroup(cluster, group);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ group, topic, partition: 0, logEndOffset: 200n, consumerId: null });
    expect(rows[0]!.currentOffset! + rows[0]!.lag!).toBe(200n);
    expect(rows[0]!.currentOffset!).toBeGreaterThanOrEqual(120n);
  });

  it('says that a group that never existed does not exist', async () => {
    await expect(describeGroup(testCluster(), `never-${Date.now()}`)).rejects.toMatchObject({
      code: 'ERR_KAFKA_GROUP_NOT_FOUND',
    });
  });
});
