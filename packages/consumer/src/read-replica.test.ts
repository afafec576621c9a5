import { ClusterMetadata } from '@runnel/network';
import { describe, expect, it } from 'vitest';
import { isOnlineReplica, READ_REPLICA_MOVES, ReadReplica } from './read-replica.js';

describe('READ_REPLICA_MOVES', () => {
  it('goes back to the leader on every failure of the preferred replica, and resets only for the leader', () => {
    const cells = Object.fromEntries(
      Object.entries(READ_REPLICA_MOVES).map(([event, row]) => [
        event,
        `${row.leader.to}/${row.leader.effect} ${row.preferred.to}/${row.preferred.effect}`,
      ]),
    );
    // Per event: from the leader, then from the preferred replica.
    expect(cells).toEqual({
      named: 'preferred/none preferred/none',
      expired: 'leader/none leader/none',
      unlisted: 'leader/none leader/refreshMetadata',
      unreachable: 'leader/none leader/none',
      partitionError: 'leader/none leader/none',
      outOfRange: 'leader/resetOffset leader/none',
    });
  });
});

const listed = () => true;

describe('ReadReplica', () => {
  it('starts on the leader and follows a named replica until its lease ends', () => {
    const r = new ReadReplica();
    expect(r.preferred).toBeNull();
    expect(r.target(0, listed)).toEqual({ nodeId: null, effect: 'none' });
    r.follow(2, 1_000, 5_000);
    expect(r.preferred).toBe(2);
    expect(r.target(5_999, listed)).toEqual({ nodeId: 2, effect: 'none' });
    expect(r.target(6_000, listed)).toEqual({ nodeId: null, effect: 'none' });
    expect(r.preferred).toBeNull();
  });

  it('keeps the lease when the same replica is named again, and starts a new one for another', () => {
    const r = new ReadReplica();
    r.follow(2, 0, 5_000);
    r.follow(2, 4_000, 5_000);
    expect(r.target(5_000, listed).nodeId).toBeNull();
    r.follow(2, 5_000, 5_000);
    r.follow(3, 7_000, 5_000);
    expect(r.target(11_999, listed).nodeId).toBe(3);
    expect(r.target(12_000, listed).nodeId).toBeNull();
  });

  it('goes back to the leader and asks for fresh metadata when the replica is no longer listed', () => {
    const r = new ReadReplica();
    r.follow(2, 0, 5_000);
    const asked: number[] = [];
    const result = r.target(10, (id) => {
      asked.push(id);
      return false;
    });
    expect(asked).toEqual([2]);
    expect(result).toEqual({ nodeId: null, effect: 'refreshMetadata' });
    expect(r.preferred).toBeNull();
  });

  it('moves back to the leader only on failures of the preferred replica itself', () => {
    const r = new ReadReplica();
    r.follow(2, 0, 5_000);
    expect(r.failed('unreachable', 1)).toBe('none');
    expect(r.failed('partitionError', 3)).toBe('none');
    expect(r.preferred).toBe(2);
    expect(r.failed('partitionError', 2)).toBe('none');
    expect(r.preferred).toBeNull();
    r.follow(2, 0, 5_000);
    expect(r.failed('unreachable', 2)).toBe('none');
    expect(r.preferred).toBeNull();
  });

  it('resets the offset on out of range only when the leader said it', () => {
    const r = new ReadReplica();
    r.follow(2, 0, 5_000);
    expect(r.failed('outOfRange', 2)).toBe('none');
    expect(r.preferred).toBeNull();
    expect(r.failed('outOfRange', 1)).toBe('resetOffset');
    r.follow(2, 0, 5_000);
    // The leader still answers for a partition it named a replica for (a fetch sent before).
    expect(r.failed('outOfRange', 1)).toBe('resetOffset');
    expect(r.preferred).toBe(2);
  });
});

describe('isOnlineReplica', () => {
  const broker = (nodeId: number) => ({ nodeId, host: `b${nodeId}`, port: 9092, rack: `r${nodeId}` });
  const metadata = (brokers: number[], replicas: number[], offline: number[] = []) =>
    ClusterMetadata.empty().update(
      {
        brokers: brokers.map(broker),
        topics: [
          {
            errorCode: 0,
            name: 't',
            partitions: [
              {
                errorCode: 0,
                partitionIndex: 0,
                leaderId: 1,
                leaderEpoch: 3,
                replicaNodes: replicas,
                isrNodes: replicas,
                offlineReplicas: offline,
              },
            ],
          },
        ],
      },
      0,
    );

  it('needs the node listed as a broker and as an online replica of the partition', () => {
    expect(isOnlineReplica(metadata([1, 2, 3], [1, 2, 3]), 't', 0, 2)).toBe(true);
    expect(isOnlineReplica(metadata([1, 3], [1, 2, 3]), 't', 0, 2)).toBe(false);
    expect(isOnlineReplica(metadata([1, 2, 3], [1, 3]), 't', 0, 2)).toBe(false);
    expect(isOnlineReplica(metadata([1, 2, 3], [1, 2, 3], [2]), 't', 0, 2)).toBe(false);
    expect(isOnlineReplica(metadata([1, 2, 3], [1, 2, 3]), 't', 1, 2)).toBe(false);
    expect(isOnlineReplica(metadata([1, 2, 3], [1, 2, 3]), 'other', 0, 2)).toBe(false);
  });
});
