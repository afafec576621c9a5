import { decodeRecordBatches, encodeRecordBatch, Writer } from '@runnel/codec';
import { testCluster } from '@runnel/kafka-local/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiVersions,
  apiVersionsRetryVersion,
  brokerVersionRanges,
  CreateTopics,
  decodeResponse,
  ErrorCode,
  Fetch,
  kafkaErrorInfo,
  ListOffsets,
  Metadata,
  negotiateVersion,
  Produce,
  RequestHeader,
  requestHeaderVersion,
  type VersionRange,
} from './index.js';
import { TestConnection } from './test-support/connection.js';

// Speaks to the broker of the integration project's global setup over a plain socket with this
// package's framing, at the highest and the lowest version both sides support, and compares what the
// broker answers with Kafka's own tools.

const cluster = testCluster();
const broker = cluster.brokers[0]!;
const topic = `runnel-protocol-${Date.now()}`;
const text = new TextEncoder();
const decoder = new TextDecoder();

let conn: TestConnection;
let brokerRanges: Map<number, VersionRange>;
let topicId = '';

/** @returns [highest, lowest] common version of an API (the same when the ranges touch in one). */
function versionsOf(api: { apiKey: number; minVersion: number }): number[] {
  const high = negotiateVersion(api, brokerRanges);
  const low = Math.max(api.minVersion, brokerRanges.get(api.apiKey)!.minVersion);
  return high === low ? [high] : [high, low];
}

beforeAll(async () => {
  conn = await TestConnection.open(broker.host, broker.port);
});

afterAll(() => conn?.close());

describe(`the protocol against Kafka ${cluster.version}`, () => {
  it('ApiVersions: the broker lists its ranges and the client picks the highest common version', async () => {
    const response = await conn.request(ApiVersions, 3, {
      clientSoftwareName: 'runnel',
      clientSoftwareVersion: '0',
    });
    expect(response.body.errorCode).toBe(ErrorCode.NONE);
    brokerRanges = brokerVersionRanges(response.body);
    for (const key of [0, 1, 2, 3, 18, 19]) expect(brokerRanges.has(key), `api key ${key}`).toBe(true);
    expect(negotiateVersion(ApiVersions, brokerRanges)).toBeGreaterThanOrEqual(3);
  });

  it('ApiVersions: a version the broker does not know is answered in v0 with UNSUPPORTED_VERSION and its range', async () => {
    const correlationId = conn.takeCorrelationId();
    const w = new Writer();
    const size = w.reserveInt32();
    RequestHeader.write(
      w,
      { requestApiKey: ApiVersions.apiKey, requestApiVersion: 127, correlationId, clientId: 'runnel' },
      requestHeaderVersion(ApiVersions, 127),
    );
    ApiVersions.request.write(w, { clientSoftwareName: 'runnel', clientSoftwareVersion: '0' }, 3);
    w.patchInt32(size, w.length - 4);
    const payload = await conn.send(w.finish(), correlationId);
    const decoded = decodeResponse(ApiVersions, ApiVersions.maxVersion, payload);
    expect(decoded.version).toBe(0);
    expect(decoded.body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const retry = apiVersionsRetryVersion(decoded.body, 127);
    expect(retry).toBe(Math.min(brokerRanges.get(ApiVersions.apiKey)!.maxVersion, ApiVersions.maxVersion));
    const again = await conn.request(ApiVersions, retry!, {
      clientSoftwareName: 'runnel',
      clientSoftwareVersion: '0',
    });
    expect(again.body.errorCode).toBe(ErrorCode.NONE);
  });

  it('CreateTopics creates a topic with two partitions', async () => {
    const version = negotiateVersion(CreateTopics, brokerRanges);
    const response = await conn.request(CreateTopics, version, {
      topics: [{ name: topic, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    expect(response.body.topics.map((t) => [t.name, t.errorCode])).toEqual([[topic, ErrorCode.NONE]]);
  });

  it('Metadata describes the brokers and the new topic with a leader for each partition', async () => {
    for (const version of versionsOf(Metadata)) {
      let partitions: { partitionIndex: number; leaderId: number }[] = [];
      for (let attempt = 0; attempt < 60; attempt++) {
        const response = await conn.request(Metadata, version, {
          topics: [{ name: topic }],
          // Versions before 4 always auto-create; the field cannot say otherwise there (Kafka's rule).
          ...(version >= 4 ? { allowAutoTopicCreation: false } : {}),
        });
        expect(response.body.brokers.map((b) => [b.nodeId, b.host, b.port])).toContainEqual([
          expect.any(Number),
          broker.host,
          broker.port,
        ]);
        const t = response.body.topics.find((x) => x.name === topic);
        if (version >= 10) topicId = t?.topicId ?? '';
        partitions = t?.partitions ?? [];
        if (t?.errorCode === 0 && partitions.length === 2 && partitions.every((p) => p.leaderId >= 0)) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(partitions.map((p) => p.partitionIndex).sort()).toEqual([0, 1]);
      expect(partitions.every((p) => p.leaderId === broker.nodeId || p.leaderId >= 0)).toBe(true);
    }
    expect(topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(topicId).not.toBe('AAAAAAAAAAAAAAAAAAAAAA');
  });

  it('Produce appends a record batch built with @runnel/codec, at the highest and the lowest common version', async () => {
    const versions = versionsOf(Produce);
    // Partition 0 gets three records at the highest version, partition 1 two at the lowest.
    const plan = [
      { version: versions[0]!, partition: 0, values: ['a0', 'a1', 'a2'] },
      { version: versions[versions.length - 1]!, partition: 1, values: ['b0', 'b1'] },
    ];
    for (const { version, partition, values } of plan) {
      const records = encodeRecordBatch({
        records: values.map((v, i) => ({
          key: text.encode(`k${i}`),
          value: text.encode(v),
          timestamp: Date.now(),
        })),
      });
      // Metadata can name the leader a moment before that broker has taken leadership of the new
      // partition; a client retries the retriable answer (NOT_LEADER_OR_FOLLOWER), and so does this test.
      let p: { index: number; errorCode: number; baseOffset: bigint } | undefined;
      for (let attempt = 0; attempt < 40; attempt++) {
        const response = await conn.request(Produce, version, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 30_000,
          topicData: [
            {
              ...(version >= 13 ? { topicId } : { name: topic }),
              partitionData: [{ index: partition, records }],
            },
          ],
        });
        p = response.body.responses[0]!.partitionResponses[0]!;
        if (p.errorCode === ErrorCode.NONE || !kafkaErrorInfo(p.errorCode).retriable) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect([p?.index, p?.errorCode, p?.baseOffset]).toEqual([partition, ErrorCode.NONE, 0n]);
    }
  });

  it("ListOffsets reports the same end offsets as Kafka's GetOffsetShell", async () => {
    const shell = await cluster.runJava('org.apache.kafka.tools.GetOffsetShell', [
      '--bootstrap-server',
      cluster.bootstrap,
      '--topic',
      topic,
    ]);
    expect(shell.code, shell.stderr).toBe(0);
    const expected = shell.stdout
      .trim()
      .split('\n')
      .map((line) => line.trim().split(':').map(Number).slice(1))
      .sort((a, b) => a[0]! - b[0]!);
    expect(expected).toEqual([
      [0, 3],
      [1, 2],
    ]);
    for (const version of versionsOf(ListOffsets)) {
      const response = await conn.request(ListOffsets, version, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          {
            name: topic,
            partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })),
          },
        ],
      });
      const got = response.body.topics[0]!.partitions.map((p) => [
        p.partitionIndex,
        p.errorCode,
        Number(p.offset),
      ]).sort((a, b) => a[0]! - b[0]!);
      expect(got, `ListOffsets v${version}`).toEqual(expected.map(([p, o]) => [p, 0, o]));
    }
  });

  it('Fetch returns the produced records, with the records bytes kept as a view of the response', async () => {
    for (const version of versionsOf(Fetch)) {
      const response = await conn.request(Fetch, version, {
        maxWaitMs: 100,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        topics: [
          {
            ...(version >= 13 ? { topicId } : { topic }),
            partitions: [0, 1].map((partition) => ({
              partition,
              fetchOffset: 0n,
              partitionMaxBytes: 1 << 20,
            })),
          },
        ],
      });
      expect(response.body.errorCode ?? 0).toBe(0);
      const partitions = response.body.responses[0]!.partitions.sort(
        (a, b) => a.partitionIndex - b.partitionIndex,
      );
      const got = partitions.map((p) => ({
        partition: p.partitionIndex,
        errorCode: p.errorCode,
        highWatermark: p.highWatermark,
        values: decodeRecordBatches(p.records!).flatMap((b) =>
          b.toArray().map((r) => decoder.decode(r.value!)),
        ),
      }));
      expect(got, `Fetch v${version}`).toEqual([
        { partition: 0, errorCode: 0, highWatermark: 3n, values: ['a0', 'a1', 'a2'] },
        { partition: 1, errorCode: 0, highWatermark: 2n, values: ['b0', 'b1'] },
      ]);
    }
  });
});
