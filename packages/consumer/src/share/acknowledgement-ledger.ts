/**
 * Where every acknowledgement of a share consumer is between being made and being answered: waiting
 * (per partition), on its way (per broker, with the request that carries it), and answered, when its
 * outcome goes to whoever listens (the acknowledgement commit callback, a commit waiting for it). Each
 * gets a sequence number, so that a commit waits for those made before it and no later ones. No I/O.
 */
import { ErrorCode, KafkaProtocolError } from '@runnel/protocol';
import { ConsumerTimeoutError } from '../errors.js';
import { type PendingAcknowledgement, PendingAcknowledgements } from './acknowledgements.js';
import { type AcknowledgeType, AcquisitionLockTimeoutError } from './share-errors.js';
import { AckCode } from './share-records.js';
import type { AcknowledgementsOf } from './share-requests.js';
import type { SessionPartition } from './share-session.js';

/** How the broker answered the acknowledgements of one partition. */
export interface AcknowledgementResult {
  readonly topic: string;
  readonly partition: number;
  /** The offsets acknowledged, sorted. */
  readonly offsets: readonly number[];
  /**
   * How many of `offsets` were of each type; those the consumer settled itself count too (implicit
   * accepts, releases of unread or unfinished records). Offsets that held no record are in neither.
   */
  readonly types: Readonly<Record<AcknowledgeType, number>>;
  /** Null when the broker took them; else why not (e.g. INVALID_RECORD_STATE once the lock ran out). */
  readonly error: Error | null;
}

/** @returns how many of `acks` are of each type (gaps, offsets without a record, in none). */
function typesOf(acks: readonly PendingAcknowledgement[]): Record<AcknowledgeType, number> {
  const types = { accept: 0, release: 0, reject: 0 };
  for (const a of acks) {
    if (a.code === AckCode.accept) types.accept++;
    else if (a.code === AckCode.release) types.release++;
    else if (a.code === AckCode.reject) types.reject++;
  }
  return types;
}

/** A partition's answer to acknowledgements, as ShareFetch and ShareAcknowledge carry it. */
export interface AcknowledgementAnswer {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** An outcome with the acknowledgements it settles. */
interface Outcome {
  readonly partition: SessionPartition;
  readonly acks: readonly PendingAcknowledgement[];
  readonly error: Error | null;
}

export class AcknowledgementLedger {
  /** Acknowledgements sent and errors answered, for `health()`. */
  sent = 0;
  failed = 0;
  /** Acknowledgements dropped because the record's lock ran out before they could be sent. */
  expired = 0;
  private readonly pending = new PendingAcknowledgements();
  private readonly refs = new Map<string, SessionPartition>();
  private readonly onTheWay = new Map<number, AcknowledgementsOf[]>();
  private readonly listeners = new Set<(outcomes: readonly Outcome[]) => void>();
  private seq = 0;

  /** @param onResults told of every outcome (the acknowledgement commit callback); its throws are logged by the caller. */
  constructor(private readonly onResults: (results: AcknowledgementResult[]) => void) {}

  /** @returns whether acknowledgements wait to be sent. */
  get waiting(): boolean {
    return this.pending.partitions > 0;
  }

  /** Records one acknowledgement of `partition` to send. */
  add(partition: SessionPartition, offset: number, code: AckCode, lockExpiresAt: number): void {
    this.refs.set(partition.key, partition);
    this.pending.add(partition.key, { offset, code, lockExpiresAt, seq: ++this.seq });
  }

  /** @returns the partitions with acknowledgements waiting. */
  waitingPartitions(): SessionPartition[] {
    return this.pending.keys().map((k) => this.refs.get(k)!);
  }

  /**
   * Takes the waiting acknowledgements of the partitions `pick` chooses, as on their way to `nodeId`.
   * @returns them, by partition.
   */
  send(nodeId: number, pick: (partition: SessionPartition) => boolean): AcknowledgementsOf[] {
    const out: AcknowledgementsOf[] = [];
    for (const key of this.pending.keys()) {
      const partition = this.refs.get(key)!;
      if (pick(partition)) out.push({ partition, acks: this.pending.take(key) });
    }
    this.onTheWay.set(nodeId, out);
    for (const a of out) this.sent += a.acks.length;
    return out;
  }

  /** The request to `nodeId` ended; what it carried was settled (`answered`, `failed`) or is `retry`ed. */
  arrived(nodeId: number): AcknowledgementsOf[] {
    const acks = this.onTheWay.get(nodeId) ?? [];
    this.onTheWay.delete(nodeId);
    return acks;
  }

  /** Puts acknowledgements back to be sent again (their session was lost; the records are still ours). */
  retry(acks: readonly AcknowledgementsOf[]): void {
    for (const a of acks) this.pending.restore(a.partition.key, a.acks);
  }

  /** Reports the broker's answers (`answerOf` a partition key; undefined when it did not answer one). */
  answered(
    acks: readonly AcknowledgementsOf[],
    answerOf: (key: string) => AcknowledgementAnswer | undefined,
  ): void {
    this.report(
      acks.map((a) => {
        const answer = answerOf(a.partition.key);
        const error =
          answer === undefined
            ? new KafkaProtocolError(ErrorCode.UNKNOWN_SERVER_ERROR, undefined, {
                message: `the broker did not answer the acknowledgements of ${a.partition.key}`,
              })
            : answer.errorCode === ErrorCode.NONE
              ? null
              : new KafkaProtocolError(answer.errorCode, `acknowledging ${a.partition.key}`);
        return { partition: a.partition, acks: a.acks, error };
      }),
    );
  }

  /** Reports `acks` as failed with `error`. */
  fail(acks: readonly AcknowledgementsOf[], error: Error): void {
    this.report(acks.map((a) => ({ partition: a.partition, acks: a.acks, error })));
  }

  /** Fails the waiting acknowledgements whose record's lock ran out by `now` (the broker would refuse them). */
  expire(now: number): void {
    const outcomes: Outcome[] = [];
    for (const [key, acks] of this.pending.takeExpired(now)) {
      const partition = this.refs.get(key)!;
      const first = acks[0]!;
      this.expired += acks.length;
      const error = new AcquisitionLockTimeoutError(
        { ...partition, offset: first.offset },
        first.lockExpiresAt,
      );
      outcomes.push({ partition, acks, error });
    }
    this.report(outcomes);
  }

  /** Fails every waiting acknowledgement of the partitions `pick` chooses with `error` (they cannot be sent). */
  drop(pick: (partition: SessionPartition) => boolean, error: Error): void {
    const dropped: AcknowledgementsOf[] = [];
    for (const key of this.pending.keys()) {
      const partition = this.refs.get(key)!;
      if (pick(partition)) dropped.push({ partition, acks: this.pending.take(key) });
    }
    this.fail(dropped, error);
  }

  /**
   * Waits until every acknowledgement made so far was answered, or `timeoutMs` passed.
   * @param changed resolves at the next change of anything (an answer, a close), or after at most `ms`
   * @param stopped says why waiting is pointless (closed, stopped), or null
   * @returns one result per partition; partitions not answered in time carry a ConsumerTimeoutError
   *   (or the reason it stopped), and their acknowledgements stay queued.
   */
  async flush(
    timeoutMs: number,
    now: () => number,
    changed: (ms: number) => Promise<void>,
    stopped: () => Error | null,
  ): Promise<AcknowledgementResult[]> {
    const upTo = this.seq;
    const byKey = new Map<
      string,
      { partition: SessionPartition; acks: PendingAcknowledgement[]; error: Error | null }
    >();
    const collect = (o: Outcome) => {
      const mine = o.acks.filter((a) => a.seq <= upTo);
      if (mine.length === 0) return;
      const r = byKey.get(o.partition.key) ?? { partition: o.partition, acks: [], error: null };
      r.acks.push(...mine);
      r.error ??= o.error;
      byKey.set(o.partition.key, r);
    };
    const listener = (outcomes: readonly Outcome[]) => outcomes.forEach(collect);
    this.listeners.add(listener);
    const deadline = now() + timeoutMs;
    try {
      while (this.oldestOutstanding() <= upTo && stopped() === null) {
        const left = deadline - now();
        if (left <= 0) break;
        await changed(Math.min(left, 100));
      }
    } finally {
      this.listeners.delete(listener);
    }
    const late = stopped() ?? new ConsumerTimeoutError('commit', timeoutMs);
    for (const key of this.pending.keys()) {
      collect({ partition: this.refs.get(key)!, acks: this.pending.peek(key), error: late });
    }
    for (const list of this.onTheWay.values()) for (const a of list) collect({ ...a, error: late });
    return [...byKey.values()].map(resultOf);
  }

  private oldestOutstanding(): number {
    let oldest = this.pending.oldestSeq();
    for (const list of this.onTheWay.values()) {
      for (const a of list) for (const ack of a.acks) oldest = Math.min(oldest, ack.seq);
    }
    return oldest;
  }

  private report(outcomes: readonly Outcome[]): void {
    if (outcomes.length === 0) return;
    for (const o of outcomes) if (o.error !== null) this.failed += o.acks.length;
    for (const l of this.listeners) l(outcomes);
    this.onResults(outcomes.map(resultOf));
  }
}

/** @returns the result of one partition's acknowledgements. */
function resultOf(o: Outcome): AcknowledgementResult {
  return {
    topic: o.partition.topic,
    partition: o.partition.partition,
    offsets: o.acks.map((a) => a.offset).sort((x, y) => x - y),
    types: typesOf(o.acks),
    error: o.error,
  };
}
