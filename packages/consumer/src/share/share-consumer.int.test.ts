import { setTimeout as sleep } from 'node:timers/promises';
import { testCluster } from '@runnel/kafka-local/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupFatalError } from '../index.js';
import {
  closeAll,
  clusterHasShareGroups,
  Deliveries,
  produce,
  shareConsumer,
  shareSetup,
} from '../test-support/share-scenario.js';
import { until } from '../test-support/until.js';
import { AcquisitionLockTimeoutError } from './share-errors.js';
import type { ShareRecord } from './share-records.js';

const SHARE_GROUPS = clusterHasShareGroups();
const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);

afterEach(closeAll);

describe.runIf(!SHARE_GROUPS)('share groups on a broker without them (Kafka 3.9)', () => {
  it('a ShareConsumer fails with a typed error saying so (the share group tests are skipped: 3.9 has no share groups)', async () => {
    const consumer = shareConsumer({
      cluster: testCluster(),
      topic: 'no-share-groups',
      groupId: 'no-share-groups',
    });
    const error = await consumer[Symbol.asyncIterator]()
      .next()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GroupFatalError);
    expect(error).toMatchObject({ code: 'ERR_SHARE_GROUPS_UNSUPPORTED' });
  });
});

describe.skipIf(!SHARE_GROUPS)('share groups (KIP-932; skipped on Kafka 3.9, which has none)', () => {
  it('3 members on 6 partitions: every record is delivered, and with only accepts each exactly once', async () => {
    const setup = await shareSetup('share-three', 6);
    const deliveries = new Deliveries();
    const members = ['a', 'b', 'c'].map((name) => ({ name, consumer: shareConsumer(setup) }));
    const loops = members.map(async ({ name, consumer }) => {
      for await (const batch of consumer) for (const r of batch.records) deliveries.add(r, name);
    });
    await until(
      'three members with partitions',
      () => members.every((m) => m.consumer.health().assigned > 0),
      60_000,
    );
    expect(members.map((m) => m.consumer.health().assigned)).toEqual([2, 2, 2]);
    const total = sum(await produce(setup, 3_000));
    expect(total).toBe(3_000);
    await until('every record', () => deliveries.distinct >= total, 120_000);
    // A record delivered twice would come within a fetch or two.
    await sleep(2_000);
    await closeAll();
    await Promise.all(loops);
    expect(deliveries.distinct).toBe(total);
    expect(deliveries.repeated()).toEqual([]);
    expect([...deliveries.counts.values()].every((c) => c.length === 1 && c[0] === 1)).toBe(true);
    for (const name of ['a', 'b', 'c']) expect(deliveries.by.get(name) ?? 0).toBeGreaterThan(0);
  });

  it('a released record comes again, to any member, with deliveryCount 2; a rejected one never again', async () => {
    const setup = await shareSetup('share-release', 1);
    const deliveries = new Deliveries();
    const members = ['a', 'b'].map((name) => ({
      name,
      consumer: shareConsumer(setup, { acknowledgementMode: 'explicit' }),
    }));
    const loops = members.map(async ({ name, consumer }) => {
      for await (const batch of consumer) {
        for (const r of batch.records) {
          deliveries.add(r, name);
          const first = r.deliveryCount === 1;
          consumer.acknowledge(r, !first ? 'accept' : r.offset % 2 === 0 ? 'release' : 'reject');
        }
      }
    });
    await until(
      'both members with the partition',
      () => members.every((m) => m.consumer.health().assigned === 1),
      60_000,
    );
    await produce(setup, 20);
    const evens = Array.from({ length: 10 }, (_, i) => `0:${i * 2}`);
    await until(
      'the released records again',
      () => evens.every((k) => deliveries.counts.get(k)?.length === 2),
      60_000,
    );
    // Rejected records would come back within the same time the released ones did.
    await sleep(3_000);
    await closeAll();
    await Promise.all(loops);
    for (let offset = 0; offset < 20; offset++) {
      expect([offset, deliveries.counts.get(`0:${offset}`)]).toEqual([
        offset,
        offset % 2 === 0 ? [1, 2] : [1],
      ]);
    }
  });

  it('run({ eachRecord }): a handler that throws rejects run; its record and the rest of its batch come again with deliveryCount 2, those before it never', async () => {
    const setup = await shareSetup('share-run', 1);
    await produce(setup, 10);
    const consumer = shareConsumer(setup);
    const deliveries = new Deliveries();
    const failure = new Error('handler failed on offset 5');
    const first = consumer.run({
      eachRecord: (r) => {
        deliveries.add(r);
        if (r.offset === 5 && r.deliveryCount === 1) throw failure;
      },
    });
    await expect(first).rejects.toBe(failure);
    const stop = new AbortController();
    const second = consumer.run({
      signal: stop.signal,
      eachRecord: (r) => {
        deliveries.add(r);
      },
    });
    await until('offset 5 again', () => deliveries.counts.get('0:5')?.length === 2, 60_000);
    await until('every offset', () => deliveries.distinct === 10, 60_000);
    // A record delivered once more would come within a fetch or two.
    await sleep(2_000);
    stop.abort();
    await second;
    const counts = Array.from({ length: 10 }, (_, o) => deliveries.counts.get(`0:${o}`));
    // Accepted when the handler failed after them: never again.
    expect(counts.slice(0, 5)).toEqual([[1], [1], [1], [1], [1]]);
    expect(counts[5]).toEqual([1, 2]);
    // The rest of the failed batch never reached the handler and was released with it: it comes with
    // deliveryCount 2; later batches come for the first time. Either way each record reaches it once.
    const rest = counts.slice(6).map((c) => c!.join());
    expect(rest.every((c) => c === '2' || c === '1')).toBe(true);
    expect(rest).toEqual([...rest].sort().reverse());
  });

  it('past share.delivery.count.limit a released record is archived, never delivered again', async () => {
    const setup = await shareSetup('share-limit', 1, { 'share.delivery.count.limit': 2 });
    const deliveries = new Deliveries();
    const consumer = shareConsumer(setup, { acknowledgementMode: 'explicit' });
    const loop = (async () => {
      for await (const batch of consumer) {
        for (const r of batch.records) {
          deliveries.add(r);
          consumer.acknowledge(r, 'release');
        }
      }
    })();
    await produce(setup, 5);
    await until(
      'two deliveries of each record',
      () => [...deliveries.counts.values()].filter((c) => c.length >= 2).length === 5,
      60_000,
    );
    await sleep(3_000);
    await closeAll();
    await loop;
    expect([...deliveries.counts].sort()).toEqual([0, 1, 2, 3, 4].map((o) => [`0:${o}`, [1, 2]]));
  });

  it('close() releases what is acquired and not acknowledged: another member gets it long before the lock runs out', async () => {
    const setup = await shareSetup('share-close', 1);
    await produce(setup, 10);
    const first = shareConsumer(setup, { acknowledgementMode: 'explicit' });
    const { value: held } = await first[Symbol.asyncIterator]().next();
    expect(held.records.length).toBeGreaterThan(0);
    const heldKeys = held.records.map(
      (r: { partition: number; offset: number }) => `${r.partition}:${r.offset}`,
    );
    const closedAt = Date.now();
    await first.close();
    const deliveries = new Deliveries();
    const second = shareConsumer(setup);
    const loop = (async () => {
      for await (const batch of second) for (const r of batch.records) deliveries.add(r);
    })();
    await until(
      'the released records',
      () => heldKeys.every((k: string) => deliveries.counts.has(k)),
      25_000,
    );
    const tookMs = Date.now() - closedAt;
    await closeAll();
    await loop;
    // The group's lock is Kafka's default 30 s: getting them well before means close released them.
    expect(tookMs).toBeLessThan(25_000);
    for (const k of heldKeys) expect(deliveries.counts.get(k)).toEqual([2]);
    process.stderr.write(`[share] records released by close() came again after ${tookMs} ms\n`);
  });

  it('commit() answers per partition; acknowledging after the lock ran out throws, and the record comes again', async () => {
    const setup = await shareSetup('share-commit', 1, { 'share.record.lock.duration.ms': 2_000 });
    await produce(setup, 10);
    const consumer = shareConsumer(setup, { acknowledgementMode: 'explicit' });
    const batches = consumer[Symbol.asyncIterator]();
    const { value: batch } = await batches.next();
    const records: ShareRecord[] = [...batch.records];
    expect(records.length).toBeGreaterThan(1);
    const [kept, ...accepted] = records;
    for (const r of accepted) consumer.acknowledge(r, 'accept');
    const results = await consumer.commit();
    expect(results).toEqual([
      {
        topic: setup.topic,
        partition: 0,
        offsets: accepted.map((r) => r.offset),
        types: { accept: accepted.length, release: 0, reject: 0 },
        error: null,
      },
    ]);
    expect(consumer.health().acquisitionLockTimeoutMs).toBe(2_000);
    await sleep(Math.max(0, batch.lockExpiresAt - Date.now()) + 100);
    expect(() => consumer.acknowledge(kept!, 'accept')).toThrow(AcquisitionLockTimeoutError);
    const again = new Deliveries();
    for (;;) {
      const { value, done } = await batches.next();
      if (done) break;
      for (const r of value.records) {
        again.add(r);
        consumer.acknowledge(r, 'accept');
      }
      if (again.counts.has(`0:${kept!.offset}`)) break;
    }
    expect(again.counts.get(`0:${kept!.offset}`)).toEqual([2]);
  });
});
