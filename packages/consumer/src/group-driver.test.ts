import type { FakeAnswer, ReceivedRequest } from '@runnel/network/testing';
import {
  ConsumerGroupHeartbeat,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
  ErrorCode,
  Metadata,
} from '@runnel/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { TopicPartition } from './batch.js';
import type { ConsumerConfig } from './config.js';
import { GroupDriver } from './group-driver.js';
import { createGroupMember } from './group-member-factory.js';
import { FakeKafka, settle } from './test-support/fake-kafka.js';

const T_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const ORDERS_1 = 'AAAAAAAAAAAAAAAAAAAAAg';
const ORDERS_2 = 'AAAAAAAAAAAAAAAAAAAAAw';
const INTERVAL = 3_000;

const drivers: GroupDriver[] = [];
const kafkas: FakeKafka[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) d.close();
  await Promise.all(kafkas.splice(0).map((k) => k.close()));
});

/** A heartbeat answer: the member's epoch and, when it changes, its assignment (topic id -> partitions). */
function heartbeatOk(
  memberEpoch: number,
  assignment: Record<string, number[]> | null = null,
): ConsumerGroupHeartbeatResponse {
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    memberId: 'member-1',
    memberEpoch,
    heartbeatIntervalMs: INTERVAL,
    assignment:
      assignment === null
        ? null
        : {
            topicPartitions: Object.entries(assignment).map(([topicId, partitions]) => ({
              topicId,
              partitions,
            })),
          },
  };
}

const names = (ps: readonly TopicPartition[]) => ps.map((p) => `${p.topic}-${p.partition}`);

/**
 * A KIP-848 member of group `g` driven over a fake Kafka whose heartbeats `answer` answers (undefined:
 * left unanswered). The consumer's side records what it was told; `assigned` resolves when the test says.
 */
function setup(
  answer: (body: ConsumerGroupHeartbeatRequest, n: number) => ConsumerGroupHeartbeatResponse | undefined,
  config: Partial<ConsumerConfig> = {},
) {
  const kafka = new FakeKafka({ groupId: 'g', groupProtocol: 'consumer', ...config });
  kafkas.push(kafka);
  kafka.topics.set('t', { partitions: 2, topicId: T_ID });
  const heartbeats: ConsumerGroupHeartbeatRequest[] = [];
  kafka.on(ConsumerGroupHeartbeat, (r: ReceivedRequest): FakeAnswer | undefined => {
    heartbeats.push(r.message);
    const response = answer(r.message, heartbeats.length);
    return response ? { response } : undefined;
  });
  const told: string[] = [];
  const fatal: Error[] = [];
  const polling = { now: true };
  let finishAssigned: () => void = () => {};
  const driver = new GroupDriver(
    kafka.context,
    {
      assigned: (added, assignment) => {
        told.push(`assigned ${names(added)} of ${names(assignment)}`);
        return new Promise<void>((resolve) => {
          finishAssigned = resolve;
        });
      },
      revoked: async (ps) => void told.push(`revoked ${names(ps)}`),
      lost: async (ps) => void told.push(`lost ${names(ps)}`),
    },
    { fatal: (error) => void fatal.push(error), isPolling: () => polling.now },
    createGroupMember(kafka.context.config),
  );
  drivers.push(driver);
  return { kafka, driver, heartbeats, told, fatal, polling, finishAssigned: () => finishAssigned() };
}

describe('GroupDriver', () => {
  it('sends the member’s heartbeats and acknowledges an assignment only once the consumer handled it', async () => {
    const { kafka, driver, heartbeats, told, finishAssigned } = setup((_body, n) =>
      n === 1 ? heartbeatOk(1, { [T_ID]: [0, 1] }) : heartbeatOk(1),
    );
    driver.subscribeTo({ kind: 'topics', topics: ['t'] });
    await kafka.pass(10, 10);
    expect(heartbeats[0]).toMatchObject({ groupId: 'g', memberEpoch: 0, subscribedTopicNames: ['t'] });
    expect(told).toEqual(['assigned t-0,t-1 of t-0,t-1']);
    // The member waits for the consumer: no heartbeat says it owns the partitions yet.
    await kafka.pass(INTERVAL - 100, 100);
    expect(heartbeats.filter((h) => (h.topicPartitions?.length ?? 0) > 0)).toEqual([]);
    finishAssigned();
    await kafka.pass(10, 10);
    expect(heartbeats.at(-1)).toMatchObject({
      memberEpoch: 1,
      topicPartitions: [{ topicId: T_ID, partitions: [0, 1] }],
    });
    const { lastHeartbeatAt, ...membership } = driver.membership();
    expect(membership).toEqual({ state: 'STABLE', memberId: 'member-1', memberEpoch: 1 });
    // The acknowledging heartbeat was answered within the last pass of 10 ms.
    expect(kafka.clock.now() - lastHeartbeatAt!).toBeGreaterThanOrEqual(0);
    expect(kafka.clock.now() - lastHeartbeatAt!).toBeLessThanOrEqual(10);
  });

  it('heartbeats on the clock, every heartbeat interval the coordinator gave, and not before', async () => {
    const { kafka, driver, heartbeats } = setup(() => heartbeatOk(1));
    driver.subscribeTo({ kind: 'topics', topics: ['t'] });
    await kafka.pass(10, 10);
    expect(heartbeats).toHaveLength(1);
    await kafka.pass(INTERVAL - 20, 10);
    expect(heartbeats).toHaveLength(1);
    await kafka.pass(20, 10);
    expect(heartbeats).toHaveLength(2);
  });

  it('notes when the coordinator last accepted a heartbeat, which stays put while heartbeats go unanswered', async () => {
    const coordinator = { answering: true };
    const { kafka, driver, heartbeats } = setup(() => (coordinator.answering ? heartbeatOk(1) : undefined));
    expect(driver.membership().lastHeartbeatAt).toBeNull();
    driver.subscribeTo({ kind: 'topics', topics: ['t'] });
    await kafka.pass(INTERVAL + 20, 10);
    expect(heartbeats).toHaveLength(2);
    const acceptedAt = driver.membership().lastHeartbeatAt!;
    expect(kafka.clock.now() - acceptedAt).toBeLessThanOrEqual(20);
    coordinator.answering = false;
    await kafka.pass(3 * INTERVAL, 100);
    expect(driver.membership().lastHeartbeatAt).toBe(acceptedAt);
    expect(kafka.clock.now() - acceptedAt).toBeGreaterThanOrEqual(3 * INTERVAL);
  });

  it('subscribes a RegExp to the listed topics it matches, and lists again every metadataMaxAgeMs so new matches join', async () => {
    const { kafka, driver, heartbeats } = setup(() => heartbeatOk(1), { metadataMaxAgeMs: 10_000 });
    kafka.topics.set('orders-1', { partitions: 1, topicId: ORDERS_1 });
    kafka.topics.set('__orders-internal', { partitions: 1 });
    driver.subscribeTo({ kind: 'regexp', pattern: /^orders-/ });
    await kafka.pass(10, 10);
    const listings = () => kafka.requests(Metadata).filter((r) => r.message.topics === null).length;
    expect(listings()).toBe(1);
    expect(heartbeats[0]!.subscribedTopicNames).toEqual(['orders-1']);
    kafka.topics.set('orders-2', { partitions: 1, topicId: ORDERS_2 });
    await kafka.pass(9_980, 10);
    expect(listings()).toBe(1);
    await kafka.pass(20, 10);
    expect(listings()).toBe(2);
    await kafka.pass(INTERVAL, 100);
    const subscribed = new Set(heartbeats.map((h) => h.subscribedTopicNames?.join()));
    expect([...subscribed]).toEqual(['orders-1', 'orders-1,orders-2']);
  });

  it('matches a regex itself against the first listing when the broker has only heartbeat v0, never against a snapshot of the topics of interest', async () => {
    const { kafka, driver, heartbeats, fatal } = setup(() => heartbeatOk(1));
    kafka.cluster.apiVersions.set(ConsumerGroupHeartbeat.apiKey, [0, 0]);
    kafka.topics.set('orders-1', { partitions: 1, topicId: ORDERS_1 });
    kafka.topics.set('orders-2', { partitions: 1, topicId: ORDERS_2 });
    let release: () => void = () => {};
    const listed = new Promise<void>((resolve) => {
      release = resolve;
    });
    kafka.on(Metadata, async (r) => {
      if (r.message.topics === null) await listed;
      return { response: kafka.metadata(r.message) };
    });
    // A snapshot that holds one matching topic (the consumer asked for it earlier), and no listing yet.
    await kafka.context.client.topicMetadata(['orders-1', 't']);
    driver.subscribeTo({ kind: 'pattern', regex: 'orders-.*' });
    await kafka.pass(500, 10);
    // The v1 heartbeat carrying the regex never left; no join went out while the listing was awaited.
    expect(heartbeats).toEqual([]);
    release();
    await kafka.pass(20, 10);
    expect(heartbeats[0]).toMatchObject({
      memberEpoch: 0,
      subscribedTopicNames: ['orders-1', 'orders-2'],
    });
    expect(kafka.requests(ConsumerGroupHeartbeat).map((r) => r.version)).toEqual([0]);
    expect(fatal).toEqual([]);
  });

  it('lists again after max(100 ms, retryBackoffMs) when a listing fails, not a whole metadataMaxAgeMs later', async () => {
    const { kafka, driver, heartbeats } = setup(() => heartbeatOk(1), { metadataMaxAgeMs: 60_000 });
    kafka.topics.set('orders-1', { partitions: 1, topicId: ORDERS_1 });
    let listed = 0;
    kafka.on(Metadata, (r) => {
      if (r.message.topics !== null) return { response: kafka.metadata(r.message) };
      // The first listing is refused with a non-retriable error, which the client does not retry.
      return listed++ === 0
        ? { response: { ...kafka.metadata(r.message), errorCode: 29, topics: [] } }
        : { response: kafka.metadata(r.message) };
    });
    driver.subscribeTo({ kind: 'regexp', pattern: /^orders-/ });
    await kafka.pass(90, 10);
    expect([listed, heartbeats.length]).toEqual([1, 0]);
    await kafka.pass(20, 10);
    expect(listed).toBe(2);
    expect(heartbeats[0]!.subscribedTopicNames).toEqual(['orders-1']);
  });

  it('leaves with the member’s leave heartbeat and returns once the member is out, or at the deadline', async () => {
    const { kafka, driver, heartbeats } = setup((body) =>
      body.memberEpoch === -1 ? heartbeatOk(-1) : heartbeatOk(1),
    );
    driver.subscribeTo({ kind: 'topics', topics: ['t'] });
    await kafka.pass(10, 10);
    await driver.leave(kafka.clock.now() + 5_000);
    expect(heartbeats.at(-1)!.memberEpoch).toBe(-1);
    expect(driver.member.isOutOfGroup).toBe(true);

    const silent = setup((_body, n) => (n === 1 ? heartbeatOk(1) : undefined));
    silent.driver.subscribeTo({ kind: 'topics', topics: ['t'] });
    await silent.kafka.pass(10, 10);
    let left = false;
    const leaving = silent.driver.leave(silent.kafka.clock.now() + 2_000).then(() => {
      left = true;
    });
    await silent.kafka.pass(1_900, 100);
    expect(left).toBe(false);
    await silent.kafka.pass(200, 100);
    await leaving;
    expect(left).toBe(true);
  });

  it('leaves the group when the consumer stops polling for maxPollIntervalMs, and stays while it polls', async () => {
    const { kafka, driver, heartbeats, polling } = setup(
      (body) => heartbeatOk(body.memberEpoch === -1 ? -1 : 1),
      {
        maxPollIntervalMs: 20_000,
      },
    );
    driver.subscribeTo({ kind: 'topics', topics: ['t'] });
    await kafka.pass(30_000, 500);
    expect(heartbeats.some((h) => h.memberEpoch === -1)).toBe(false);
    polling.now = false;
    await kafka.pass(19_000, 500);
    expect(heartbeats.some((h) => h.memberEpoch === -1)).toBe(false);
    await kafka.pass(2_000, 500);
    expect(heartbeats.some((h) => h.memberEpoch === -1)).toBe(true);
  });

  it('reports an error the member cannot recover from to the consumer as fatal', async () => {
    const { kafka, driver, fatal } = setup(() => ({
      ...heartbeatOk(-1),
      errorCode: ErrorCode.GROUP_MAX_SIZE_REACHED,
    }));
    driver.subscribeTo({ kind: 'topics', topics: ['t'] });
    await kafka.pass(10, 10);
    await settle();
    expect(fatal.map((e) => e.name)).toEqual(['GroupMaxSizeReachedError']);
  });
});
