/**
 * What the consumer does when its group member changes the assignment, and the one place the user's
 * RebalanceListener is called. Assigned partitions start fetching, then `onAssigned` runs. Revoked
 * ones stop being handed out, their handlers finish, their offsets are committed (auto-commit on),
 * `onRevoked` runs, and only then are they released. Lost ones (fenced, session expired) are released
 * at once and never committed, then `onLost` runs. The group driver acknowledges each change to the
 * member once its call here returns.
 */
import { failure, sleep } from '@runnel/network';
import type { AssignedPartition } from './assigned-partition.js';
import { partitionKey, type TopicPartition } from './batch.js';
import type { Commits } from './commits.js';
import type { RebalanceListener } from './consumer-types.js';
import type { ConsumerContext } from './context.js';
import { isTraced, rebalanceChannel } from './diagnostics.js';
import type { RebalanceKind } from './events.js';
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
  assigned(added: readonly TopicPartition[], assignment: readonly TopicPartition[]): Promise<void> {
    return this.step('assigned', added, async () => {
      this.fetcher.setAssignment(assignment);
      this.context.config.logger.info(
        { partitions: added.length, assignment: assignment.length },
        'partitions assigned',
      );
      await this.callListener('onAssigned', added);
    });
  }

  /**
   * Partitions are given up in order: waits for their handlers, commits them (auto-commit on), calls
   * `onRevoked`, then releases them. @returns once released.
   */
  revoked(partitions: readonly TopicPartition[]): Promise<void> {
    return this.step('revoked', partitions, async () => {
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
          config.logger.warn(failure('revocation_commit_failed', error), 'commit on revocation failed');
        }
      }
      await this.callListener('onRevoked', partitions);
      this.release(partitions);
    });
  }

  /** Partitions were lost without a chance to commit: releases them, then calls `onLost`. */
  lost(partitions: readonly TopicPartition[]): Promise<void> {
    return this.step('lost', partitions, async () => {
      this.release(partitions);
      await this.callListener('onLost', partitions);
    });
  }

  /**
   * Runs one step, reported as the `rebalance` event at its start, its own event (`assigned`,
   * `revoked`, `lost`) at its end, and traced on the rebalance channel when someone subscribed.
   */
  private async step(
    kind: RebalanceKind,
    partitions: readonly TopicPartition[],
    handle: () => Promise<void>,
  ): Promise<void> {
    const { events, config, clock } = this.context;
    const groupId = config.groupId ?? '';
    events.emit('rebalance', { kind, partitions, groupId });
    const started = clock.now();
    if (isTraced(rebalanceChannel)) {
      const message = { consumer: this.context.identity, kind, partitions };
      await rebalanceChannel.tracePromise(handle, message);
    } else {
      await handle();
    }
    if (!events.has(kind)) return;
    const assignment = [...this.fetcher.partitions.values()].map(({ topic, partition }) => ({
      topic,
      partition,
    }));
    events.emit(kind, { partitions, assignment, groupId, durationMs: clock.now() - started });
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
      this.context.config.logger.error(
        { ...failure('rebalance_listener_failed', error), listener: name },
        `rebalance listener ${name} failed`,
      );
    }
  }
}
