import { encodeRecordBatch, type RecordInput } from '@runnel/codec';
import { describe, expect, it } from 'vitest';
import type { ConsumerRecord } from './batch.js';
import { resolveConfig } from './config.js';
import { Consumer } from './consumer.js';
import { consumerConfigFromProperties } from './consumer-properties.js';
import { recordClassesFor } from './deserializers.js';
import { editDistance, nearestName } from './did-you-mean.js';
import { ConfigError } from './errors.js';
import { PartitionFetchCursor } from './partition-fetch.js';
import { TopicPartitionMap } from './partition-map.js';
import { concatBytes } from './test-support/bytes.js';

const text = new TextEncoder();
const records = (n: number): RecordInput[] =>
  Array.from({ length: n }, (_, i) => ({
    key: null,
    value: text.encode(`v${i}`),
    headers: [],
    timestamp: 1,
  }));

describe('TopicPartitionMap', () => {
  it('finds entries by topic and partition with a fresh object, and iterates in the order given', () => {
    const asked = [
      { topic: 'b', partition: 1 },
      { topic: 'a', partition: 0 },
    ];
    const map = new TopicPartitionMap(asked.map((tp, i) => [tp, i * 10] as const));
    expect(map.get({ topic: 'a', partition: 0 })).toBe(10);
    expect(map.get({ topic: 'b', partition: 1 })).toBe(0);
    expect(map.get({ topic: 'a', partition: 1 })).toBeUndefined();
    expect(map.has({ topic: 'b', partition: 1 })).toBe(true);
    expect(map.size).toBe(2);
    expect([...map.keys()]).toEqual(asked);
    expect([...map.values()]).toEqual([0, 10]);
    expect([...map]).toEqual([
      [{ topic: 'b', partition: 1 }, 0],
      [{ topic: 'a', partition: 0 }, 10],
    ]);
  });

  it('keeps the last value when a partition is given twice', () => {
    const map = new TopicPartitionMap([
      [{ topic: 't', partition: 0 }, 'first'],
      [{ topic: 't', partition: 0 }, 'second'],
    ]);
    expect(map.size).toBe(1);
    expect(map.get({ topic: 't', partition: 0 })).toBe('second');
  });
});

describe('did you mean', () => {
  it('measures edits, an adjacent swap counting as one', () => {
    expect(editDistance('groupid', 'groupid')).toBe(0);
    expect(editDistance('gropuid', 'groupid')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it.each([
    ['groupID', 'groupId'],
    ['group.id', 'groupId'],
    ['sesionTimeoutMs', 'sessionTimeoutMs'],
    ['max.poll.records', 'maxPollRecords'],
    ['broker', 'brokers'],
  ])('suggests the option nearest to %s in the ConfigError', (wrong, meant) => {
    const error = (() => {
      try {
        resolveConfig({ brokers: 'b:9092', [wrong]: 1 } as never);
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe(wrong);
    expect((error as ConfigError).message).toContain(`did you mean ${meant}?`);
  });

  it('suggests nothing for a name far from every option', () => {
    expect(nearestName('colour', ['brokers', 'groupId'])).toBeNull();
    expect(() => resolveConfig({ brokers: 'b:9092', zzzzzzzz: 1 } as never)).toThrow(
      /^zzzzzzzz: is not a consumer option$/,
    );
  });
});

describe('maxPollRecords', () => {
  const bytes = concatBytes(
    encodeRecordBatch({ baseOffset: 0, partitionLeaderEpoch: 2, records: records(5) }),
    encodeRecordBatch({ baseOffset: 5, partitionLeaderEpoch: 3, records: records(3) }),
  );
  const cursorFor = () =>
    new PartitionFetchCursor(
      {
        topic: 't',
        partition: 0,
        fetchOffset: 0,
        records: bytes,
        highWatermark: 8,
        lastStableOffset: 8,
        abortedTransactions: null,
      },
      { readCommitted: false, checkCrcs: true },
    );
  const limits = (maxRecords: number) => ({
    maxBytes: Number.POSITIVE_INFINITY,
    mayDecompress: () => true,
    maxRecords,
  });

  it('cuts batches at the cap, inside a record batch too, with the position after the last record handed out', () => {
    const cursor = cursorFor();
    const chunks: Array<{ offsets: number[]; next: unknown }> = [];
    while (!cursor.done) {
      const chunk = cursor.next(limits(2))!;
      expect(chunk.error).toBeNull();
      chunks.push({ offsets: chunk.batch!.records.map((r) => r.offset), next: chunk.nextPosition });
    }
    expect(chunks).toEqual([
      { offsets: [0, 1], next: { offset: 2, leaderEpoch: 2 } },
      { offsets: [2, 3], next: { offset: 4, leaderEpoch: 2 } },
      { offsets: [4], next: { offset: 5, leaderEpoch: 2 } },
      { offsets: [5, 6], next: { offset: 7, leaderEpoch: 3 } },
      { offsets: [7], next: { offset: 8, leaderEpoch: 3 } },
    ]);
  });

  it('hands out whole fetched data when there is no cap', () => {
    const cursor = cursorFor();
    const chunk = cursor.next(limits(Number.POSITIVE_INFINITY))!;
    expect(chunk.batch!.records.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(cursor.done).toBe(true);
  });

  it('is a positive integer option, named when wrong', () => {
    expect(resolveConfig({ brokers: 'b:9092' }).maxPollRecords).toBeNull();
    expect(resolveConfig({ brokers: 'b:9092', maxPollRecords: 500 }).maxPollRecords).toBe(500);
    expect(() => resolveConfig({ brokers: 'b:9092', maxPollRecords: 0 })).toThrow(/maxPollRecords/);
    const properties = new Map([
      ['bootstrap.servers', 'b:9092'],
      ['max.poll.records', '50'],
    ]);
    const noFiles = (): string => {
      throw new Error('no files here');
    };
    expect(consumerConfigFromProperties(properties, noFiles)).toMatchObject({ maxPollRecords: 50 });
  });
});

describe('deserializers', () => {
  const value = text.encode('{"n":7}');
  const bytes = encodeRecordBatch({
    baseOffset: 0,
    records: [
      { key: text.encode('k1'), value, headers: [], timestamp: 1 },
      { key: null, value: null, headers: [], timestamp: 2 },
    ],
  });
  const recordsWith = (key: unknown, val: unknown) => {
    const config = resolveConfig({
      brokers: 'b:9092',
      keyDeserializer: key,
      valueDeserializer: val,
    } as never);
    const cursor = new PartitionFetchCursor(
      {
        topic: 't',
        partition: 0,
        fetchOffset: 0,
        records: bytes,
        highWatermark: 2,
        lastStableOffset: 2,
        abortedTransactions: null,
      },
      {
        readCommitted: false,
        checkCrcs: true,
        recordClasses: recordClassesFor(config.keyDeserializer, config.valueDeserializer),
      },
    );
    return cursor.next({
      maxBytes: Number.POSITIVE_INFINITY,
      mayDecompress: () => true,
      maxRecords: Number.POSITIVE_INFINITY,
    })!.batch!.records;
  };

  it('hands out the bytes, zero-copy, without one', () => {
    const [first] = recordsWith(undefined, 'buffer');
    expect(first!.value).toBeInstanceOf(Uint8Array);
    expect(first!.value!.buffer).toBe(bytes.buffer);
  });

  it("turns keys and values into strings, JSON or a function's result when read; null stays null", () => {
    const [first, second] = recordsWith('string', 'json');
    expect(first!.key).toBe('k1');
    expect(first!.value).toEqual({ n: 7 });
    expect([second!.key, second!.value]).toEqual([null, null]);
    const seen: string[] = [];
    const [custom] = recordsWith(
      undefined,
      (b: Uint8Array, context: { topic: string; partition: number }) => {
        seen.push(`${context.topic}/${context.partition}`);
        return b.length;
      },
    );
    expect(custom!.value).toBe(value.length);
    expect(custom!.key).toBeInstanceOf(Uint8Array);
    expect(seen).toEqual(['t/0']);
  });

  it('refuses another kind of deserializer, naming the option', () => {
    expect(() => resolveConfig({ brokers: 'b:9092', valueDeserializer: 'utf16' } as never)).toThrow(
      /valueDeserializer/,
    );
  });

  it('types records through the consumer generics (compile-time)', async () => {
    const consumer = new Consumer({
      brokers: '127.0.0.1:1',
      valueDeserializer: 'string',
      keyDeserializer: (b: Uint8Array) => b.length,
    });
    const typed = (record: ConsumerRecord<number, string>) => [record.key, record.value];
    const run = consumer.run.bind(consumer);
    // Both parameters line up: a key of number, a value of string.
    const check: Parameters<typeof run>[0] = { eachRecord: (r) => void typed(r) };
    expect(typeof check.eachRecord).toBe('function');
    await consumer.close({ timeoutMs: 1_000 });
  });
});
