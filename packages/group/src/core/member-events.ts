/**
 * The events a group member raises for the consumer, and the acknowledgements it waits for: a small
 * helper both members own. The member decides what happens; this keeps the order, hands out the ids,
 * and knows which ids are still open.
 */
import type { TopicPartition } from '@runnel/protocol';
import { ErrorCode } from '@runnel/protocol';
import { GroupBrokerError, type GroupFatalError } from '../errors.js';
import type { GroupEvent, PartitionsAssignedEvent } from '../events.js';
import { sortPartitions } from '../topic-partitions.js';

/** The events of a member, in the order it raised them, until the driver takes them. */
export class MemberEvents {
  private queue: GroupEvent[] = [];
  private readonly pending = new Set<number>();
  private nextId = 1;

  /** @returns whether an event raised so far still waits for the consumer's acknowledgement. */
  get awaitingAcknowledgement(): boolean {
    return this.pending.size > 0;
  }

  /**
   * Raises a revocation or a loss of `partitions` (sorted in the event), to be acknowledged.
   * @returns the event's id. Never throws.
   */
  raise(type: 'partitionsRevoked' | 'partitionsLost', partitions: readonly TopicPartition[]): number {
    const id = this.open();
    this.queue.push({ type, id, partitions: sortPartitions(partitions) });
    return id;
  }

  /** Raises an assignment, to be acknowledged. @returns the event's id. Never throws. */
  raiseAssigned(event: Omit<PartitionsAssignedEvent, 'type' | 'id'>): number {
    const id = this.open();
    this.queue.push({ type: 'partitionsAssigned', id, ...event });
    return id;
  }

  /** Reports an error the member survives. */
  error(error: Error): void {
    this.queue.push({ type: 'error', error });
  }

  /**
   * Reports a failed answer that needs nothing but a report (e.g. to a leave, which is best effort):
   * the Error, or the broker's error code when it is not NONE.
   */
  reportFailure(api: string, result: { errorCode: number; errorMessage?: string | null } | Error): void {
    if (result instanceof Error) this.error(result);
    else if (result.errorCode !== ErrorCode.NONE) {
      this.error(new GroupBrokerError(api, result.errorCode, result.errorMessage));
    }
  }

  /** Reports that the member is in FATAL. */
  fatal(error: GroupFatalError): void {
    this.queue.push({ type: 'fatal', error });
  }

  /**
   * Takes the consumer's acknowledgement of event `id`.
   * @returns whether `id` was waiting for it (false for unknown or already acknowledged ids).
   */
  acknowledge(id: number): boolean {
    return this.pending.delete(id);
  }

  /** Stops waiting for every acknowledgement (the member went FATAL and waits for nothing). */
  forgetAcknowledgements(): void {
    this.pending.clear();
  }

  /** @returns the events raised since the last call, oldest first. */
  take(): GroupEvent[] {
    const events = this.queue;
    this.queue = [];
    return events;
  }

  private open(): number {
    const id = this.nextId++;
    this.pending.add(id);
    return id;
  }
}
