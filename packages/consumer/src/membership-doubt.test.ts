/**
 * A member cut off from its coordinator may have been expired and its partitions
 * handed to another member, who commits past where this one's fetches stand. The sequence the fault
 * suite's proxy-blackhole scenario met: a partition assigned before the group ever committed (position
 * 0 from the reset), its leader unreachable for a while, then the heartbeat connection breaks and the
 * leader answers a Fetch at 0 before the coordinator has said UNKNOWN_MEMBER_ID. Those records must
 * never be handed out: the next owner already processed and committed them.
 */
import { encodeAssignment } from '@runnel/assignors';
import { type FakeAnswer, FakeClock, type FakeHandler, type ReceivedRequest } from '@runnel/network/testing';
import {
  ConsumerGroupHeartbeat,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
  ErrorCode,
  Fetch,
  type FetchRequest,
  Heartbeat,
  type HeartbeatRequest,
  JoinGroup,
  type JoinGroupRequest,
  LeaveGroup,
  ListOffsets,
  OffsetFetch,
  SyncGroup,
} from '@runnel/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsumerBatch } from './batch.js';
import { Consumer } from './consumer.js';
import { closeOnFakeClock, committedAnswer, FakeKafka, listedAt, settle } from './test-support/fake-kafka.js';
import { records, response } from './test-support/fetcher-fake.js';

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const INTERVAL_MS = 1_000;
/** The classic member's session timeout (it sends it; consumer-protocol members learn nothing of it). */
const SESSION_MS = 10_000;

/** A heartbeat answer: `memberEpoch`, with partition 0 of `t` assigned when `assign`. */
function heartbeat(memberEpoch: number, assign: boolean, errorCode = 0): ConsumerGroupHeartbeatResponse {
  return {
    throttleTimeMs: 0,
    errorCode,
    errorMessage: null,
    memberId: errorCode === 0 ? 'm-1' : null,
    memberEpoch: errorCode === 0 ? memberEpoch : -1,
    heartbeatIntervalMs: errorCode === 0 ? INTERVAL_MS : 0,
    assignment: assign ? { topicPartitions: [{ topicId: TOPIC_ID, partitions: [0] }] } : null,
  };
}

/**
 * A group of one member over a fake Kafka: the coordinator answers heartbeats as `coordinator` says
 * (up, unreachable, or having expired the member); the group's committed offset of `t-0` is
 * `committed`; a Fetch waits until the test answers it (`fetches`).
 */
class Group {
  readonly kafka: FakeKafka;
  readonly consumer: Consumer;
  /** `hung`: heartbeats get no answer at all (a frozen broker), until the request times out. */
  coordinator: 'up' | 'unreachable' | 'hung' = 'up';
  committed = -1;
  /** The Fetch requests received, each with the function that answers it. */
  readonly fetches: Array<{ offset: number; answer: (records: Uint8Array | null) => void }> = [];
  private epoch = 0;
  /** The epoch the coordinator expired (answered UNKNOWN_MEMBER_ID from then on), or null. */
  private expired: number | null = null;

  /** The first batch handed out, once it is. */
  first: ConsumerBatch | null = null;
  /** The `event` field of every line logged at info or above. */
  readonly logged: string[] = [];
  private readonly note = (fields: Record<string, unknown>) => {
    if (typeof fields.event === 'string') this.logged.push(fields.event);
  };

  constructor(protocol: 'consumer' | 'classic' = 'consumer') {
    const clock = new FakeClock();
    this.kafka = new FakeKafka({}, clock);
    this.kafka.topics.clear();
    this.kafka.topics.set('t', { partitions: 1, topicId: TOPIC_ID });
    this.kafka.on(ConsumerGroupHeartbeat, (r) => this.onHeartbeat(r.message));
    this.answerClassic();
    this.kafka.on(OffsetFetch, (r) => committedAnswer(r, () => this.committed));
    this.kafka.on(ListOffsets, (r) => listedAt(r));
    this.kafka.on(Fetch, (r) => this.onFetch(r));
    this.consumer = new Consumer(
      {
        brokers: 'broker:9092',
        groupId: 'g',
        groupProtocol: protocol,
        ...(protocol === 'classic' ? { sessionTimeoutMs: SESSION_MS, heartbeatIntervalMs: INTERVAL_MS } : {}),
        autoOffsetReset: 'earliest',
        autoCommit: false,
        logger: { debug: () => {}, info: this.note, warn: this.note, error: this.note },
      },
      { clock, connectionFactory: this.kafka.cluster.factory, random: () => 0.5 },
    );
  }

  /** Answers to the heartbeats a hung coordinator holds, given once it thaws. */
  private readonly hung: Array<() => void> = [];

  /** The coordinator is reachable again, and has expired the member's current epoch meanwhile. */
  expire(): void {
    this.expired = this.epoch;
    this.thaw();
  }

  /** Lets the event loop run until `done` holds (or 200 turns passed). */
  async until(done: () => boolean): Promise<void> {
    for (let turn = 0; turn < 200 && !done(); turn++) await settle();
  }

  async close(): Promise<void> {
    this.thaw();
    await closeOnFakeClock(this.kafka, this.consumer);
  }

  /** The coordinator is reachable again and answers the heartbeats it held. */
  private thaw(): void {
    this.coordinator = 'up';
    for (const answer of this.hung.splice(0)) answer();
  }

  private onHeartbeat(m: ConsumerGroupHeartbeatRequest): ReturnType<FakeHandler> {
    if (m.memberEpoch < 0) return { response: heartbeat(m.memberEpoch, false) };
    if (this.coordinator === 'unreachable') return { disconnect: true };
    if (this.coordinator === 'hung')
      return new Promise((resolve) => this.hung.push(() => resolve(this.answerHeartbeat(m))));
    return this.answerHeartbeat(m);
  }

  /**
   * The classic coordinator: each JoinGroup starts a generation led by the member alone, SyncGroup
   * assigns `t-0`, heartbeats are answered as `coordinator` says (the expired generation is refused).
   */
  private answerClassic(): void {
    this.kafka.on(JoinGroup, (r) => {
      const m = r.message as JoinGroupRequest;
      const protocol = m.protocols[0]!;
      this.epoch++;
      const member = { memberId: 'm-1', groupInstanceId: null, metadata: protocol.metadata };
      return {
        response: {
          errorCode: 0,
          generationId: this.epoch,
          protocolType: 'consumer',
          protocolName: protocol.name,
          leader: 'm-1',
          skipAssignment: false,
          memberId: 'm-1',
          members: [member],
        },
      };
    });
    this.kafka.on(SyncGroup, () => ({
      response: {
        errorCode: 0,
        assignment: encodeAssignment({ partitions: [{ topic: 't', partition: 0 }] }),
      },
    }));
    this.kafka.on(LeaveGroup, () => ({ response: { errorCode: 0, members: [] } }));
    this.kafka.on(Heartbeat, (r) => {
      const m = r.message as HeartbeatRequest;
      const answer = (): FakeAnswer => ({
        response: { errorCode: m.generationId === this.expired ? ErrorCode.UNKNOWN_MEMBER_ID : 0 },
      });
      if (this.coordinator === 'unreachable') return { disconnect: true };
      if (this.coordinator === 'hung')
        return new Promise((resolve) => this.hung.push(() => resolve(answer())));
      return answer();
    });
  }

  /** How a reachable coordinator answers. */
  private answerHeartbeat(m: ConsumerGroupHeartbeatRequest): FakeAnswer {
    if (m.memberEpoch === 0) {
      this.epoch++;
      return { response: heartbeat(this.epoch, true) };
    }
    if (m.memberEpoch === this.expired) {
      return { response: heartbeat(-1, false, ErrorCode.UNKNOWN_MEMBER_ID) };
    }
    return { response: heartbeat(this.epoch, false) };
  }

  private onFetch(r: ReceivedRequest): ReturnType<FakeHandler> {
    const m = r.message as FetchRequest;
    const partition = m.topics[0]?.partitions[0];
    if (!partition) return undefined;
    return new Promise((resolve) => {
      this.fetches.push({
        offset: Number(partition.fetchOffset),
        answer: (batch) => resolve({ response: fetched(batch) }),
      });
    });
  }
}

/** @returns a Fetch answer holding `batch` for `t-0`, the topic named by id as Fetch v13+ does. */
function fetched(batch: Uint8Array | null) {
  const answer = response([{ partitionIndex: 0, records: batch }]);
  return { ...answer, responses: answer.responses.map((t) => ({ ...t, topicId: TOPIC_ID })) };
}

const groups: Group[] = [];

/** @returns a group whose member subscribed to `t`, reads its batches, and sent its first Fetch. */
async function subscribed(protocol: 'consumer' | 'classic' = 'consumer'): Promise<Group> {
  const g = new Group(protocol);
  groups.push(g);
  g.consumer.subscribe(['t']);
  void g.consumer
    .batches()
    .next()
    .then((b) => {
      if (!b.done) g.first = b.value;
    });
  await g.until(() => g.fetches.length === 1);
  return g;
}
afterEach(async () => {
  await Promise.all(groups.splice(0).map((g) => g.close()));
});

/** Another member, given `t-0` meanwhile, committed 5; the leader answers the Fetch at 0: nothing is handed out. */
async function nothingHandedOutFrom0(g: Group): Promise<void> {
  g.committed = 5;
  g.fetches[0]!.answer(records(0, 5));
  await g.kafka.pass(50, 10);
  expect(g.first).toBeNull();
}

/**
 * The coordinator thaws having expired the member: the partition is lost (with what was fetched from
 * 0) and comes back at the group's commit. The Fetch at 5 sent while in doubt may still be out: its
 * answer, or the next one's, is handed out.
 */
async function thawsExpiredAndResumesAtTheCommit(g: Group): Promise<void> {
  g.expire();
  await g.kafka.pass(2_000, 100);
  for (let i = 0; i < g.fetches.length && g.first === null; i++) {
    if (g.fetches[i]!.offset === 5) g.fetches[i]!.answer(records(5, 3));
    await g.until(() => g.first !== null || g.fetches.length > i + 1);
  }
  expect(g.first?.records.map((r) => r.offset)).toEqual([5, 6, 7]);
  expect(g.logged).toContain('membership_confirmed');
}

describe('a consumer-protocol member its coordinator may have expired', () => {
  it('hands out nothing fetched while its heartbeat fails, and starts its next tenure at the group’s commit', async () => {
    const g = await subscribed();
    // Assigned before anything was committed: it fetches from 0, and the leader holds the Fetch.
    expect(g.fetches[0]!.offset).toBe(0);

    // The coordinator's connection breaks; meanwhile the coordinator expires the member and another
    // member takes t-0 and commits 5. The leader answers the old Fetch before the member learns it.
    g.coordinator = 'unreachable';
    await g.kafka.pass(INTERVAL_MS, 100);
    expect(g.kafka.requests(ConsumerGroupHeartbeat).length).toBeGreaterThanOrEqual(2);
    g.committed = 5;
    g.fetches[0]!.answer(records(0, 5));
    await g.kafka.pass(50, 10);
    expect(g.first).toBeNull();
    expect(g.consumer.health().group?.membershipInDoubt).toBe(true);

    // The coordinator answers again: UNKNOWN_MEMBER_ID, the partition is lost, the member rejoins and
    // gets it back from the group's commit.
    g.expire();
    await g.kafka.pass(2_000, 100);
    await g.until(() => g.fetches.some((f) => f.offset === 5));
    expect(g.fetches.map((f) => f.offset)).toContain(5);
    expect(g.fetches.filter((f) => f.offset === 0)).toHaveLength(1);
    g.fetches.find((f) => f.offset === 5)!.answer(records(5, 3));
    await g.until(() => g.first !== null);
    expect(g.first).not.toBeNull();
    expect(g.first?.records.map((r) => r.offset)).toEqual([5, 6, 7]);
    expect(g.consumer.health().group?.membershipInDoubt).toBe(false);
  });

  it('hands out nothing while its heartbeat hangs for two heartbeat intervals (a frozen coordinator)', async () => {
    const g = await subscribed();

    // The coordinator freezes: the heartbeat sent now gets no answer until its request times out
    // (30 s), and the coordinator may expire the member meanwhile. Two intervals on, the leader answers.
    g.coordinator = 'hung';
    await g.kafka.pass(2 * INTERVAL_MS + 100, 100);
    expect(g.consumer.health().group?.membershipInDoubt).toBe(true);
    expect(g.logged).toContain('membership_in_doubt');
    await nothingHandedOutFrom0(g);

    // The hung heartbeat is refused once the coordinator thaws.
    await thawsExpiredAndResumesAtTheCommit(g);
  });
});

describe('a classic member its coordinator may have expired', () => {
  it('trusts its session while heartbeats hang a few intervals, and hands out nothing once the session could have run out', async () => {
    const g = await subscribed('classic');
    expect(g.fetches[0]!.offset).toBe(0);
    const frozenAt = g.kafka.clock.now();

    // It sent the session timeout itself: heartbeats hanging for a few intervals leave it sure.
    g.coordinator = 'hung';
    await g.kafka.pass(SESSION_MS - 3 * INTERVAL_MS, 100);
    expect(g.consumer.health().group?.membershipInDoubt).toBe(false);
    // One interval before the session could run out (counted from the last accepted heartbeat's send,
    // at most one interval before the freeze), it stops handing out; the coordinator may have given
    // t-0 to another member, who committed 5.
    await g.kafka.pass(frozenAt + SESSION_MS - INTERVAL_MS - g.kafka.clock.now(), 100);
    expect(g.consumer.health().group?.membershipInDoubt).toBe(true);
    expect(g.logged).toContain('membership_in_doubt');
    await nothingHandedOutFrom0(g);

    // The generation was expired: the member rejoins once.
    await thawsExpiredAndResumesAtTheCommit(g);
    expect(g.kafka.requests(JoinGroup).length).toBe(2);
  });
});
