import { describe, expect, it } from 'vitest';
import { ClusterMetadata, type MetadataResponseLike } from './cluster-metadata.js';

function partition(index: number, leaderId: number, leaderEpoch: number, errorCode = 0) {
  return {
    errorCode,
    partitionIndex: index,
    leaderId,
    leaderEpoch,
    replicaNodes: [1, 2],
    isrNodes: [1],
    offlineReplicas: [2],
  };
}

const response: MetadataResponseLike = {
  brokers: [
    { nodeId: 1, host: 'b1', port: 9092, rack: 'r1' },
    { nodeId: 2, host: 'b2', port: 9093 },
  ],
  clusterId: 'c',
  controllerId: 2,
  topics: [
    {
      errorCode: 0,
      name: 'a',
      topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
      isInternal: false,
      partitions: [partition(1, 2, 4), partition(0, 1, 3)],
    },
    { errorCode: 3, name: 'missing', partitions: [] },
    { errorCode: 0, name: 'no-leader', partitions: [partition(0, -1, 5, 5)] },
    { errorCode: 0, name: 'gone-leader', partitions: [partition(0, 7, 1)] },
    { errorCode: 0, name: null, partitions: [partition(0, 1, 1)] },
    { errorCode: 0, name: 'weird', partitions: [partition(-4, 1, 1), partition(2, 1, 1)] },
  ],
};

describe('ClusterMetadata', () => {
  const snapshot = ClusterMetadata.empty().update(response, 1234);

  it('lists brokers with their racks, the cluster id and the controller', () => {
    expect(snapshot.broker(1)).toEqual({ nodeId: 1, host: 'b1', port: 9092, rack: 'r1' });
    expect(snapshot.broker(2)?.rack).toBeNull();
    expect([snapshot.clusterId, snapshot.controllerId, snapshot.updatedAt]).toEqual(['c', 2, 1234]);
  });

  it('indexes partitions by number whatever their order in the response, with replicas and epochs', () => {
    expect(snapshot.partition('a', 0)).toMatchObject({
      leaderId: 1,
      leaderEpoch: 3,
      replicaNodes: [1, 2],
      isrNodes: [1],
    });
    expect(snapshot.partition('a', 1)).toMatchObject({ leaderId: 2, leaderEpoch: 4, offlineReplicas: [2] });
    expect(snapshot.leaderFor('a', 1)?.host).toBe('b2');
  });

  it('maps topic ids to names and treats the all-zero id as none', () => {
    expect(snapshot.topic('a')?.topicId).toBe('AAAAAAAAAAAAAAAAAAAAAQ');
    expect(snapshot.topicName('AAAAAAAAAAAAAAAAAAAAAQ')).toBe('a');
    expect(snapshot.topic('missing')?.topicId).toBeNull();
  });

  it('keeps partial metadata usable: errors, missing leaders and unknown leader ids give no leader', () => {
    expect(snapshot.topic('missing')).toMatchObject({ errorCode: 3, partitions: [] });
    expect(snapshot.leaderFor('missing', 0)).toBeUndefined();
    expect(snapshot.leaderFor('no-leader', 0)).toBeUndefined();
    expect(snapshot.partition('no-leader', 0)?.errorCode).toBe(5);
    expect(snapshot.leaderFor('gone-leader', 0)).toBeUndefined();
    expect(snapshot.leaderFor('unknown', 0)).toBeUndefined();
    expect(snapshot.leaderFor('a', 9)).toBeUndefined();
  });

  it('skips entries it cannot use instead of failing the whole response', () => {
    expect([...snapshot.topics.keys()]).not.toContain(null);
    expect(snapshot.topic('weird')?.partitions[2]?.leaderId).toBe(1);
    expect(snapshot.topic('weird')?.partitions.filter(Boolean)).toHaveLength(1);
  });

  it('keeps topics missing from a partial refresh, and drops them when every topic was asked for', () => {
    const partial: MetadataResponseLike = { brokers: response.brokers, topics: [response.topics[0]!] };
    expect(snapshot.update(partial, 2000).topic('missing')).toBeDefined();
    expect(snapshot.update(partial, 2000, true).topic('missing')).toBeUndefined();
  });

  it('keeps a partition whose new leader epoch is older than the cached one, unless the topic was recreated', () => {
    const older: MetadataResponseLike = {
      brokers: response.brokers,
      topics: [
        {
          errorCode: 0,
          name: 'a',
          topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
          partitions: [partition(0, 2, 2), partition(1, 1, 9)],
        },
      ],
    };
    const next = snapshot.update(older, 3000);
    expect(next.partition('a', 0)).toMatchObject({ leaderId: 1, leaderEpoch: 3 });
    expect(next.partition('a', 1)).toMatchObject({ leaderId: 1, leaderEpoch: 9 });
    const recreated = snapshot.update(
      { ...older, topics: [{ ...older.topics[0]!, topicId: 'AAAAAAAAAAAAAAAAAAAAAg' }] },
      3000,
    );
    expect(recreated.partition('a', 0)).toMatchObject({ leaderId: 2, leaderEpoch: 2 });
  });
});
