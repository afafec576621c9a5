import { ErrorCode, KafkaProtocolError } from '@runnel/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { IllegalStateError } from '../errors.js';
import { acksOf, FakeShareBroker, LOCK_MS } from '../test-support/fake-share-broker.js';
import { AcquisitionLockTimeoutError, RecordAlreadyAcknowledgedError } from './share-errors.js';
import type { ShareBatch } from './share-records.js';

const ACCEPT = 1;
const RELEASE = 2;
const REJECT = 3;

let broker: FakeShareBroker;
afterEach(async () => {
  await broker.closeAll();
});

/** @returns the next batch of `iterator`, letting clock time pass until it comes. */
async function nextBatch(iterator: AsyncIterator<ShareBatch>): Promise<ShareBatch> {
  const { value, done } = await broker.waitFor(iterator.next());
  expect(done).toBe(false);
  return value as ShareBatch;
}

describe('ShareConsumer on a fake broker and a fake clock', () => {
  it('implicit mode: the records handed out are accepted on the next ShareFetches, in a session whose epoch counts up from 0', async () => {
    broker = new FakeShareBroker();
    broker.script.push({ first: 0, count: 5 }, { first: 5, count: 2, deliveryCount: 3 });
    const batches = broker.consumer()[Symbol.asyncIterator]();
    const first = await nextBatch(batches);
    expect(first.records.map((r) => [r.offset, r.deliveryCount])).toEqual([0, 1, 2, 3, 4].map((o) => [o, 1]));
    // Counted from when the ShareFetch left, on the clock's wall time.
    expect(first.lockExpiresAt).toBeLessThanOrEqual(broker.kafka.clock.wallClockMs() + LOCK_MS);
    expect(first.lockExpiresAt).toBeGreaterThan(broker.kafka.clock.wallClockMs() + LOCK_MS - 100);
    const second = await nextBatch(batches);
    expect(second.records.map((r) => [r.offset, r.deliveryCount])).toEqual([
      [5, 3],
      [6, 3],
    ]);
    // Finishing the second batch sends its accepts too: with the next ShareFetch, as the first's.
    const pending = batches.next();
    await broker.pass(1_000, 100);
    const accepted = broker.fetches.flatMap((f) =>
      acksOf(f).flatMap(([from, to, types]) => {
        expect(types).toEqual([ACCEPT]);
        return Array.from({ length: to - from + 1 }, (_, i) => from + i);
      }),
    );
    expect(accepted).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(acksOf(broker.fetches[0]!)).toEqual([]);
    // The session opens at epoch 0 and counts up with each answered request.
    expect(broker.fetches.map((f) => f.shareSessionEpoch)).toEqual(broker.fetches.map((_, i) => i));
    expect(broker.fetches[0]).toMatchObject({ maxRecords: 500, maxWaitMs: 500 });
    void pending;
    expect(broker.acknowledges).toEqual([]);
  });

  it('explicit mode: accept, release and reject travel as one batch with a type per offset; a record left unacknowledged blocks the next batch', async () => {
    broker = new FakeShareBroker();
    broker.script.push({ first: 10, count: 4 });
    const consumer = broker.consumer({ acknowledgementMode: 'explicit' });
    const batches = consumer[Symbol.asyncIterator]();
    const batch = await nextBatch(batches);
    const [a, b, c, d] = batch.records;
    consumer.acknowledge(a!, 'accept');
    consumer.acknowledge(b!, 'release');
    consumer.acknowledge(c!, 'reject');
    expect(() => consumer.acknowledge(c!, 'accept')).toThrow(RecordAlreadyAcknowledgedError);
    await expect(batches.next()).rejects.toThrow(IllegalStateError);
    consumer.acknowledge(d!, 'accept');
    const results = await broker.waitFor(consumer.commit());
    expect(results).toEqual([
      {
        topic: 'jobs',
        partition: 0,
        offsets: [10, 11, 12, 13],
        types: { accept: 2, release: 1, reject: 1 },
        error: null,
      },
    ]);
    expect(broker.acknowledges.map(acksOf)).toEqual([[[10, 13, [ACCEPT, RELEASE, REJECT, ACCEPT]]]]);
  });

  it('commit() answers per partition with the broker’s refusal, and tells the acknowledgement commit callback', async () => {
    broker = new FakeShareBroker();
    broker.script.push({ first: 0, count: 2 });
    const consumer = broker.consumer({ acknowledgementMode: 'explicit' });
    const told: unknown[] = [];
    consumer.setAcknowledgementCommitCallback((results) => told.push(...results));
    const batch = await nextBatch(consumer[Symbol.asyncIterator]());
    for (const r of batch.records) consumer.acknowledge(r, 'accept');
    broker.acknowledgeErrorCode = ErrorCode.INVALID_RECORD_STATE;
    const [result] = await broker.waitFor(consumer.commit());
    expect(result).toMatchObject({ topic: 'jobs', partition: 0, offsets: [0, 1] });
    expect(result!.error).toBeInstanceOf(KafkaProtocolError);
    expect((result!.error as KafkaProtocolError).errorCode).toBe(ErrorCode.INVALID_RECORD_STATE);
    expect(told).toEqual([result]);
    expect(consumer.health()).toMatchObject({ acknowledgementsSent: 2, acknowledgementErrors: 2 });
  });

  it('past the acquisition lock a record is no longer this consumer’s: acknowledge throws, and finishing sends nothing for it', async () => {
    broker = new FakeShareBroker();
    broker.script.push({ first: 0, count: 3 });
    const consumer = broker.consumer({ acknowledgementMode: 'explicit' });
    const batches = consumer[Symbol.asyncIterator]();
    const batch = await nextBatch(batches);
    consumer.acknowledge(batch.records[0]!, 'accept');
    await broker.pass(LOCK_MS, 500);
    expect(() => consumer.acknowledge(batch.records[1]!, 'accept')).toThrow(AcquisitionLockTimeoutError);
    // Finishing the batch is allowed once the lock ran out, and sends nothing for the other two.
    const pending = batches.next();
    await broker.pass(1_000, 100);
    const sent = [...broker.fetches.flatMap((f) => acksOf(f)), ...broker.acknowledges.flatMap(acksOf)];
    // The accept made in time went with the next ShareFetch.
    expect(sent).toEqual([[0, 0, [ACCEPT]]]);
    expect(consumer.health().locksExpired).toBe(2);
    void pending;
    expect(consumer.health().acquisitionLockTimeoutMs).toBe(LOCK_MS);
  });

  it('close() releases what was handed out and not acknowledged in a ShareAcknowledge at epoch -1, then leaves at epoch -1', async () => {
    broker = new FakeShareBroker();
    broker.script.push({ first: 0, count: 4 });
    const consumer = broker.consumer({ acknowledgementMode: 'explicit' });
    const batch = await nextBatch(consumer[Symbol.asyncIterator]());
    consumer.acknowledge(batch.records[0]!, 'accept');
    await broker.waitFor(consumer.close());
    const closing = broker.acknowledges.at(-1)!;
    expect(closing.shareSessionEpoch).toBe(-1);
    expect(acksOf(closing)).toEqual([[0, 3, [ACCEPT, RELEASE, RELEASE, RELEASE]]]);
    expect(broker.heartbeats.at(-1)).toMatchObject({ memberEpoch: -1 });
    expect(consumer.health().state).toBe('closed');
  });
});
