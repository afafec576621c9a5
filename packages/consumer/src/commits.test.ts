import type { GroupGeneration } from '@runnel/group';
import type { FakeAnswer, ReceivedRequest } from '@runnel/network/testing';
import { KafkaProtocolError, OffsetCommit } from '@runnel/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { AssignedPartition } from './assigned-partition.js';
import { Commits } from './commits.js';
import type { ConsumerConfig } from './config.js';
import { CommitFailedError, ConsumerTimeoutError, IllegalStateError, NotAssignedError } from './errors.js';
import { deadlineIn } from './retry.js';
import { commitAnswer, FakeKafka, sentCommits, settle } from './test-support/fake-kafka.js';

const kafkas: FakeKafka[] = [];
afterEach(async () => {
  await Promise.all(kafkas.splice(0).map((k) => k.close()));
});

/** A membership for commits under a group: its generation, and the commit errors it was told of. */
class FakeGroup {
  generationId = 4;
  readonly commitErrors: Array<[number, number]> = [];
  generation(): GroupGeneration {
    return {
      groupId: 'g',
      generationId: this.generationId,
      memberId: 'm-1',
      groupInstanceId: null,
      protocolName: null,
    };
  }
  onCommitError(code: number, generationId: number): void {
    this.commitErrors.push([code, generationId]);
  }
}

/** Commits of group `g` over a fake Kafka, for partitions 0-2 of `t`, under `group` (null: assign). */
function setup(config: Partial<ConsumerConfig> = {}, group: FakeGroup | null = null) {
  const kafka = new FakeKafka({ groupId: 'g', ...config });
  kafkas.push(kafka);
  const partitions = new Map<string, AssignedPartition>();
  for (const n of [0, 1, 2]) {
    const p = new AssignedPartition('t', n);
    partitions.set(p.key, p);
  }
  const state = { running: true };
  const commits = new Commits(kafka.context, {
    partitions,
    group: () => group,
    isRunning: () => state.running,
  });
  const [p0, p1, p2] = [...partitions.values()] as [AssignedPartition, AssignedPartition, AssignedPartition];
  const deadline = () => deadlineIn(kafka.clock, kafka.context.config.defaultApiTimeoutMs);
  return { kafka, commits, partitions, p0, p1, p2, state, deadline };
}

/** Answers OffsetCommit only when the test calls the returned functions, one per request. */
function heldAnswers(kafka: FakeKafka): Array<(errorCode?: number) => void> {
  const release: Array<(errorCode?: number) => void> = [];
  kafka.on(
    OffsetCommit,
    (request: ReceivedRequest) =>
      new Promise<FakeAnswer>((resolve) => {
        release.push((errorCode = 0) => resolve(commitAnswer(request, errorCode)));
      }),
  );
  return release;
}

/** The group takes `p` away (revoked or lost): it leaves the assigned partitions. */
function lose(partitions: Map<string, AssignedPartition>, p: AssignedPartition): void {
  partitions.delete(p.key);
  p.revoked = true;
}

/** Expects `error` to be a CommitFailedError naming exactly `refused` of `t`, as no longer assigned. */
function expectNotAssigned(error: unknown, ...refused: number[]): void {
  expect(error).toBeInstanceOf(CommitFailedError);
  expect((error as CommitFailedError).failures.map((f) => [f.partition, f.error])).toEqual(
    refused.map((n) => [n, new NotAssignedError('t', n)]),
  );
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('Commits', () => {
  it('commits the consumed position of each partition that moved since its last commit, with its leader epoch', async () => {
    const { kafka, commits, p0, p1, deadline } = setup();
    kafka.on(OffsetCommit, (r) => commitAnswer(r));
    p0.consumed = { offset: 5, leaderEpoch: 7 };
    p1.consumed = { offset: 3, leaderEpoch: 7 };
    p1.committedOffset = 3;
    kafka.clock.advance(1_234);
    await commits.commit(undefined, deadline());
    const [request] = kafka.requests(OffsetCommit);
    expect(sentCommits(request!)).toEqual([
      { topic: 't', partition: 0, offset: 5, leaderEpoch: 7, generation: -1 },
    ]);
    expect(p0.committedOffset).toBe(5);
    expect([commits.lastCommitAt, commits.lastCommitError]).toEqual([1_234, null]);

    await commits.commit(undefined, deadline());
    expect(kafka.requests(OffsetCommit)).toHaveLength(1);
  });

  it('sends one commit at a time in call order, so an older commit never lands after a newer one', async () => {
    const { kafka, commits, p0, deadline } = setup();
    const release = heldAnswers(kafka);
    p0.consumed = { offset: 10, leaderEpoch: 7 };
    const first = commits.commit(undefined, deadline());
    const second = commits.commit([{ topic: 't', partition: 0, offset: 4 }], deadline());
    await settle();
    expect(kafka.requests(OffsetCommit).map((r) => sentCommits(r)[0]!.offset)).toEqual([10]);
    release[0]!();
    await first;
    await settle();
    expect(kafka.requests(OffsetCommit).map((r) => sentCommits(r)[0]!.offset)).toEqual([10, 4]);
    release[1]!();
    await second;
    expect(p0.committedOffset).toBe(4);
  });

  it('auto-commits every autoCommit.intervalMs, counted from the end of the commit before', async () => {
    const { kafka, commits, p0, state } = setup({ autoCommit: { intervalMs: 1_000 } });
    const release = heldAnswers(kafka);
    p0.consumed = { offset: 1, leaderEpoch: 7 };
    commits.startAutoCommit();
    commits.startAutoCommit();
    await kafka.pass(999);
    expect(kafka.requests(OffsetCommit)).toHaveLength(0);
    await kafka.pass(1);
    expect(kafka.requests(OffsetCommit)).toHaveLength(1);
    // The coordinator takes 300 ms to answer: the next commit is due 1 000 ms after that.
    await kafka.pass(300);
    p0.consumed = { offset: 2, leaderEpoch: 7 };
    release[0]!();
    await settle();
    await kafka.pass(999);
    expect(kafka.requests(OffsetCommit)).toHaveLength(1);
    await kafka.pass(1);
    expect(kafka.requests(OffsetCommit).map((r) => sentCommits(r)[0]!.offset)).toEqual([1, 2]);
    release[1]!();
    await settle();
    // Stopped (close): no commit follows.
    commits.stopAutoCommit();
    state.running = false;
    p0.consumed = { offset: 3, leaderEpoch: 7 };
    await kafka.pass(5_000);
    expect(kafka.requests(OffsetCommit)).toHaveLength(2);
  });

  it('retries a retriable error with backoff until the deadline, then fails with ConsumerTimeoutError whose cause is that error', async () => {
    const { kafka, commits, p0 } = setup({ retryBackoffMs: 100 });
    const sentAt: number[] = [];
    kafka.on(OffsetCommit, (r) => {
      sentAt.push(kafka.clock.now());
      return commitAnswer(r, 14); // COORDINATOR_LOAD_IN_PROGRESS
    });
    p0.consumed = { offset: 8, leaderEpoch: 7 };
    const failed = rejection(commits.commit(undefined, deadlineIn(kafka.clock, 3_000)));
    await settle();
    await kafka.pass(4_000, 50);
    const error = await failed;
    // backoffMs: 100, 200, 400, 800, then the 1 s cap; the next wait would pass the deadline.
    expect(sentAt).toEqual([0, 100, 300, 700, 1_500, 2_500]);
    expect(error).toBeInstanceOf(ConsumerTimeoutError);
    expect(error).toMatchObject({ operation: 'OffsetCommit', timeoutMs: 3_000 });
    expect((error as Error).message).toContain('within 3000 ms');
    expect((error as Error).cause).toBeInstanceOf(KafkaProtocolError);
    expect((error as Error).cause).toMatchObject({ errorName: 'COORDINATOR_LOAD_IN_PROGRESS' });
    expect(commits.lastCommitError).toBe(error);
    expect(p0.committedOffset).toBeNull();
  });

  it('fails with CommitFailedError naming a partition the coordinator refused, and clears the error after a later success', async () => {
    const { kafka, commits, p0, deadline } = setup();
    kafka.on(OffsetCommit, (r) => commitAnswer(r, 22)); // ILLEGAL_GENERATION
    p0.consumed = { offset: 8, leaderEpoch: 7 };
    const error = await rejection(commits.commit(undefined, deadline()));
    expect(error).toBeInstanceOf(CommitFailedError);
    expect((error as CommitFailedError).failures.map((f) => [f.topic, f.partition])).toEqual([['t', 0]]);
    expect(commits.lastCommitError).toBe(error);
    kafka.on(OffsetCommit, (r) => commitAnswer(r));
    await commits.commit(undefined, deadline());
    expect(commits.lastCommitError).toBeNull();
    expect(p0.committedOffset).toBe(8);
  });

  it('under a group, commits with the member’s generation, tells it of refused commits, and never commits a partition no longer assigned', async () => {
    const group = new FakeGroup();
    const { kafka, commits, partitions, p0, p1, deadline } = setup({}, group);
    kafka.on(OffsetCommit, (r) => commitAnswer(r));
    p0.consumed = { offset: 3, leaderEpoch: 7 };
    // t-7 is not this member's: the rest is committed, and the call fails naming it.
    const refused = await rejection(
      commits.commit(
        [
          { topic: 't', partition: 1, offset: 9 },
          { topic: 't', partition: 7, offset: 9 },
        ],
        deadline(),
      ),
    );
    expect(sentCommits(kafka.requests(OffsetCommit)[0]!)).toEqual([
      { topic: 't', partition: 1, offset: 9, leaderEpoch: -1, generation: 4 },
    ]);
    expect(p1.committedOffset).toBe(9);
    expectNotAssigned(refused, 7);
    partitions.delete(p0.key);
    await commits.commit(undefined, deadline());
    expect(kafka.requests(OffsetCommit)).toHaveLength(1);

    kafka.on(OffsetCommit, (r) => commitAnswer(r, 25)); // UNKNOWN_MEMBER_ID
    await rejection(commits.commit([{ topic: 't', partition: 1, offset: 10 }], deadline()));
    expect(group.commitErrors).toEqual([[25, 4]]);
  });

  it('under the consumer protocol, retries STALE_MEMBER_EPOCH with the member’s newer epoch', async () => {
    const group = new FakeGroup();
    const { kafka, commits, deadline } = setup({ groupProtocol: 'consumer' }, group);
    kafka.on(OffsetCommit, (r) => {
      if (sentCommits(r)[0]!.generation === 4) {
        group.generationId = 5;
        return commitAnswer(r, 113); // STALE_MEMBER_EPOCH
      }
      return commitAnswer(r);
    });
    const done = commits.commit([{ topic: 't', partition: 2, offset: 1 }], deadline());
    await kafka.pass(1_000, 50);
    await done;
    expect(kafka.requests(OffsetCommit).map((r) => sentCommits(r)[0]!.generation)).toEqual([4, 5]);
  });

  it('never sends a commit that waited behind another for a partition lost meanwhile, and names it in CommitFailedError', async () => {
    const group = new FakeGroup();
    const { kafka, commits, partitions, p0, p1, deadline } = setup({}, group);
    const release = heldAnswers(kafka);
    p1.consumed = { offset: 4, leaderEpoch: 7 };
    const first = commits.commit(undefined, deadline());
    const second = rejection(
      commits.commit(
        [
          { topic: 't', partition: 0, offset: 12 },
          { topic: 't', partition: 1, offset: 5 },
        ],
        deadline(),
      ),
    );
    await settle();
    // The group takes t-0 away (fenced: lost) while the first commit waits for its answer.
    lose(partitions, p0);
    release[0]!();
    await first;
    await settle();
    release[1]!();
    const error = await second;
    expect(kafka.requests(OffsetCommit).map((r) => sentCommits(r).map((c) => c.partition))).toEqual([
      [1],
      [1],
    ]);
    expectNotAssigned(error, 0);
  });

  it('under the consumer protocol, never retries a commit under a newer epoch for a partition held anew since it was asked', async () => {
    const group = new FakeGroup();
    const { kafka, commits, partitions, p0, deadline } = setup({ groupProtocol: 'consumer' }, group);
    let calls = 0;
    kafka.on(OffsetCommit, (r) => {
      calls++;
      if (calls > 1) return commitAnswer(r);
      // The coordinator goes quiet; meanwhile the member is fenced, rejoins under epoch 5 and gets
      // t-0 back: a new tenure, whose position comes from the group's commits, not from this one.
      lose(partitions, p0);
      const again = new AssignedPartition('t', 0);
      partitions.set(again.key, again);
      group.generationId = 5;
      return { disconnect: true };
    });
    p0.consumed = { offset: 30, leaderEpoch: 7 };
    const outcome = rejection(commits.commit(undefined, deadline()));
    await kafka.pass(2_000, 50);
    const error = await outcome;
    expect(
      kafka.requests(OffsetCommit).map((r) => sentCommits(r).map((c) => [c.partition, c.generation])),
    ).toEqual([[[0, 4]]]);
    expectNotAssigned(error, 0);
  });

  it('under the consumer protocol, answers STALE_MEMBER_EPOCH for a partition lost meanwhile with CommitFailedError, not a retry', async () => {
    const group = new FakeGroup();
    const { kafka, commits, partitions, p2, deadline } = setup({ groupProtocol: 'consumer' }, group);
    kafka.on(OffsetCommit, (r) => {
      lose(partitions, p2);
      group.generationId = 5;
      return commitAnswer(r, 113); // STALE_MEMBER_EPOCH
    });
    const outcome = rejection(commits.commit([{ topic: 't', partition: 2, offset: 1 }], deadline()));
    await kafka.pass(2_000, 50);
    const error = await outcome;
    expect(kafka.requests(OffsetCommit)).toHaveLength(1);
    expectNotAssigned(error, 2);
  });

  it('under the consumer protocol, never sends a commit while the member has no epoch (fenced, its loss not handled yet)', async () => {
    const group = new FakeGroup();
    const { kafka, commits, p0, deadline } = setup({ groupProtocol: 'consumer' }, group);
    let calls = 0;
    kafka.on(OffsetCommit, (r) => {
      calls++;
      if (calls > 1) return commitAnswer(r);
      // The coordinator expired the member: it learns so from a heartbeat while this commit is lost
      // on the way. Until the loss is handled it still holds t-0, but with no epoch (-1 on the wire,
      // which a coordinator whose group has emptied accepts).
      group.generationId = -1;
      return { disconnect: true };
    });
    p0.consumed = { offset: 30, leaderEpoch: 7 };
    const outcome = rejection(commits.commit(undefined, deadline()));
    await kafka.pass(2_000, 50);
    const error = await outcome;
    expect(kafka.requests(OffsetCommit).map((r) => sentCommits(r).map((c) => c.generation))).toEqual([[4]]);
    expectNotAssigned(error, 0);
  });

  it('under the classic protocol, never sends a commit while the member has no generation (fenced, its loss not handled yet)', async () => {
    const group = new FakeGroup();
    const { kafka, commits, p0, deadline } = setup({}, group);
    kafka.on(OffsetCommit, (r) => commitAnswer(r));
    // UNKNOWN_MEMBER_ID reset the generation (and member id); the member still holds t-0 until the
    // consumer handles the loss.
    group.generationId = -1;
    p0.consumed = { offset: 30, leaderEpoch: 7 };
    const error = await rejection(commits.commit(undefined, deadline()));
    expect(kafka.requests(OffsetCommit)).toHaveLength(0);
    expectNotAssigned(error, 0);
  });

  it('refuses to commit without a groupId, at once', () => {
    const kafka = new FakeKafka();
    kafkas.push(kafka);
    const commits = new Commits(kafka.context, {
      partitions: new Map(),
      group: () => null,
      isRunning: () => true,
    });
    expect(() => commits.commit(undefined, deadlineIn(kafka.clock, 1_000))).toThrow(IllegalStateError);
  });
});
