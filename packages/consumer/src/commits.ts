/**
 * Commits: what is committable (the consumed position of each assigned partition that moved since its
 * last commit), one commit at a time in call order (an older commit never overwrites a newer one), the
 * auto-commit timer, and the last commit's time and error for `health()`. The commits on revocation
 * and on close are asked here too, so every OffsetCommit of a consumer passes this one queue.
 */
import type { TimerHandle } from '@runnel/network';
import { failure } from '@runnel/network';
import type { AssignedPartition } from './assigned-partition.js';
import { partitionKey } from './batch.js';
import type { ConsumerContext } from './context.js';
import { commitChannel, isTraced } from './diagnostics.js';
import { CommitFailedError, IllegalStateError, NotAssignedError } from './errors.js';
import type { GroupDriver } from './group-driver.js';
import { type CommitGeneration, commitOffsets, type OffsetToCommit } from './offset-requests.js';
import { type Deadline, deadlineIn } from './retry.js';

const NO_GENERATION: CommitGeneration = { generationId: -1, memberId: '', groupInstanceId: null };

/** What commits read of the rest of the consumer. */
export interface CommitsHost {
  /** The assigned partitions by key (the fetcher's). */
  readonly partitions: ReadonlyMap<string, AssignedPartition>;
  /** @returns the group driver under `subscribe` (its membership, told of commit errors), null under `assign`. */
  group(): Pick<GroupDriver, 'generation' | 'onCommitError'> | null;
  /** @returns whether the consumer still runs (the auto-commit timer stops when it does not). */
  isRunning(): boolean;
}

export class Commits {
  private queue: Promise<void> = Promise.resolve();
  private autoCommitTimer: TimerHandle | undefined;
  private lastAt: number | null = null;
  private lastError: Error | null = null;

  constructor(
    private readonly context: ConsumerContext,
    private readonly host: CommitsHost,
  ) {}

  /** @returns when (ms since the epoch) the last commit succeeded, or null. */
  get lastCommitAt(): number | null {
    return this.lastAt;
  }

  /** @returns why the last commit failed, or null when it succeeded (or none ran). */
  get lastCommitError(): Error | null {
    return this.lastError;
  }

  /**
   * @returns the consumed position of each partition of `only` (default: every assigned one) that
   *   moved since its last commit, as the offsets to commit.
   */
  committable(only?: readonly AssignedPartition[]): OffsetToCommit[] {
    const out: OffsetToCommit[] = [];
    for (const p of only ?? this.host.partitions.values()) {
      const consumed = p.consumed;
      if (consumed === null || consumed.offset === p.committedOffset) continue;
      out.push({
        topic: p.topic,
        partition: p.partition,
        offset: consumed.offset,
        leaderEpoch: consumed.leaderEpoch,
      });
    }
    return out;
  }

  /**
   * Commits `offsets`, or what is committable of `only` (default: every assigned partition), after
   * every commit asked before it. Under a group, an offset belongs to the tenure of its partition
   * when the commit is asked (for `offsets`: now; else when its turn comes): it is sent only while that
   * tenure lasts, so a partition revoked, lost or held anew since is never committed by it.
   * @returns once the coordinator stored them (at once when there is nothing to commit).
   * @throws IllegalStateError without `groupId` (at once); as a rejection, CommitFailedError for
   *   partitions the coordinator refused, and for those whose tenure ended (each a NotAssignedError,
   *   after the others are stored), ConsumerTimeoutError past `deadline`.
   */
  commit(
    offsets: readonly OffsetToCommit[] | undefined,
    deadline: Deadline,
    only?: readonly AssignedPartition[],
  ): Promise<void> {
    const groupId = this.context.config.groupId;
    if (groupId === null) throw new IllegalStateError('commit needs a groupId');
    const holders = offsets?.map((o) => this.host.partitions.get(partitionKey(o.topic, o.partition)));
    const run = () => this.commitNow(groupId, offsets, holders, deadline, only);
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Starts the auto-commit timer (`autoCommit` on, with a `groupId`); calling it again does nothing. */
  startAutoCommit(): void {
    const { config, clock } = this.context;
    if (!config.autoCommit || config.groupId === null || this.autoCommitTimer !== undefined) return;
    const tick = () => {
      this.autoCommitTimer = undefined;
      if (!this.host.isRunning()) return;
      this.commit(undefined, deadlineIn(clock, config.defaultApiTimeoutMs))
        .catch((error: unknown) =>
          config.logger.warn(failure('auto_commit_failed', error), 'auto-commit failed'),
        )
        .finally(() => {
          // The interval counts from the end of a commit, so that a slow coordinator never gets two.
          if (this.host.isRunning())
            this.autoCommitTimer = clock.setTimeout(tick, config.autoCommitIntervalMs);
        });
    };
    this.autoCommitTimer = clock.setTimeout(tick, config.autoCommitIntervalMs);
  }

  /** Stops the auto-commit timer (close). */
  stopAutoCommit(): void {
    if (this.autoCommitTimer !== undefined) this.context.clock.clearTimeout(this.autoCommitTimer);
    this.autoCommitTimer = undefined;
  }

  private async commitNow(
    groupId: string,
    offsets: readonly OffsetToCommit[] | undefined,
    holders: readonly (AssignedPartition | undefined)[] | undefined,
    deadline: Deadline,
    only: readonly AssignedPartition[] | undefined,
  ): Promise<void> {
    const { partitions } = this.host;
    const group = this.host.group();
    const list: OffsetToCommit[] = offsets ? [...offsets] : this.committable(only);
    if (list.length === 0) return;
    // The tenure each offset was asked under: the AssignedPartition then holding its partition.
    const tenure = new Map<OffsetToCommit, AssignedPartition | undefined>(
      list.map((o, i) => [o, offsets ? holders?.[i] : partitions.get(partitionKey(o.topic, o.partition))]),
    );
    const kip848 = this.context.config.groupProtocol === 'consumer';
    // A tenure commits only under a generation (classic) or epoch (consumer protocol): a member without
    // one was fenced and its loss is not handled yet, and a commit under -1 would pass wherever the
    // group has emptied meanwhile, for offsets it no longer owns (Java refuses a commit outside an
    // active generation).
    const holds = (o: OffsetToCommit) => {
      const p = tenure.get(o);
      if (p === undefined || p.revoked || partitions.get(p.key) !== p) return false;
      return (group?.generation().generationId ?? -1) > 0;
    };
    // Under KIP-848 the member epoch moves while reconciling: each attempt reads the current one
    // (and `holds` keeps that from reaching a partition that changed hands).
    const generation: CommitGeneration | (() => CommitGeneration) = !group
      ? NO_GENERATION
      : kip848
        ? () => group.generation()
        : group.generation();
    const started = this.context.clock.now();
    try {
      const send = () =>
        commitOffsets(this.context, groupId, generation, list, deadline, {
          onPartitionError: (code, sent) => group?.onCommitError(code, sent.generationId),
          // A partition handed to another member must never be committed by this one.
          ...(group ? { holds } : {}),
        });
      const dropped = await (isTraced(commitChannel)
        ? commitChannel.tracePromise(send, { consumer: this.context.identity, offsets: list })
        : send());
      if (dropped.length < list.length) this.lastAt = this.context.clock.wallClockMs();
      for (const o of list) {
        const p = group ? tenure.get(o) : partitions.get(partitionKey(o.topic, o.partition));
        if (p && !dropped.includes(o)) p.committedOffset = o.offset;
      }
      if (dropped.length > 0) {
        throw new CommitFailedError(
          dropped.map(({ topic, partition }) => ({
            topic,
            partition,
            error: new NotAssignedError(topic, partition),
          })),
        );
      }
      this.lastError = null;
      this.report(groupId, list, started, null);
    } catch (error) {
      this.lastError = error as Error;
      this.report(groupId, list, started, this.lastError);
      throw error;
    }
  }

  /** Reports a commit's end (`commit` event). */
  private report(groupId: string, offsets: OffsetToCommit[], started: number, error: Error | null): void {
    const { events, clock } = this.context;
    events.emit('commit', { groupId, offsets, durationMs: clock.now() - started, error });
  }
}
