/**
 * Where each partition reads from. Start positions: the committed offset (OffsetFetch) or the reset
 * policy (ListOffsets) for a partition without a position. Truncation: after a leader change the
 * position is checked with OffsetForLeaderEpoch (KIP-320), and a divergence moves it back. Moves the
 * user asks for: seek, seek to the beginning or end (a reset), and waiting for a position to be known.
 * The fetch loop asks `lookUp` on every pass; everything else here runs when called.
 */
import { failure, sleep } from '@runnel/network';
import { KafkaProtocolError } from '@runnel/protocol';
import type { AssignedPartition, PositionSource } from './assigned-partition.js';
import type { OffsetAndEpoch } from './batch.js';
import type { ConsumerContext } from './context.js';
import { ConsumerTimeoutError, NoOffsetForPartitionError } from './errors.js';
import type { OffsetResetReason } from './events.js';
import {
  EARLIEST_TIMESTAMP,
  fetchCommittedOffsets,
  LATEST_TIMESTAMP,
  type ListedOffset,
  listOffsets,
  noLeaderError,
  offsetsForLeaderEpochs,
} from './offset-requests.js';
import { deadlineIn } from './retry.js';

const UNKNOWN_TOPIC_OR_PARTITION = 3;
/** How often `waitFor` looks again when nothing wakes it. */
const POSITION_POLL_MS = 50;

/** What positions need of the fetch loop that owns them. */
export interface PositionHost {
  readonly context: ConsumerContext;
  isClosed(): boolean;
  /** @returns whether `error` is an authentication failure, which stops fetching for good. */
  stopOnAuthentication(error: unknown): boolean;
  refreshMetadata(): void;
  /** Runs the fetch loop again after `ms`. */
  later(ms: number): void;
  wake(): void;
  /** @returns a promise that resolves at the loop's next change. */
  changed(): Promise<void>;
  /** Drops the partition's buffered data. */
  purge(p: AssignedPartition): void;
  /** Logs a failure that recurs on every retry, at warn at most now and then. */
  warnRepeated(key: string, obj: Record<string, unknown>, msg: string): void;
}

export class Positions {
  constructor(private readonly host: PositionHost) {}

  /**
   * Starts the lookups the partitions need at `now`: a start position for those without one, a
   * truncation check for those that need it (neither while one runs, nor before `retryAt`).
   */
  lookUp(partitions: Iterable<AssignedPartition>, now: number): void {
    const needPosition: AssignedPartition[] = [];
    const needValidation: AssignedPartition[] = [];
    for (const p of partitions) {
      if (p.revoked || p.halted) continue;
      if (p.position === null && !p.initializing && p.retryAt <= now) needPosition.push(p);
      if (p.needsValidation && !p.validating && p.position !== null && !p.fetching && p.retryAt <= now) {
        needValidation.push(p);
      }
    }
    if (needPosition.length > 0) void this.initialize(needPosition);
    if (needValidation.length > 0) void this.validate(needValidation);
  }

  /**
   * Moves partitions to `position` (a seek), or to none with `source` to look one up (a reset to the
   * log start or end): fetched data from before becomes stale, and the fetch loop runs again.
   */
  seek(
    partitions: Iterable<AssignedPartition>,
    position: OffsetAndEpoch | null,
    source: PositionSource = 'committed',
  ): void {
    for (const p of partitions) {
      p.seek(position, source);
      this.host.purge(p);
    }
    this.host.wake();
  }

  /**
   * Waits until the partition's position is known.
   * @param stopped the error to stop waiting with (closed, fatal), or null to go on.
   * @returns the next offset to hand out.
   * @throws the partition's halting error; what `stopped` returns; ConsumerTimeoutError past
   *   `timeoutMs`, whose cause is why the lookup failed (or the last connection error).
   */
  async waitFor(p: AssignedPartition, timeoutMs: number, stopped: () => Error | null): Promise<number> {
    const { clock, client } = this.host.context;
    const deadline = deadlineIn(clock, timeoutMs);
    while (p.position === null) {
      if (p.halted) throw p.halted;
      const stop = stopped();
      if (stop) throw stop;
      if (clock.now() >= deadline.at) {
        const cause = p.lastError ?? client.pool.lastConnectionError;
        throw new ConsumerTimeoutError('position', timeoutMs, cause ? { cause } : undefined);
      }
      this.host.wake();
      await Promise.race([this.host.changed(), sleep(clock, POSITION_POLL_MS)]);
    }
    return p.position.offset;
  }

  /** Looks up the start of partitions without a position; failures are retried after a backoff. */
  private async initialize(parts: AssignedPartition[]): Promise<void> {
    const { context } = this.host;
    const { config, clock } = context;
    const generations = new Map(parts.map((p) => [p, p.generation]));
    for (const p of parts) p.initializing = true;
    const deadline = deadlineIn(clock, config.defaultApiTimeoutMs);
    try {
      const fromCommitted = parts.filter((p) => p.source === 'committed' && config.groupId !== null);
      const toReset = parts.filter((p) => !fromCommitted.includes(p));
      // A partition the group never committed needs ListOffsets after OffsetFetch: both go at once, so
      // that a new group waits one round trip for its positions, not two (see listEarly). OffsetFetch
      // goes first: the coordinator reads it from the offsets topic, the slower of the two answers.
      const committing =
        fromCommitted.length > 0
          ? fetchCommittedOffsets(context, config.groupId!, fromCommitted, deadline)
          : null;
      const early =
        committing !== null && config.autoOffsetReset !== 'none' ? this.listEarly(fromCommitted) : null;
      const offsets = new Map<string, ListedOffset | null>();
      if (committing !== null) {
        const committed = await committing;
        for (const p of fromCommitted) {
          if (p.generation !== generations.get(p) || p.revoked) continue;
          const c = committed.get(p.key);
          if (c) {
            p.position = { offset: c.offset, leaderEpoch: c.leaderEpoch };
            p.consumed = p.position;
            p.committedOffset = c.offset;
            // The leader may have changed since the commit: check the epoch before fetching.
            if (c.leaderEpoch >= 0) p.needsValidation = true;
          } else {
            toReset.push(p);
          }
        }
      }
      const listed: AssignedPartition[] = [];
      const reasons = new Map<AssignedPartition, OffsetResetReason>();
      // Waited for only when a partition needs it: a group that committed never waits on it.
      const needEarly = toReset.some((p) => p.source === 'committed');
      const earlyOffsets = early === null || !needEarly ? null : await early;
      for (const p of toReset) {
        const strategy = p.source === 'committed' ? config.autoOffsetReset : p.source;
        if (strategy === 'none') {
          p.halt(new NoOffsetForPartitionError(p.topic, p.partition));
          continue;
        }
        const fromEarly = p.source === 'committed' && earlyOffsets?.has(p.key);
        reasons.set(p, resetReason(p));
        p.source = strategy;
        if (fromEarly) offsets.set(p.key, earlyOffsets!.get(p.key)!);
        else listed.push(p);
      }
      if (listed.length > 0) {
        const answers = await listOffsets(
          context,
          listed.map((p) => ({
            topic: p.topic,
            partition: p.partition,
            timestamp: p.source === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP,
          })),
          config.isolationLevel === 'read_committed' ? 1 : 0,
          deadline,
        );
        for (const [key, o] of answers) offsets.set(key, o);
      }
      for (const p of parts) {
        if (!offsets.has(p.key) || p.generation !== generations.get(p) || p.revoked) continue;
        const o = offsets.get(p.key);
        if (!o) continue;
        p.position = { offset: o.offset, leaderEpoch: -1 };
        p.consumed = p.position;
        context.events.emit('offsetReset', {
          topic: p.topic,
          partition: p.partition,
          strategy: p.source as 'earliest' | 'latest',
          reason: reasons.get(p) ?? 'seek',
          offset: o.offset,
          fromOffset: p.resetFrom,
        });
      }
    } catch (error) {
      if (this.host.stopOnAuthentication(error)) return;
      if (this.host.isClosed()) return;
      const halted = this.haltMissingTopics(parts, error);
      if (!halted)
        this.host.warnRepeated(
          'positions',
          failure('position_lookup_failed', error),
          'looking up positions failed, retrying',
        );
      // What `position()` names as the cause of its own timeout: what made the lookup fail.
      const cause =
        error instanceof ConsumerTimeoutError && error.cause instanceof Error ? error.cause : error;
      for (const p of parts) {
        p.lastError = cause as Error;
        p.retryAt = clock.now() + config.retryBackoffMs;
      }
      this.host.later(config.retryBackoffMs);
    } finally {
      for (const p of parts) p.initializing = false;
      this.host.wake();
    }
  }

  /**
   * ListOffsets per `autoOffsetReset` for partitions whose committed offset is being fetched, sent
   * beside the OffsetFetch. One attempt, no retries: it only saves a round trip, and for a group that
   * committed it is not needed at all (one small request per leader is the price).
   * @returns the offsets by partition key, or null when the attempt failed (the lookup then lists
   *   after the OffsetFetch, with retries, as without it). Never rejects.
   */
  private listEarly(parts: readonly AssignedPartition[]): Promise<Map<string, ListedOffset | null> | null> {
    const { context } = this.host;
    const { config, clock } = context;
    const timestamp = config.autoOffsetReset === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP;
    return listOffsets(
      context,
      parts.map((p) => ({ topic: p.topic, partition: p.partition, timestamp })),
      config.isolationLevel === 'read_committed' ? 1 : 0,
      // A deadline of now: retryUntilDone makes one attempt and no second.
      deadlineIn(clock, 0),
    ).catch(() => null);
  }

  /**
   * Halts the partitions that cannot have a leader: an invalid or refused topic at once, a topic or
   * partition the cluster does not know once the lookup ran out of time. Retrying would never end.
   * @returns whether it halted any.
   */
  private haltMissingTopics(parts: AssignedPartition[], error: unknown): boolean {
    const { client, config } = this.host.context;
    const metadata = client.metadata;
    const timedOut = error instanceof ConsumerTimeoutError;
    let halted = false;
    for (const p of parts) {
      if (p.position !== null || metadata.leaderFor(p.topic, p.partition)) continue;
      const cause = noLeaderError(metadata, p.topic, p.partition);
      const known = metadata.topic(p.topic) !== undefined;
      if (!known || (cause.retriable && !(timedOut && cause.errorCode === UNKNOWN_TOPIC_OR_PARTITION)))
        continue;
      config.logger.error(
        { ...failure('partition_stopped', cause), topic: p.topic, partition: p.partition },
        'partition cannot be consumed; it stays stopped until the user seeks or assigns again',
      );
      p.halt(cause);
      halted = true;
    }
    return halted;
  }

  /** Checks positions against the leader's epochs (KIP-320), continuing from a divergence point. */
  private async validate(parts: AssignedPartition[]): Promise<void> {
    const { client, config, clock } = this.host.context;
    for (const p of parts) p.validating = true;
    config.logger.debug({ partitions: parts.length }, 'validating positions against the leader epoch');
    const metadata = client.metadata;
    const byNode = new Map<number, AssignedPartition[]>();
    let missing = false;
    for (const p of parts) {
      const leader = metadata.leaderFor(p.topic, p.partition);
      if (!leader) {
        missing = true;
        continue;
      }
      byNode.set(leader.nodeId, [...(byNode.get(leader.nodeId) ?? []), p]);
    }
    if (missing) this.host.refreshMetadata();
    const generations = new Map(parts.map((p) => [p, p.generation]));
    try {
      await Promise.all(
        [...byNode].map(async ([nodeId, list]) => {
          const answers = await offsetsForLeaderEpochs(
            client,
            nodeId,
            list.map((p) => ({
              topic: p.topic,
              partition: p.partition,
              currentLeaderEpoch: metadata.partition(p.topic, p.partition)?.leaderEpoch ?? -1,
              leaderEpoch: p.position!.leaderEpoch,
            })),
          );
          for (const p of list) {
            if (p.generation !== generations.get(p)) continue;
            const answer = answers.get(p.key);
            if (answer === undefined || answer instanceof Error) {
              if (answer instanceof KafkaProtocolError && !answer.retriable) p.needsValidation = false;
              continue;
            }
            p.needsValidation = false;
            if (answer.leaderEpoch >= 0 && answer.offset >= 0) this.truncate(p, answer);
          }
        }),
      );
    } catch (error) {
      if (this.host.stopOnAuthentication(error)) return;
      // Brokers before 2.1 lack the API, and a failed check must not stop consumption: fetch, and let
      // Fetch v12+ report divergence through divergingEpoch.
      config.logger.debug({ err: error }, 'leader epoch validation failed');
      for (const p of parts) p.needsValidation = false;
    } finally {
      for (const p of parts) {
        p.validating = false;
        if (p.needsValidation) p.retryAt = clock.now() + config.retryBackoffMs;
      }
      this.host.wake();
    }
  }

  /** The leader's log ends before our position in our epoch: continue from where it diverged (KIP-320). */
  truncate(p: AssignedPartition, divergence: OffsetAndEpoch): void {
    const position = p.position;
    if (!position || divergence.offset >= position.offset) {
      p.needsValidation = false;
      return;
    }
    this.host.context.config.logger.warn(
      {
        event: 'log_truncated',
        code: 'LOG_TRUNCATION',
        topic: p.topic,
        partition: p.partition,
        position: position.offset,
        truncatedTo: divergence.offset,
      },
      'log truncation detected, continuing from the divergence point',
    );
    const consumed = p.consumed;
    p.seek(divergence);
    // Records past the divergence were consumed but are gone from the log: keep the commit position
    // where the user got to only if it is not past the new log end.
    if (consumed && consumed.offset < divergence.offset) p.consumed = consumed;
  }
}

/** @returns why a partition without a position is reset rather than read from a committed offset. */
function resetReason(p: AssignedPartition): OffsetResetReason {
  if (p.source === 'committed') return 'noCommittedOffset';
  return p.resetFrom !== null ? 'outOfRange' : 'seek';
}
