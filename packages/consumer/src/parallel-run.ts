/**
 * `run({ eachRecord, ordering: 'key' | 'none', maxInFlight })`: the records of one partition run
 * concurrently, up to `maxInFlight` at a time for the whole run. Under 'key', records with the same key
 * run one after another in offset order (a lane per key); each record with a null key runs on its own.
 * A partition's consumed position (what commits store) is its watermark: the first offset taken and
 * not done (see OffsetWatermark). A partition whose taken, not-started records reach `maxInFlight` is
 * not handed out again until they drop below it, so its buffered data stays and it is not fetched; the
 * batches hold their bytes against `maxBufferedBytes` until their last record is done.
 * Nothing new starts for a revoking, revoked or moved (seek) partition: its waiting records are dropped
 * undone, and a late result no longer moves its position. On a failure (after `retries`) or a stop,
 * nothing new starts, running records finish, and every partition moves back to its watermark.
 */
import { type Clock, sleep } from '@runnel/network';
import type { AssignedPartition } from './assigned-partition.js';
import { type ConsumerRecord, keyBytesOf } from './batch.js';
import type { Deliveries } from './deliveries.js';
import { type ConsumerIdentity, isTraced, processChannel } from './diagnostics.js';
import type { Delivery } from './fetch-buffer.js';
import type { MaxPollCheck } from './max-poll.js';
import type { RunRegistry } from './run-loop.js';
import { OffsetWatermark } from './watermark.js';

/** The longest wait between two tries of a failing record. */
const MAX_RETRY_BACKOFF_MS = 30_000;

/** What the parallel run needs of the consumer. */
export interface ParallelRunHost {
  readonly deliveries: Pick<Deliveries, 'next' | 'handOn' | 'release' | 'settle' | 'rewindTo'>;
  readonly maxPoll: MaxPollCheck;
  readonly runs: RunRegistry;
  readonly clock: Clock;
  /** The consumer's client and group, for the diagnostics channel's messages (absent: not traced). */
  readonly identity?: ConsumerIdentity;
}

/** The checked settings of a parallel run. */
export interface ParallelSettings {
  readonly ordering: 'key' | 'none';
  readonly maxInFlight: number;
  readonly retries: number;
  readonly retryBackoffMs: number;
  readonly eachRecord: (record: ConsumerRecord) => Promise<void> | void;
}

/** A batch whose bytes are held until its last record is done or dropped. */
interface Held {
  readonly delivery: Delivery;
  left: number;
}

interface Job {
  readonly record: ConsumerRecord;
  readonly work: PartitionWork;
  readonly held: Held;
  /** The key lane it waits in ('key' ordering, non-null key). */
  readonly lane: string | null;
  state: 'queued' | 'running' | 'ended';
}

/** One partition's records of one generation (a seek starts a new one). */
class PartitionWork {
  readonly watermark: OffsetWatermark;
  readonly lanes = new Map<string, Job[]>();
  /** Records taken and not started. */
  queued = 0;
  /** Kept from being handed out (busy) while `queued` is at the bound. */
  blocked = false;

  constructor(
    readonly partition: AssignedPartition,
    readonly generation: number,
    firstOffset: number,
  ) {
    const consumed = partition.consumed;
    const leaderEpoch = consumed?.offset === firstOffset ? consumed.leaderEpoch : -1;
    this.watermark = new OffsetWatermark({ offset: firstOffset, leaderEpoch });
  }

  /** @returns whether the partition is still this consumer's, at this generation. */
  get current(): boolean {
    return !this.partition.revoked && this.partition.generation === this.generation;
  }

  /** @returns whether its records may start: current and not being revoked. */
  get startable(): boolean {
    return this.current && !this.partition.revoking;
  }
}

/** Thrown out of a retry wait when the run stops: the record is left undone, not failed. */
const ABANDONED = Symbol('abandoned');

/** @returns the lane name of a key: its bytes one to one as a string. */
function laneOf(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

export class ParallelRun {
  private readonly works = new Map<AssignedPartition, PartitionWork>();
  private ready: Job[] = [];
  private readyHead = 0;
  private readonly running = new Set<Promise<void>>();
  private waiters: Array<() => void> = [];
  private stopped = false;
  private failure: { error: unknown } | null = null;
  /** Resolves when the run stops. */
  private readonly aborted: Promise<void>;

  constructor(
    private readonly host: ParallelRunHost,
    private readonly settings: ParallelSettings,
    private readonly stop: AbortController,
  ) {
    // One listener for the whole run: one per retry wait would pass the signal's listener warning.
    this.aborted = new Promise((resolve) => {
      const onAbort = () => {
        this.notify();
        resolve();
      };
      if (stop.signal.aborted) resolve();
      else stop.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Takes deliveries and runs their records until stopped.
   * @returns once stopped and every running record finished.
   * @throws (as a rejection) the first record failure after its retries, or what taking a batch threw.
   */
  async run(): Promise<void> {
    try {
      while (!this.stop.signal.aborted) {
        // More records are only taken when every one taken has started and there is room.
        if (this.readyCount > 0 || this.running.size >= this.settings.maxInFlight) {
          await this.changed();
          continue;
        }
        const delivery = await this.host.deliveries.next(this.stop.signal);
        if (!delivery) break;
        this.add(delivery);
      }
    } catch (error) {
      this.failure ??= { error };
    } finally {
      this.stopped = true;
      this.stop.abort();
      await Promise.all(this.running);
      this.dropWaiting();
    }
    if (this.failure) throw this.failure.error;
  }

  private get readyCount(): number {
    return this.ready.length - this.readyHead;
  }

  /** Queues the records of a delivery and starts what may start. */
  private add(delivery: Delivery): void {
    const p = delivery.partition;
    const { records } = delivery.batch;
    let work = this.works.get(p);
    if (!work || work.generation !== delivery.generation) {
      work = new PartitionWork(p, delivery.generation, records[0]?.offset ?? delivery.next.offset);
      this.works.set(p, work);
    }
    const held: Held = { delivery, left: records.length };
    for (const record of records) {
      work.watermark.track(record.offset, record.leaderEpoch);
      const keyBytes = this.settings.ordering === 'key' ? keyBytesOf(record) : null;
      const lane = keyBytes === null ? null : laneOf(keyBytes);
      const job: Job = { record, work, held, lane, state: 'queued' };
      p.unfinished++;
      work.queued++;
      if (lane === null) {
        this.ready.push(job);
        continue;
      }
      const waiting = work.lanes.get(lane);
      if (waiting) waiting.push(job);
      else {
        work.lanes.set(lane, [job]);
        this.ready.push(job);
      }
    }
    work.watermark.extendTo(delivery.next);
    if (records.length === 0) this.host.deliveries.release(delivery);
    if (work.queued >= this.settings.maxInFlight) work.blocked = true;
    else this.host.deliveries.handOn(p);
    this.pump();
  }

  /** Starts queued records while there is room; drops those of partitions no longer startable. */
  private pump(): void {
    while (this.readyCount > 0 && (this.stopped || this.running.size < this.settings.maxInFlight)) {
      const job = this.ready[this.readyHead++]!;
      if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
        this.ready = this.ready.slice(this.readyHead);
        this.readyHead = 0;
      }
      if (this.stopped || !job.work.startable) {
        this.end(job, false);
        continue;
      }
      this.start(job);
    }
  }

  private start(job: Job): void {
    job.state = 'running';
    this.unqueue(job.work);
    const task = this.process(job).finally(() => {
      this.running.delete(task);
      this.pump();
      this.notify();
    });
    this.running.add(task);
    this.host.runs.addHandler(task);
  }

  private async process(job: Job): Promise<void> {
    const ended = this.host.maxPoll.handlerStarted();
    let ok = false;
    try {
      await this.handle(job);
      ok = true;
    } catch (error) {
      if (error !== ABANDONED) {
        this.failure ??= { error };
        this.stop.abort();
      }
    } finally {
      ended();
      this.host.maxPoll.poll();
      this.end(job, ok);
    }
  }

  /** Runs the handler, trying again after a growing backoff up to `retries` times. */
  private async handle(job: Job): Promise<void> {
    const { eachRecord, retries, retryBackoffMs } = this.settings;
    const { record } = job;
    const identity = this.host.identity;
    for (let attempt = 0; ; attempt++) {
      try {
        await (identity !== undefined && isTraced(processChannel)
          ? processChannel.tracePromise(async () => eachRecord(record), {
              consumer: identity,
              kind: 'eachRecord',
              batch: job.held.delivery.batch,
              record,
            })
          : eachRecord(record));
        return;
      } catch (error) {
        if (attempt >= retries || this.stop.signal.aborted) throw error;
      }
      const backoff = Math.min(retryBackoffMs * 2 ** attempt, MAX_RETRY_BACKOFF_MS);
      await Promise.race([sleep(this.host.clock, backoff), this.aborted]);
      if (this.stop.signal.aborted) throw ABANDONED;
    }
  }

  /** A record ended: done (`ok`), failed, or dropped. Moves the watermark, frees its batch and lane. */
  private end(job: Job, ok: boolean): void {
    const { work, held } = job;
    if (job.state === 'queued') this.unqueue(work);
    job.state = 'ended';
    work.partition.unfinished--;
    if (ok && work.current && work.watermark.complete(job.record.offset))
      this.host.deliveries.settle(work.partition, work.generation, work.watermark.position);
    if (--held.left === 0) this.host.deliveries.release(held.delivery);
    if (job.lane !== null) {
      const waiting = work.lanes.get(job.lane)!;
      waiting.shift();
      if (waiting.length > 0) this.ready.push(waiting[0]!);
      else work.lanes.delete(job.lane);
    }
  }

  private unqueue(work: PartitionWork): void {
    work.queued--;
    if (work.blocked && work.queued < this.settings.maxInFlight) {
      work.blocked = false;
      this.host.deliveries.handOn(work.partition);
    }
  }

  /** After the run: drops what never started, and moves each partition back to its watermark. */
  private dropWaiting(): void {
    // Stopped, pump ends every queued record; a lane's next one is queued as the one before ends.
    this.pump();
    for (const work of this.works.values()) {
      if (work.current && work.watermark.pending > 0)
        this.host.deliveries.rewindTo(work.partition, work.generation, work.watermark.position);
    }
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
