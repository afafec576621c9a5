import { ApiKeys, apis, decodeResponse, Fetch, RequestHeader, responseCorrelationId } from '@runnel/protocol';

/*
 * Kafka's requests and responses out of a packet capture of one client's TCP connections to a broker:
 * each connection's two byte streams are put back together in sequence order, cut into size-prefixed
 * frames, and each frame's header is decoded with @runnel/protocol (request: API key, version,
 * correlation id; response: correlation id), so responses pair with their requests.
 */

/** One TCP segment as the capture shows it. */
export interface Packet {
  /** Capture time, ms since the epoch (fractional). */
  readonly timeMs: number;
  /** The capture's connection number. */
  readonly stream: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly syn: boolean;
  readonly ack: boolean;
  /** The segment's first sequence number (raw, not relative). */
  readonly seq: number;
  readonly payload: Uint8Array;
}

/** A connection a client opened to the broker. */
export interface Connection {
  readonly stream: number;
  /** The client's SYN. */
  readonly synMs: number;
  /** The broker's SYN-ACK, when captured. */
  readonly synAckMs?: number;
}

/** A request and, when it came, its response. */
export interface Exchange {
  readonly stream: number;
  readonly apiKey: number;
  /** Kafka's name of the API, or `api <key>` for one this protocol package does not know. */
  readonly apiName: string;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** When the packet carrying the request's first byte was captured. */
  readonly sentMs: number;
  /** When the packet carrying the response's last byte was captured. */
  readonly answeredMs?: number;
  /** Fetch only: whether the response carried record bytes for some partition. */
  readonly hasRecords?: boolean;
}

/** What the capture of one client holds. */
export interface KafkaTrace {
  readonly connections: readonly Connection[];
  /** Every request, in the order it was sent. */
  readonly exchanges: readonly Exchange[];
  /** Connections whose bytes could not be put back together (a gap in the capture). */
  readonly broken: readonly number[];
}

/** A frame cut out of one direction of a connection: its payload and the capture times around it. */
interface Frame {
  readonly payload: Uint8Array;
  readonly firstMs: number;
  readonly lastMs: number;
}

/**
 * One direction of one connection, put back together. Segments are kept as they came and copied once,
 * into the frame they complete, so a capture of many megabytes costs one pass.
 */
class ByteStream {
  private chunks: { bytes: Uint8Array; timeMs: number }[] = [];
  private length = 0;
  private nextSeq: number | undefined;
  broken = false;
  readonly frames: Frame[] = [];

  add(packet: Packet): void {
    if (packet.payload.length === 0 || this.broken) return;
    let payload = packet.payload;
    if (this.nextSeq !== undefined) {
      // Sequence numbers wrap at 2^32; the distance is taken modulo that.
      const behind = (this.nextSeq - packet.seq) >>> 0;
      if (behind !== 0 && behind < 2 ** 31) {
        // A retransmission: keep only what is new.
        if (behind >= payload.length) return;
        payload = payload.subarray(behind);
      } else if (behind !== 0) {
        this.broken = true;
        return;
      }
    }
    this.nextSeq = (packet.seq + packet.payload.length) >>> 0;
    this.chunks.push({ bytes: payload, timeMs: packet.timeMs });
    this.length += payload.length;
    this.cut();
  }

  /** Copies the first `count` buffered bytes out, and drops them when `consume`. */
  private take(count: number, consume: boolean): { bytes: Uint8Array; firstMs: number; lastMs: number } {
    const bytes = new Uint8Array(count);
    let copied = 0;
    let i = 0;
    const firstMs = this.chunks[0]!.timeMs;
    let lastMs = firstMs;
    while (copied < count) {
      const chunk = this.chunks[i]!;
      const n = Math.min(chunk.bytes.length, count - copied);
      bytes.set(chunk.bytes.subarray(0, n), copied);
      copied += n;
      lastMs = chunk.timeMs;
      if (consume && n === chunk.bytes.length) this.chunks.shift();
      else if (consume) this.chunks[i] = { bytes: chunk.bytes.subarray(n), timeMs: chunk.timeMs };
      else i++;
    }
    if (consume) this.length -= count;
    return { bytes, firstMs, lastMs };
  }

  private cut(): void {
    while (this.length >= 4) {
      const prefix = this.take(4, false).bytes;
      const size = new DataView(prefix.buffer).getInt32(0);
      if (size < 0) {
        this.broken = true;
        return;
      }
      if (this.length < 4 + size) return;
      const frame = this.take(4 + size, true);
      this.frames.push({ payload: frame.bytes.subarray(4), firstMs: frame.firstMs, lastMs: frame.lastMs });
    }
  }
}

function fetchHasRecords(version: number, payload: Uint8Array): boolean | undefined {
  try {
    const { body } = decodeResponse(Fetch, version, payload);
    return body.responses.some((t) => t.partitions.some((p) => (p.records?.length ?? 0) > 0));
  } catch {
    return undefined;
  }
}

/**
 * Reads the Kafka traffic of the captured packets between clients and the broker on `brokerPort`.
 *
 * @returns the connections and every request with its response, in the order the requests were sent.
 */
export function kafkaTrace(packets: readonly Packet[], brokerPort: number): KafkaTrace {
  const connections = new Map<number, { synMs: number; synAckMs?: number }>();
  const toBroker = new Map<number, ByteStream>();
  const fromBroker = new Map<number, ByteStream>();
  const sorted = [...packets].sort((a, b) => a.timeMs - b.timeMs);
  for (const packet of sorted) {
    const outbound = packet.dstPort === brokerPort;
    if (packet.syn && !packet.ack && outbound) connections.set(packet.stream, { synMs: packet.timeMs });
    if (packet.syn && packet.ack && !outbound) {
      const connection = connections.get(packet.stream);
      if (connection !== undefined) connection.synAckMs = packet.timeMs;
    }
    if (packet.syn) continue;
    const streams = outbound ? toBroker : fromBroker;
    let stream = streams.get(packet.stream);
    if (stream === undefined) streams.set(packet.stream, (stream = new ByteStream()));
    stream.add(packet);
  }
  const exchanges: Exchange[] = [];
  for (const [id, requests] of toBroker) {
    const pending = new Map<number, { apiKey: number; apiVersion: number; index: number }>();
    for (const frame of requests.frames) {
      const header = RequestHeader.decode(frame.payload, 1);
      pending.set(header.correlationId, {
        apiKey: header.requestApiKey,
        apiVersion: header.requestApiVersion,
        index: exchanges.length,
      });
      exchanges.push({
        stream: id,
        apiKey: header.requestApiKey,
        apiName: apis.get(header.requestApiKey)?.name ?? `api ${header.requestApiKey}`,
        apiVersion: header.requestApiVersion,
        correlationId: header.correlationId,
        sentMs: frame.firstMs,
      });
    }
    for (const frame of fromBroker.get(id)?.frames ?? []) {
      const request = pending.get(responseCorrelationId(frame.payload));
      if (request === undefined) continue;
      const hasRecords =
        request.apiKey === ApiKeys.Fetch ? fetchHasRecords(request.apiVersion, frame.payload) : undefined;
      exchanges[request.index] = {
        ...exchanges[request.index]!,
        answeredMs: frame.lastMs,
        ...(hasRecords === undefined ? {} : { hasRecords }),
      };
    }
  }
  const broken = [...toBroker, ...fromBroker].filter(([, s]) => s.broken).map(([id]) => id);
  return {
    connections: [...connections].map(([stream, c]) => ({ stream, ...c })).sort((a, b) => a.synMs - b.synMs),
    exchanges: exchanges.sort((a, b) => a.sentMs - b.sentMs),
    broken: [...new Set(broken)],
  };
}
