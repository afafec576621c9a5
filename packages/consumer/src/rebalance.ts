/**
 * What the consumer does when its group member changes the assignment, and the one place the user's
 * RebalanceListener is called. Assigned partitions start fetching, then `onAssigned` runs. Revoked
 * ones stop being handed out, their handlers finish, their offsets are committed (auto-commit on),
 * `onRevoked` runs, and only then are they released. Lost ones (fenced, session expired) are released
 * at once and never committed, then `onLost` runs. The group driver acknowledges each change to the
 * member once its call here returns.
 */
import { sleep } from '@runnel/network';
import type { AssignedPartition } from './assigned-partition.js';
import { partitionKey, type TopicPartition } from './batch.js';
import type { Commits } from './commits.js';
import type { RebalanceListener } from './consumer-types.js';
import type { ConsumerContext } from './context.js';
import type { Fetcher } from './fetcher.js';
import type { AssignmentHandler } from './group-driver.js';
import { deadlineIn } from './retry.js';

/** How often a revocation looks again whether the partitions' handlers finished, when nothing wakes it. */
const HANDLER_CHECK_MS = 100;

export class Rebalances implements AssignmentHandler {
  /** The user's listener, set by `subscribe`. */
  listener: RebalanceListener = {};

  /**
   * @param isRunning whether the consumer still runs: while closing, handlers already finished (or are
   *   abandoned) and revocation does not wait for them.
   */
  constructor(
    private readonly context: ConsumerContext,
    private readonly fetcher: Fetcher,
    private readonly commits: Commits,
    private readonly isRunning: () => boolean,
  ) {}

  /** Partitions were added: fetches the new assignment, then calls `onAssigned`. @returns once it returned. */
  async assigned(added: readonly TopicPartition[], assignment: readonly TopicPartition[]): Promise<void> {
    this.fetcher.setAssignment(assignment);
    this.context.config.logger.info(
      { partitions: added.length, assignment: assignment.length },
      'partitions assigned',
    );
    await this.callListener('onAssigned', added);
  }

  /**
   * Partitions are given up in order: waits for their handlers, commits them (auto-commit on), calls
   * `onRevoked`, then releases them. @returns once released.
   */
  async revoked(partitions: readonly TopicPartition[]): Promise<void> {
    const { config, clock } = this.context;
    const owned = partitions
      .map((tp) => this.fetcher.partitions.get(partitionKey(tp.topic, tp.partition)))
      .filter((p): p is AssignedPartition => p !== undefined);
    for (const p of owned) p.revoking = true;
    while (owned.some((p) => p.busy || p.unfinished > 0) && this.isRunning()) {
      await Promise.race([this.fetcher.changed(), sleep(clock, HANDLER_CHECK_MS)]);
    }
    if (config.autoCommit) {
      try {
        await this.commits.commit(undefined, deadlineIn(clock, config.defaultApiTimeoutMs), owned);
      } catch (error) {
        config.logger.warn({ err: error }, 'commit on revocation failed');
      }
    }
    await this.callListener('onRevoked', partitions);
    this.release(partitions);
  }

  /** Partitions were lost without a chance to commit: releases them, then calls `onLost`. */
  async lost(partitions: readonly TopicPartition[]): Promise<void> {
    this.release(partitions);
    await this.callListener('onLost', partitions);
  }

  private release(partitions: readonly TopicPartition[]): void {
    const gone = new Set(partitions.map((tp) => partitionKey(tp.topic, tp.partition)));
    this.fetcher.setAssignment([...this.fetcher.partitions.values()].filter((p) => !gone.has(p.key)));
  }

  /** A throwing listener must not wedge the group: Java logs it and goes on, and so does this. */
  private async callListener(
    name: keyof RebalanceListener,
    partitions: readonly TopicPartition[],
  ): Promise<void> {
    try {
      await this.listener[name]?.(partitions);
    } catch (error) {
      this.context.config.logger.error({ err: error }, `rebalance listener ${name} failed`);
    }
  }
}
