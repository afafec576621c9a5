/**
 * The `userData` bytes of Java's sticky assignors, in Kafka's original struct encoding (big-endian
 * INT32, INT16-length UTF-8 strings, INT32-counted arrays).
 *
 * - `sticky` (StickyAssignor): v1 = previous_assignment: [topic: STRING, partitions: [INT32]],
 *   generation: INT32; v0 lacks the generation.
 * - `cooperative-sticky`: generation: INT32.
 */
import { DecodeError } from '@runnel/codec';
import { DEFAULT_GENERATION } from './common.js';
import type { StickyMemberData } from './sticky-core.js';
import type { TopicPartition } from './types.js';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Encodes a sticky member's previous assignment and generation (v1).
 * @returns the user data bytes.
 * @throws RangeError when a topic name is longer than 32767 UTF-8 bytes.
 */
export function encodeStickyUserData(partitions: readonly TopicPartition[], generation: number): Uint8Array {
  const byTopic = new Map<string, number[]>();
  for (const tp of partitions) {
    let list = byTopic.get(tp.topic);
    if (list === undefined) byTopic.set(tp.topic, (list = []));
    list.push(tp.partition);
  }
  const names = [...byTopic.keys()].map((t) => utf8Encoder.encode(t));
  let size = 4 + 4;
  for (const [i, name] of names.entries()) {
    if (name.length > 0x7fff) throw new RangeError(`topic name of ${name.length} bytes is too long`);
    size += 2 + name.length + 4 + 4 * byTopic.get([...byTopic.keys()][i]!)!.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  view.setInt32(at, byTopic.size);
  at += 4;
  let i = 0;
  for (const list of byTopic.values()) {
    const name = names[i++]!;
    view.setInt16(at, name.length);
    out.set(name, at + 2);
    at += 2 + name.length;
    view.setInt32(at, list.length);
    at += 4;
    for (const p of list) {
      view.setInt32(at, p);
      at += 4;
    }
  }
  view.setInt32(at, generation);
  return out;
}

/** Bounds-checked big-endian reads; every overrun is a DecodeError. */
class StructReader {
  private at = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (this.at + n > this.bytes.length)
      throw new DecodeError(`need ${n} bytes at offset ${this.at}`, this.at);
  }

  int16(): number {
    this.need(2);
    const v = this.view.getInt16(this.at);
    this.at += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.view.getInt32(this.at);
    this.at += 4;
    return v;
  }

  /** An array count; a count that the remaining bytes cannot hold is rejected before allocating. */
  count(minElementSize: number): number {
    const n = this.int32();
    if (n < 0 || n * minElementSize > this.bytes.length - this.at) {
      throw new DecodeError(`array count ${n} does not fit in the bytes left`, this.at - 4);
    }
    return n;
  }

  string(): string {
    const n = this.int16();
    if (n < 0) throw new DecodeError(`negative string length ${n}`, this.at - 2);
    this.need(n);
    try {
      return utf8Decoder.decode(this.bytes.subarray(this.at, (this.at += n)));
    } catch (cause) {
      throw new DecodeError('string is not valid UTF-8', this.at - n, { cause });
    }
  }
}

function readAssignment(reader: StructReader): TopicPartition[] {
  const partitions: TopicPartition[] = [];
  const topics = reader.count(6);
  for (let i = 0; i < topics; i++) {
    const topic = reader.string();
    const n = reader.count(4);
    for (let j = 0; j < n; j++) partitions.push({ topic, partition: reader.int32() });
  }
  return partitions;
}

/**
 * Decodes the user data of a `sticky` member the way Java does: v1 first, then v0; bytes that are
 * neither count as "no previous assignment, generation -1". Absent or empty user data has no
 * generation at all.
 * @returns the member's previous partitions and generation. Never throws.
 */
export function decodeStickyUserData(userData: Uint8Array | null | undefined): StickyMemberData {
  if (userData === null || userData === undefined || userData.length === 0) {
    return { partitions: [], generation: undefined };
  }
  try {
    const reader = new StructReader(userData);
    const partitions = readAssignment(reader);
    return { partitions, generation: reader.int32() };
  } catch {
    try {
      return { partitions: readAssignment(new StructReader(userData)), generation: undefined };
    } catch {
      return { partitions: [], generation: DEFAULT_GENERATION };
    }
  }
}

/**
 * Encodes the generation a `cooperative-sticky` member last got its assignment in.
 * @returns four bytes.
 */
export function encodeCooperativeStickyUserData(generation: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, generation);
  return out;
}

/**
 * Decodes a `cooperative-sticky` member's generation from its user data, as Java's
 * `CooperativeStickyAssignor` does for subscriptions older than v2.
 * @returns the generation; undefined without user data; -1 when the bytes are too short. Never throws.
 */
export function decodeCooperativeStickyUserData(userData: Uint8Array | null | undefined): number | undefined {
  if (userData === null || userData === undefined) return undefined;
  if (userData.length < 4) return DEFAULT_GENERATION;
  return new DataView(userData.buffer, userData.byteOffset, userData.byteLength).getInt32(0);
}
