import { ApiKeys, Fetch, RequestHeader, ResponseHeader } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import { kafkaTrace, type Packet } from './frames.js';

const BROKER = 9092;
const CLIENT = 50_000;

function sized(...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(4 + length);
  new DataView(out.buffer).setInt32(0, length);
  let at = 4;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A request frame: the header as the client writes it, and a body the trace never reads. */
function request(apiKey: number, version: number, correlationId: number): Uint8Array {
  const header = { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'c' };
  return sized(RequestHeader.encode(header, 1), new Uint8Array([1, 2, 3]));
}

function response(correlationId: number, body: Uint8Array = new Uint8Array(2)): Uint8Array {
  return sized(ResponseHeader.encode({ correlationId }, 0), body);
}

function fetchBody(records: Uint8Array | null): Uint8Array {
  const partition = {
    partitionIndex: 0,
    errorCode: 0,
    highWatermark: 10n,
    lastStableOffset: 10n,
    logStartOffset: 0n,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records,
  };
  return Fetch.response.encode(
    { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [{ topic: 't', partitions: [partition] }] },
    11,
  );
}

/** Packets of one connection: `segments` are [time, outbound, bytes], cut as the test likes. */
function connection(stream: number, synMs: number, segments: [number, boolean, Uint8Array][]): Packet[] {
  const port = CLIENT + stream;
  const packets: Packet[] = [
    {
      timeMs: synMs,
      stream,
      srcPort: port,
      dstPort: BROKER,
      syn: true,
      ack: false,
      seq: 999,
      payload: new Uint8Array(0),
    },
    {
      timeMs: synMs + 0.1,
      stream,
      srcPort: BROKER,
      dstPort: port,
      syn: true,
      ack: true,
      seq: 4999,
      payload: new Uint8Array(0),
    },
  ];
  const next = { out: 1000, in: 5000 };
  for (const [timeMs, outbound, payload] of segments) {
    const key = outbound ? 'out' : 'in';
    packets.push({
      timeMs,
      stream,
      srcPort: outbound ? port : BROKER,
      dstPort: outbound ? BROKER : port,
      syn: false,
      ack: true,
      seq: next[key],
      payload,
    });
    next[key] += payload.length;
  }
  return packets;
}

describe('kafkaTrace', () => {
  it('pairs each request with its response by correlation id and names the API', () => {
    const trace = kafkaTrace(
      connection(0, 10, [
        [11, true, request(ApiKeys.ApiVersions, 3, 0)],
        [12, false, response(0)],
        [13, true, request(ApiKeys.Metadata, 12, 1)],
        [15, false, response(1)],
      ]),
      BROKER,
    );
    expect(trace.connections).toEqual([{ stream: 0, synMs: 10, synAckMs: 10.1 }]);
    expect(trace.exchanges).toEqual([
      {
        stream: 0,
        apiKey: 18,
        apiName: 'ApiVersions',
        apiVersion: 3,
        correlationId: 0,
        sentMs: 11,
        answeredMs: 12,
      },
      {
        stream: 0,
        apiKey: 3,
        apiName: 'Metadata',
        apiVersion: 12,
        correlationId: 1,
        sentMs: 13,
        answeredMs: 15,
      },
    ]);
    expect(trace.broken).toEqual([]);
  });

  it('puts frames split over segments back together, and takes two frames out of one segment', () => {
    const first = request(ApiKeys.FindCoordinator, 4, 7);
    const second = request(ApiKeys.JoinGroup, 9, 8);
    const both = new Uint8Array([...first, ...second]);
    const answer = response(8);
    const trace = kafkaTrace(
      connection(0, 0, [
        [1, true, both.subarray(0, 2)],
        [2, true, both.subarray(2, first.length + 3)],
        [3, true, both.subarray(first.length + 3)],
        [5, false, answer.subarray(0, 3)],
        [9, false, answer.subarray(3)],
      ]),
      BROKER,
    );
    expect(trace.exchanges.map((e) => [e.apiName, e.correlationId, e.sentMs, e.answeredMs])).toEqual([
      ['FindCoordinator', 7, 1, undefined],
      ['JoinGroup', 8, 2, 9],
    ]);
  });

  it('keeps correlation ids apart per connection and skips retransmitted bytes', () => {
    const packets = [
      ...connection(0, 0, [
        [1, true, request(ApiKeys.ApiVersions, 3, 0)],
        [4, false, response(0)],
      ]),
      ...connection(1, 2, [
        [3, true, request(ApiKeys.Fetch, 11, 0)],
        [6, false, response(0, fetchBody(new Uint8Array(61)))],
      ]),
    ];
    // The broker sends the Fetch response's segment again.
    const resent = packets.at(-1)!;
    const trace = kafkaTrace([...packets, { ...resent, timeMs: 7 }], BROKER);
    expect(trace.exchanges.map((e) => [e.stream, e.apiName, e.answeredMs, e.hasRecords])).toEqual([
      [0, 'ApiVersions', 4, undefined],
      [1, 'Fetch', 6, true],
    ]);
    expect(trace.connections.map((c) => c.stream)).toEqual([0, 1]);
  });

  it('tells a Fetch that returned no records from one that did', () => {
    const trace = kafkaTrace(
      connection(0, 0, [
        [1, true, request(ApiKeys.Fetch, 11, 1)],
        [2, false, response(1, fetchBody(null))],
      ]),
      BROKER,
    );
    expect(trace.exchanges[0]!.hasRecords).toBe(false);
  });

  it('reads a connection whose first segment is missing from the next one on', () => {
    const packets = connection(0, 0, [
      [1, true, request(ApiKeys.ApiVersions, 3, 0)],
      [2, true, request(ApiKeys.Metadata, 12, 1)],
    ]);
    const trace = kafkaTrace(
      packets.filter((_, i) => i !== 2),
      BROKER,
    );
    expect(trace.exchanges.map((e) => e.apiName)).toEqual(['Metadata']);
  });

  it('marks a connection with a gap in the capture as broken and reads nothing more of it', () => {
    const packets = connection(0, 0, [
      [1, true, request(ApiKeys.ApiVersions, 3, 0)],
      [2, true, request(ApiKeys.Metadata, 12, 1)],
    ]);
    const gap = kafkaTrace([...packets.slice(0, 3), { ...packets[3]!, seq: packets[3]!.seq + 5 }], BROKER);
    expect(gap.broken).toEqual([0]);
    expect(gap.exchanges.map((e) => e.apiName)).toEqual(['ApiVersions']);
  });
});
