/**
 * Where each partition starts and whether its position still holds: the committed offset (OffsetFetch)
 * or the reset policy (ListOffsets) for a partition without a position, and the truncation check
 * (OffsetForLeaderEpoch, KIP-320) after a leader change.
 */
import type { ClusterClient } from '@runnel/network';
import { KafkaProtocolError } from '@runnel/protocol';
import type { AssignedPartition } from './assigned-partition.js';
import type { OffsetAndEpoch } from './batch.js';
import type { ResolvedConfig } from './config.js';
import { ConsumerTimeoutError, NoOffsetForPartitionError } from './errors.js';
import {
  deadlineIn,
  EARLIEST_TIMESTAMP,
  fetchCommittedOffsets,
  LATEST_TIMESTAMP,
  listOffsets,
  noLeaderError,
  offsetsForLeaderEpochs,
} from './offset-requests.js';

const UNKNOWN_TOPIC_OR_PARTITION = 3;

/** What the lookups need of the fetcher that owns them. */
export interface PositionHost {
  readonly client: ClusterClient;
  readonly config: ResolvedConfig;
  isClosed(): boolean;
  /** @returns whether `error` is an authentication failure, which stops fetching for good. */
  stopOnAuthentication(error: unknown): boolean;
  refreshMetadata(): void;
  /** Runs the fetch loop again after `ms`. */
  later(ms: number): void;
  wake(): void;
  /** Logs a failure that recurs on every retry, at warn at most now and then. */
  warnRepeated(key: string, obj: Record<string, unknown>, msg: string): void;
}

export class PositionLookup {
  constructor(private readonly host: PositionHost) {}

  /** Looks up the start of partitions without a position; failures are retried after a backoff. */
  async initialize(parts: AssignedPartition[]): Promise<void> {
    const { client, config } = this.host;
    const generations = new Map(parts.map((p) => [p, p.generation]));
    for (const p of parts) p.initializing = true;
    const deadline = deadlineIn(config.defaultApiTimeoutMs);
    try {
      const fromCommitted = parts.filter((p) => p.source === 'committed' && config.groupId !== null);
      const toReset = parts.filter((p) => !fromCommitted.includes(p));
      if (fromCommitted.length > 0) {
        const committed = await fetchCommittedOffsets(
          client,
          config.groupId!,
          fromCommitted,
          deadline,
          config.retryBackoffMs,
        );
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
      for (const p of toReset) {
        const strategy = p.source === 'committed' ? config.autoOffsetReset : p.source;
        if (strategy === 'none') {
          p.halt(new NoOffsetForPartitionError(p.topic, p.partition));
        } else {
          p.source = strategy;
          listed.push(p);
        }
      }
      if (listed.length > 0) {
        const offsets = await listOffsets(
          client,
          listed.map((p) => ({
            topic: p.topic,
            partition: p.partition,
            timestamp: p.source === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP,
          })),
          config.isolationLevel === 'read_committed' ? 1 : 0,
          deadline,
          config.retryBackoffMs,
        );
        for (const p of listed) {
          if (p.generation !== generations.get(p) || p.revoked) continue;
          const o = offsets.get(p.key);
          if (!o) continue;
          p.position = { offset: o.offset, leaderEpoch: -1 };
          p.consumed = p.position;
        }
      }
    } catch (error) {
      if (this.host.stopOnAuthentication(error)) return;
      if (this.host.isClosed()) return;
      const halted = this.haltMissingTopics(parts, error);
      if (!halted)
        this.host.warnRepeated('positions', { err: error }, 'looking up positions failed, retrying');
      // What `position()` names as the cause of its own timeout: what made the lookup fail.
      const cause =
        error instanceof ConsumerTimeoutError && error.cause instanceof Error ? error.cause : error;
      for (const p of parts) {
        p.lastError = cause as Error;
        p.retryAt = Date.now() + config.retryBackoffMs;
      }
      this.host.later(config.retryBackoffMs);
    } finally {
      for (const p of parts) p.initializing = false;
      this.host.wake();
    }
  }

  /**
   * Halts the partitions that cannot have a leader: an invalid or refused topic at once, a topic or
   * partition the cluster does not know once the lookup ran out of time. Retrying would never end.
   * @returns whether it halted any.
   */
  private haltMissingTopics(parts: AssignedPartition[], error: unknown): boolean {
    const metadata = this.host.client.metadata;
    const timedOut = error instanceof ConsumerTimeoutError;
    let halted = false;
    for (const p of parts) {
      if (p.position !== null || metadata.leaderFor(p.topic, p.partition)) continue;
      const cause = noLeaderError(metadata, p.topic, p.partition);
      const known = metadata.topic(p.topic) !== undefined;
      if (!known || (cause.retriable && !(timedOut && cause.errorCode === UNKNOWN_TOPIC_OR_PARTITION)))
        continue;
      this.host.config.logger.error(
        { err: cause, topic: p.topic, partition: p.partition },
        'partition cannot be consumed; it stays stopped until the user seeks or assigns again',
      );
      p.halt(cause);
      halted = true;
    }
    return halted;
  }

  /** Checks positions against the leader's epochs (KIP-320), continuing from a divergence point. */
  async validate(parts: AssignedPartition[]): Promise<void> {
    const { client, config } = this.host;
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
        if (p.needsValidation) p.retryAt = Date.now() + config.retryBackoffMs;
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
    this.host.config.logger.warn(
      { topic: p.topic, partition: p.partition, position: position.offset, truncatedTo: divergence.offset },
      'log truncation detected, continuing from the divergence point',
    );
    const consumed = p.consumed;
    p.seek(divergence);
    // Records past the divergence were consumed but are gone from the log: keep the commit position
    // where the user got to only if it is not past the new log end.
    if (consumed && consumed.offset < divergence.offset) p.consumed = consumed;
  }
}
