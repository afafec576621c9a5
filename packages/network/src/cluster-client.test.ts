import {
  ErrorCode,
  Heartbeat,
  type HeartbeatResponse,
  KafkaProtocolError,
  ListOffsets,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type MetadataResponse,
  UnsupportedVersionError,
} from '@runnel/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterClient, type ClusterClientOptions, CoordinatorType } from './cluster-client.js';
import { ConnectionError, DeadlineExceededError } from './errors.js';
import { AutoAdvanceClock, FakeCluster, type ReceivedRequest } from './testing/fake-cluster.js';

const METADATA = 3;
const LIST_OFFSETS = 2;
const FIND_COORDINATOR = 10;
const HEARTBEAT = 12;
const API_VERSIONS = 18;

interface PartitionState {
  leader: number;
  epoch: number;
  error?: number;
}

/** A metadata response for brokers 1..n on hosts b1..bn and the given partitions of topic `t`. */
function metadataResponse(brokers: number[], partitions: PartitionState[], topicError = 0): MetadataResponse {
  return {
    brokers: brokers.map((id) => ({ nodeId: id, host: `b${id}`, port: 9092, rack: null })),
    clusterId: 'cluster-1',
    controllerId: brokers[0] ?? -1,
    topics: [
      {
        errorCode: topicError,
        name: 't',
        topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
        isInternal: false,
        partitions:
          topicError === 0
            ? partitions.map((p, i) => ({
                errorCode: p.error ?? 0,
                partitionIndex: i,
                leaderId: p.leader,
                leaderEpoch: p.epoch,
                replicaNodes: brokers,
                isrNodes: brokers,
                offlineReplicas: [],
              }))
            : [],
      },
    ],
  };
}

function listOffsetsAnswer(errorCode: number, offset = 0n): { response: ListOffsetsResponse } {
  return {
    response: {
      topics: [
        { name: 't', partitions: [{ partitionIndex: 0, errorCode, timestamp: -1n, offset, leaderEpoch: 0 }] },
      ],
    },
  };
}

const listOffsetsRequest: ListOffsetsRequest = {
  replicaId: -1,
  topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
};

function listOffsets(client: ClusterClient, deadlineMs?: number): Promise<ListOffsetsResponse> {
  return client.send({
    target: { kind: 'leader', topic: 't', partition: 0 },
    api: ListOffsets,
    message: listOffsetsRequest,
    errorCode: (r) => r.topics[0]?.partitions[0]?.errorCode ?? 0,
    ...(deadlineMs !== undefined ? { deadlineMs } : {}),
  });
}

describe('ClusterClient', () => {
  let clock: AutoAdvanceClock;
  let cluster: FakeCluster;
  let client: ClusterClient;

  function start(options: Partial<ClusterClientOptions> = {}): ClusterClient {
    clock = new AutoAdvanceClock();
    cluster = new FakeCluster(clock);
    client = new ClusterClient({
      bootstrapServers: 'b1:9092',
      clock,
      random: () => 0.5,
      connectionFactory: cluster.factory,
      ...options,
    });
    return client;
  }

  afterEach(async () => {
    await client?.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('connects lazily, handshakes with ApiVersions, then learns the brokers from the bootstrap server', async () => {
    start();
    expect(cluster.connections).toHaveLength(0);
    cluster.handler = (r) =>
      r.apiKey === METADATA ? { response: metadataResponse([1, 2, 3], []) } : undefined;
    const snapshot = await client.refreshMetadata();
    expect([...snapshot.brokers.keys()]).toEqual([1, 2, 3]);
    expect(snapshot.clusterId).toBe('cluster-1');
    expect(cluster.received.map((r) => [r.broker, r.apiKey])).toEqual([
      ['b1:9092', API_VERSIONS],
      ['b1:9092', METADATA],
    ]);
    expect(cluster.received[0]?.message).toMatchObject({ clientSoftwareName: 'runnel' });
    expect([...client.pool.brokers.keys()]).toEqual([1, 2, 3]);
  });

  it('offers its snapshot in place of a fresh answer only while it is not stale, young enough and names every topic', async () => {
    start();
    cluster.handler = (r) =>
      r.apiKey === METADATA ? { response: metadataResponse([1], [{ leader: 1, epoch: 0 }]) } : undefined;
    const snapshot = await client.topicMetadata(['t']);
    expect(client.freshTopicMetadata(['t'], 1_000)).toBe(snapshot);
    expect(client.freshTopicMetadata(['t', 'other'], 1_000)).toBeNull();
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 1_000));
    expect(client.freshTopicMetadata(['t'], 1_000)).toBeNull();
    expect(client.freshTopicMetadata(['t'], 5_000)).toBe(snapshot);
    client.requestMetadataUpdate();
    expect(client.freshTopicMetadata(['t'], 5_000)).toBeNull();
  });

  it('never offers a snapshot in which an asked topic carries an error', async () => {
    start();
    cluster.handler = (r) =>
      r.apiKey === METADATA
        ? { response: metadataResponse([1], [], ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) }
        : undefined;
    const snapshot = await client.topicMetadata(['t']);
    expect(snapshot.topic('t')?.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(client.freshTopicMetadata(['t'], 60_000)).toBeNull();
    expect(client.freshTopicMetadata([], 60_000)).toBe(snapshot);
  });

  it('sends a partition request to the leader named by the metadata', async () => {
    start();
    cluster.handler = (r) => {
      if (r.apiKey === METADATA) return { response: metadataResponse([1, 2, 3], [{ leader: 2, epoch: 5 }]) };
      if (r.apiKey === LIST_OFFSETS) return listOffsetsAnswer(0, 42n);
      return undefined;
    };
    const response = await listOffsets(client);
    expect(response.topics[0]?.partitions[0]?.offset).toBe(42n);
    expect(cluster.requestsOf(LIST_OFFSETS).map((r) => r.broker)).toEqual(['b2:9092']);
    expect(cluster.requestsOf(METADATA)[0]?.message.topics).toEqual([expect.objectContaining({ name: 't' })]);
  });

  it('refreshes metadata after NOT_LEADER_OR_FOLLOWER and retries at the new leader', async () => {
    start();
    let leader = 1;
    cluster.handler = (r) => {
      if (r.apiKey === METADATA) return { response: metadataResponse([1, 2], [{ leader, epoch: leader }]) };
      if (r.apiKey === LIST_OFFSETS) {
        if (r.broker === 'b1:9092') {
          leader = 2; // the election happened; b1 tells the client it is no longer the leader
          return listOffsetsAnswer(6);
        }
        return listOffsetsAnswer(0, 7n);
      }
      return undefined;
    };
    const response = await listOffsets(client);
    expect(response.topics[0]?.partitions[0]?.offset).toBe(7n);
    expect(cluster.requestsOf(LIST_OFFSETS).map((r) => r.broker)).toEqual(['b1:9092', 'b2:9092']);
    expect(cluster.requestsOf(METADATA)).toHaveLength(2);
    expect(client.metadata.partition('t', 0)?.leaderEpoch).toBe(2);
  });

  it('waits through partial metadata (no leader, leader not among the brokers) without failing', async () => {
    start();
    const answers = [
      metadataResponse([1], [{ leader: -1, epoch: 0 }]),
      metadataResponse([1], [{ leader: 9, epoch: 1 }]),
      metadataResponse([1, 9], [{ leader: 9, epoch: 2 }]),
    ];
    cluster.handler = (r) => {
      if (r.apiKey === METADATA)
        return { response: answers.shift() ?? metadataResponse([1, 9], [{ leader: 9, epoch: 2 }]) };
      if (r.apiKey === LIST_OFFSETS) return listOffsetsAnswer(0, 1n);
      return undefined;
    };
    await listOffsets(client);
    expect(cluster.requestsOf(METADATA)).toHaveLength(3);
    expect(cluster.requestsOf(LIST_OFFSETS).map((r) => r.broker)).toEqual(['b9:9092']);
  });

  it('ignores a metadata answer whose leader epoch is older than the one already known', async () => {
    start();
    const answers = [
      metadataResponse([1, 2], [{ leader: 2, epoch: 8 }]),
      metadataResponse([1, 2], [{ leader: 1, epoch: 7 }]),
    ];
    cluster.handler = (r) => (r.apiKey === METADATA ? { response: answers.shift() } : undefined);
    await client.topicMetadata(['t']);
    await client.refreshMetadata();
    expect(client.metadata.partition('t', 0)).toMatchObject({ leaderId: 2, leaderEpoch: 8 });
  });

  it('surfaces a non-retriable error code at once as a typed KafkaProtocolError', async () => {
    start();
    cluster.handler = (r) => {
      if (r.apiKey === METADATA) return { response: metadataResponse([1], [{ leader: 1, epoch: 0 }]) };
      if (r.apiKey === LIST_OFFSETS) return listOffsetsAnswer(29); // TOPIC_AUTHORIZATION_FAILED
      return undefined;
    };
    const error = await listOffsets(client).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaProtocolError);
    expect(error).toMatchObject({ errorCode: 29, retriable: false });
    expect(cluster.requestsOf(LIST_OFFSETS)).toHaveLength(1);
  });

  it('retries a retriable error with growing backoff and gives up at the deadline', async () => {
    start({ retryBackoffMs: 100, retryBackoffMaxMs: 1000 });
    const times: number[] = [];
    cluster.handler = (r) => {
      if (r.apiKey === METADATA) return { response: metadataResponse([1], [{ leader: 1, epoch: 0 }]) };
      if (r.apiKey === LIST_OFFSETS) {
        times.push(clock.now());
        return listOffsetsAnswer(14); // COORDINATOR_LOAD_IN_PROGRESS: retriable, not metadata related
      }
      return undefined;
    };
    const error = await listOffsets(client, 2000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as DeadlineExceededError).cause).toMatchObject({ errorCode: 14 });
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps).toEqual([100, 200, 400, 800]);
  });

  it('reconnects after a broken connection and retries the request on the new one', async () => {
    start();
    let broken = false;
    cluster.handler = (r) => {
      if (r.apiKey === METADATA) return { response: metadataResponse([1], [{ leader: 1, epoch: 0 }]) };
      if (r.apiKey === LIST_OFFSETS) {
        if (!broken) {
          broken = true;
          return { disconnect: true };
        }
        return listOffsetsAnswer(0, 3n);
      }
      return undefined;
    };
    const response = await listOffsets(client);
    expect(response.topics[0]?.partitions[0]?.offset).toBe(3n);
    const toLeader = cluster.connectAttempts.filter((a) => a.broker === 'b1:9092');
    expect(toLeader.length).toBeGreaterThanOrEqual(2);
  });

  it('backs off exponentially between attempts to reach a broker that refuses connections', async () => {
    start({ reconnectBackoffMs: 50, reconnectBackoffMaxMs: 1000, retryBackoffMs: 1, retryBackoffMaxMs: 1 });
    cluster.down.add('b1:9092');
    const error = await client.refreshMetadata().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as DeadlineExceededError).cause).toBeInstanceOf(ConnectionError);
    const times = cluster.connectAttempts.map((a) => a.at);
    const gaps = times.slice(1, 6).map((t, i) => t - times[i]!);
    expect(gaps).toEqual([50, 100, 200, 400, 800]);
  });

  it('falls back to an older ApiVersions version when the broker answers UNSUPPORTED_VERSION', async () => {
    start();
    cluster.apiVersions.set(API_VERSIONS, [0, 2]);
    cluster.apiVersions.set(METADATA, [0, 12]);
    cluster.handler = (r) => (r.apiKey === METADATA ? { response: metadataResponse([1], []) } : undefined);
    await client.refreshMetadata();
    const handshakes = cluster.requestsOf(API_VERSIONS).map((r) => r.version);
    expect(handshakes).toEqual([5, 2]);
    expect(cluster.requestsOf(METADATA).map((r) => r.version)).toEqual([12]);
  });

  it('fails with UnsupportedVersionError when the broker does not offer the API', async () => {
    start();
    cluster.apiVersions.delete(HEARTBEAT);
    const error = await client
      .send({
        target: { kind: 'any' },
        api: Heartbeat,
        message: { groupId: 'g', generationId: 1, memberId: 'm' },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedVersionError);
    expect(error).toMatchObject({ apiName: 'Heartbeat', apiKey: HEARTBEAT, brokerVersions: null });
  });

  it('fails at once with UnsupportedVersionError naming both ranges when the broker does not reach minVersion, sending nothing', async () => {
    start();
    cluster.apiVersions.set(HEARTBEAT, [0, 2]);
    cluster.handler = (r) => (r.apiKey === METADATA ? { response: metadataResponse([1], []) } : undefined);
    const startedAt = clock.now();
    const error = await client
      .send({
        target: { kind: 'any' },
        api: Heartbeat,
        minVersion: 3,
        maxVersion: 4,
        message: { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null },
        errorCode: (r) => r.errorCode,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedVersionError);
    expect(error).toMatchObject({
      apiName: 'Heartbeat',
      apiKey: HEARTBEAT,
      brokerVersions: { minVersion: 0, maxVersion: 2 },
      clientVersions: { minVersion: 3, maxVersion: 4 },
    });
    expect((error as Error).message).toContain('broker supports 0-2, client supports 3-4');
    expect(cluster.requestsOf(HEARTBEAT)).toEqual([]);
    // No backoff was slept: the failure is not retried.
    expect(clock.now() - startedAt).toBe(0);
  });

  it('sends the highest version within [minVersion, maxVersion] that the broker offers', async () => {
    start();
    cluster.apiVersions.set(HEARTBEAT, [0, 4]);
    cluster.handler = (r) =>
      r.apiKey === HEARTBEAT ? { response: { throttleTimeMs: 0, errorCode: 0 } } : undefined;
    const built: number[] = [];
    const response: HeartbeatResponse = await client.send({
      target: { kind: 'any' },
      api: Heartbeat,
      minVersion: 3,
      maxVersion: 3,
      message: (version) => {
        built.push(version);
        return { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: 'i' };
      },
    });
    expect(response.errorCode).toBe(0);
    expect(built).toEqual([3]);
    expect(cluster.requestsOf(HEARTBEAT).map((r) => r.version)).toEqual([3]);
  });

  it('sends an any-broker request elsewhere than `avoid` while another broker is known, and there when none is', async () => {
    start();
    cluster.handler = (r) => {
      if (r.apiKey === METADATA) return { response: metadataResponse([1, 2, 3], []) };
      if (r.apiKey === HEARTBEAT) return { response: { throttleTimeMs: 0, errorCode: 0 } };
      return undefined;
    };
    await client.refreshMetadata();
    const heartbeat = (avoid: number) =>
      client.send({
        target: { kind: 'any', avoid },
        api: Heartbeat,
        message: { groupId: 'g', generationId: 1, memberId: 'm' },
      });
    // Without `avoid` all six go to broker 2, where the least loaded choice starts (random() is 0.5).
    for (let i = 0; i < 6; i++) await heartbeat(2);
    const to = cluster.requestsOf(HEARTBEAT).map((r) => r.broker);
    expect(to).toHaveLength(6);
    expect(to).not.toContain('b2:9092');

    await client.close();
    start();
    cluster.handler = (r) => {
      if (r.apiKey === METADATA) return { response: metadataResponse([2], []) };
      if (r.apiKey === HEARTBEAT) return { response: { throttleTimeMs: 0, errorCode: 0 } };
      return undefined;
    };
    await client.refreshMetadata();
    await heartbeat(2);
    expect(cluster.requestsOf(HEARTBEAT).map((r) => r.broker)).toEqual(['b2:9092']);
  });

  describe('coordinators', () => {
    function coordinatorHandler(nodeFor: (key: string) => number) {
      return (r: ReceivedRequest) => {
        if (r.apiKey === METADATA) return { response: metadataResponse([1, 2, 3], []) };
        if (r.apiKey === FIND_COORDINATOR) {
          const keys: string[] = r.version >= 4 ? r.message.coordinatorKeys : [r.message.key];
          const coordinators = keys.map((key) => ({
            key,
            nodeId: nodeFor(key),
            host: `b${nodeFor(key)}`,
            port: 9092,
            errorCode: 0,
            errorMessage: null,
          }));
          return r.version >= 4
            ? { response: { coordinators } }
            : {
                response: {
                  errorCode: 0,
                  nodeId: coordinators[0]!.nodeId,
                  host: coordinators[0]!.host,
                  port: 9092,
                },
              };
        }
        return undefined;
      };
    }

    /**
     * The coordinator starts on node `from`, which answers a heartbeat with NOT_COORDINATOR (16) and
     * moves it to node `to`; every other heartbeat succeeds.
     * @returns the handler, which answers the lookups too (they follow the move).
     */
    function movingCoordinator(from: number, to: number) {
      let coordinator = from;
      const base = coordinatorHandler(() => coordinator);
      const handler = (r: ReceivedRequest) => {
        if (r.apiKey !== HEARTBEAT) return base(r);
        if (r.broker !== `b${from}:9092` || coordinator !== from) {
          return { response: { errorCode: 0 } satisfies HeartbeatResponse };
        }
        coordinator = to;
        return { response: { errorCode: 16 } satisfies HeartbeatResponse };
      };
      return handler;
    }

    function coordinatorHeartbeat() {
      return client.send({
        target: { kind: 'coordinator', keyType: CoordinatorType.group, key: 'g' },
        api: Heartbeat,
        purpose: 'group',
        message: { groupId: 'g', generationId: 1, memberId: 'm' },
        errorCode: (r) => r.errorCode,
      });
    }

    it('batches lookups made together into one FindCoordinator request', async () => {
      start();
      cluster.handler = coordinatorHandler((key) => (key === 'g1' ? 1 : 2));
      const [a, b] = await Promise.all([
        client.findCoordinator(CoordinatorType.group, 'g1'),
        client.findCoordinator(CoordinatorType.group, 'g2'),
      ]);
      expect([a.nodeId, b.nodeId]).toEqual([1, 2]);
      const lookups = cluster.requestsOf(FIND_COORDINATOR);
      expect(lookups).toHaveLength(1);
      expect(lookups[0]?.message).toMatchObject({ keyType: 0, coordinatorKeys: ['g1', 'g2'] });
    });

    it('asks one key per request when the broker predates batched lookups', async () => {
      start();
      cluster.apiVersions.set(FIND_COORDINATOR, [0, 3]);
      cluster.handler = coordinatorHandler((key) => (key === 'g1' ? 1 : 3));
      const [a, b] = await Promise.all([
        client.findCoordinator(CoordinatorType.group, 'g1'),
        client.findCoordinator(CoordinatorType.group, 'g2'),
      ]);
      expect([a.nodeId, b.nodeId]).toEqual([1, 3]);
      expect(cluster.requestsOf(FIND_COORDINATOR).map((r) => [r.version, r.message.key])).toEqual([
        [3, 'g1'],
        [3, 'g2'],
      ]);
    });

    it('looks the coordinator up again after NOT_COORDINATOR and retries there', async () => {
      start();
      cluster.handler = movingCoordinator(1, 3);
      const response = await coordinatorHeartbeat();
      expect(response.errorCode).toBe(0);
      expect(cluster.requestsOf(HEARTBEAT).map((r) => r.broker)).toEqual(['b1:9092', 'b3:9092']);
      expect(cluster.requestsOf(FIND_COORDINATOR)).toHaveLength(2);
    });

    it('asks another broker where the coordinator is after forgetting one, then any broker again', async () => {
      start();
      const moving = movingCoordinator(2, 3);
      cluster.handler = moving;
      await client.refreshMetadata();
      expect((await coordinatorHeartbeat()).errorCode).toBe(0);
      expect(cluster.requestsOf(HEARTBEAT).map((r) => r.broker)).toEqual(['b2:9092', 'b3:9092']);
      // The first lookup went where the least loaded choice starts (broker 2, random() is 0.5); the one
      // after node 2 said NOT_COORDINATOR went elsewhere, since a thawed broker answers from its old group.
      const lookups = cluster.requestsOf(FIND_COORDINATOR).map((r) => r.broker);
      expect(lookups).toHaveLength(2);
      expect(lookups[0]).toBe('b2:9092');
      expect(lookups[1]).not.toBe('b2:9092');

      // Forgetting a coordinator remembered from elsewhere (the group member's) avoids its node too, for
      // one lookup: the retry after that lookup failed may ask it again.
      client.rememberCoordinator(CoordinatorType.group, 'g', {
        nodeId: 2,
        host: 'b2',
        port: 9092,
        rack: null,
      });
      client.invalidateCoordinator(CoordinatorType.group, 'g');
      client.invalidateCoordinator(CoordinatorType.group, 'h'); // never known: nothing to avoid
      let unavailable = 1;
      cluster.handler = (r) => {
        if (r.apiKey === FIND_COORDINATOR && unavailable-- > 0) {
          return {
            response: {
              coordinators: [{ key: 'g', nodeId: -1, host: '', port: -1, errorCode: 15, errorMessage: null }],
            },
          };
        }
        return moving(r);
      };
      expect((await client.findCoordinator(CoordinatorType.group, 'g')).nodeId).toBe(3);
      const later = cluster
        .requestsOf(FIND_COORDINATOR)
        .map((r) => r.broker)
        .slice(2);
      expect(later).toHaveLength(2);
      expect(later[0]).not.toBe('b2:9092');
      expect(later[1]).toBe('b2:9092');
    });
  });

  it('sends to a node a remembered coordinator names without waiting for the first metadata', async () => {
    start();
    cluster.handler = (r) => {
      if (r.apiKey === HEARTBEAT) return { response: { errorCode: 0 } satisfies HeartbeatResponse };
      if (r.apiKey === METADATA) return { response: metadataResponse([1, 2], []) };
      return undefined;
    };
    client.rememberCoordinator(CoordinatorType.group, 'g', { nodeId: 2, host: 'b2', port: 9092, rack: null });
    await client.send({
      target: { kind: 'broker', nodeId: 2 },
      api: Heartbeat,
      message: { groupId: 'g', generationId: 1, memberId: 'm' },
    });
    expect(cluster.received.map((r) => [r.broker, r.apiKey])).toEqual([
      ['b2:9092', API_VERSIONS],
      ['b2:9092', HEARTBEAT],
    ]);
    // A node nobody named yet still waits for the metadata that names it (then the bootstrap
    // connection that carried it, at node 1's address, is node 1's).
    await client.send({
      target: { kind: 'broker', nodeId: 1 },
      api: Heartbeat,
      message: { groupId: 'g', generationId: 1, memberId: 'm' },
    });
    expect(cluster.received.slice(2).map((r) => [r.broker, r.apiKey])).toEqual([
      ['b1:9092', API_VERSIONS],
      ['b1:9092', METADATA],
      ['b1:9092', HEARTBEAT],
    ]);
  });

  it('sends to a coordinator remembered from elsewhere without a FindCoordinator of its own', async () => {
    start();
    cluster.handler = (r) =>
      r.apiKey === HEARTBEAT ? { response: { errorCode: 0 } satisfies HeartbeatResponse } : undefined;
    client.rememberCoordinator(CoordinatorType.group, 'g', { nodeId: 2, host: 'b2', port: 9092, rack: null });
    // A negative node id is no coordinator: it is not kept.
    client.rememberCoordinator(CoordinatorType.group, 'h', {
      nodeId: -1,
      host: 'b9',
      port: 9092,
      rack: null,
    });
    await client.send({
      target: { kind: 'coordinator', keyType: CoordinatorType.group, key: 'g' },
      api: Heartbeat,
      message: { groupId: 'g', generationId: 1, memberId: 'm' },
    });
    expect(cluster.received.map((r) => [r.broker, r.apiKey])).toEqual([
      ['b2:9092', API_VERSIONS],
      ['b2:9092', HEARTBEAT],
    ]);
  });

  it('opens a warmed connection in the background, and the next request there reuses it', async () => {
    start();
    cluster.handler = (r) => (r.apiKey === LIST_OFFSETS ? listOffsetsAnswer(0) : undefined);
    const broker = { nodeId: 1, host: 'b1', port: 9092, rack: null };
    client.warmConnection(broker, 'fetch');
    client.warmConnection(broker, 'fetch');
    await new Promise((resolve) => setImmediate(resolve));
    expect(cluster.connections).toHaveLength(1);
    expect(cluster.requestsOf(API_VERSIONS)).toHaveLength(1);
    const ready = await client.pool.connection(broker, 'fetch');
    expect(ready.purpose).toBe('fetch');
    expect(cluster.connections).toHaveLength(1);
    // A broker that refuses is only recorded by the pool: nothing is thrown or left unhandled.
    cluster.down.add('b2:9092');
    client.warmConnection({ nodeId: 2, host: 'b2', port: 9092, rack: null }, 'fetch');
    await new Promise((resolve) => setImmediate(resolve));
    expect(cluster.connectAttempts.map((a) => a.broker)).toEqual(['b1:9092', 'b2:9092']);
  });

  it('keeps connections for different purposes apart', async () => {
    start();
    cluster.handler = (r) => {
      if (r.apiKey === METADATA) return { response: metadataResponse([1], [{ leader: 1, epoch: 0 }]) };
      if (r.apiKey === LIST_OFFSETS) return listOffsetsAnswer(0);
      return undefined;
    };
    await client.refreshMetadata();
    const broker = client.metadata.broker(1)!;
    const fetch = await client.pool.connection(broker, 'fetch');
    const group = await client.pool.connection(broker, 'group');
    const again = await client.pool.connection(broker, 'fetch');
    expect(fetch).toBe(again);
    expect(fetch.connection).not.toBe(group.connection);
    expect([fetch.purpose, group.purpose]).toEqual(['fetch', 'group']);
  });

  it('runs the authentication seam after ApiVersions and before any other request', async () => {
    const seen: string[] = [];
    start({
      authenticate: async (connection) => {
        seen.push(`auth ${connection.broker.host} after ${cluster.received.map((r) => r.apiKey).join(',')}`);
      },
    });
    cluster.handler = (r) => (r.apiKey === METADATA ? { response: metadataResponse([1], []) } : undefined);
    await client.refreshMetadata();
    expect(seen).toEqual([`auth b1 after ${API_VERSIONS}`]);
  });

  it('closes connections that stayed idle longer than the idle timeout', async () => {
    start({ idleTimeoutMs: 10_000 });
    cluster.handler = (r) => (r.apiKey === METADATA ? { response: metadataResponse([1], []) } : undefined);
    await client.refreshMetadata();
    const first = cluster.connections[0]!;
    expect(first.state).toBe('ready');
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 20_001));
    expect(first.state).toBe('closed');
  });

  it('refreshes metadata on its own every metadataMaxAgeMs once it has it', async () => {
    start({ metadataMaxAgeMs: 60_000 });
    cluster.handler = (r) => (r.apiKey === METADATA ? { response: metadataResponse([1], []) } : undefined);
    await client.refreshMetadata();
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 130_000));
    expect(cluster.requestsOf(METADATA)).toHaveLength(3);
    expect(client.metadata.updatedAt).toBe(120_000);
  });

  it('logs through the injected logger, with structured fields', async () => {
    const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
    const log = (level: string) => (obj: Record<string, unknown>, msg: string) =>
      lines.push({ level, obj, msg });
    start({ logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } });
    cluster.handler = (r) => (r.apiKey === METADATA ? { response: metadataResponse([1], []) } : undefined);
    await client.refreshMetadata();
    expect(lines).toContainEqual({
      level: 'debug',
      obj: { broker: 'b1:9092', nodeId: -1, purpose: 'default' },
      msg: 'broker connection ready',
    });
    expect(lines.find((l) => l.msg === 'metadata updated')?.obj).toMatchObject({
      brokers: 1,
      clusterId: 'cluster-1',
    });
  });
});
