/**
 * The JSON events of Kafka's system-test tools, one object per line: what the verifiable consumer
 * (Java's or Runnel's) prints, and what VerifiableProducer prints. Only the fields the checker reads are
 * typed; unknown events and fields pass through untouched.
 */
import { RunnelError } from '@runnel/codec';

/** A partition named in an event. */
export interface EventPartition {
  readonly topic: string;
  readonly partition: number;
}

/** One partition's share of a `records_consumed` event. */
export interface ConsumedRange extends EventPartition {
  readonly count: number;
  readonly minOffset: number;
  readonly maxOffset: number;
}

/** One offset of an `offsets_committed` event. */
export interface CommittedOffset extends EventPartition {
  readonly offset: number;
}

/**
 * A verifiable consumer event. Two are Runnel's additions, not Java's: `seek` (the app's pause/seek
 * mode) and `truncation`, read from a `log` event whose fields carry `truncatedTo` (the consumer found
 * through OffsetForLeaderEpoch that the log was truncated, KIP-320, and moved its position there).
 */
export type ConsumerEvent =
  | { readonly name: 'startup_complete'; readonly timestamp: number }
  | { readonly name: 'shutdown_complete'; readonly timestamp: number }
  | {
      readonly name: 'partitions_assigned' | 'partitions_revoked' | 'partitions_lost';
      readonly timestamp: number;
      readonly partitions: readonly EventPartition[];
    }
  | {
      readonly name: 'records_consumed';
      readonly timestamp: number;
      readonly count: number;
      readonly partitions: readonly ConsumedRange[];
    }
  | {
      readonly name: 'offsets_committed';
      readonly timestamp: number;
      readonly success: boolean;
      readonly offsets: readonly CommittedOffset[];
      readonly error?: string;
    }
  | {
      readonly name: 'seek' | 'truncation';
      readonly timestamp: number;
      readonly topic: string;
      readonly partition: number;
      readonly offset: number;
    }
  | {
      readonly name: 'record_data';
      readonly timestamp: number;
      readonly topic: string;
      readonly partition: number;
      readonly offset: number;
      readonly value: string | null;
    }
  | { readonly name: 'other'; readonly timestamp: number; readonly raw: Readonly<Record<string, unknown>> };

/** A VerifiableProducer event the checker reads: an acknowledged send, or a failed one. */
export type ProducerEvent =
  | {
      readonly name: 'producer_send_success';
      /** When the producer saw the acknowledgement (its clock; 0 when the line has none). */
      readonly timestamp: number;
      readonly topic: string;
      readonly partition: number;
      readonly offset: number;
      readonly key: string | null;
      readonly value: string | null;
    }
  | { readonly name: 'producer_send_error'; readonly topic: string; readonly message: string }
  | { readonly name: 'other'; readonly raw: Readonly<Record<string, unknown>> };

/** A line that claims to be an event (it starts with `{`) but is not one. */
export class EventFormatError extends RunnelError {
  constructor(message: string) {
    super('ERR_EVENT_FORMAT', message);
  }
}

const CONSUMER_EVENT_NAMES = new Set([
  'startup_complete',
  'shutdown_complete',
  'partitions_assigned',
  'partitions_revoked',
  'partitions_lost',
  'records_consumed',
  'offsets_committed',
  'seek',
  'record_data',
]);

function parseObject(line: string): Record<string, unknown> | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new EventFormatError(`not JSON: ${text.slice(0, 200)}`);
  }
  if (typeof value !== 'object' || value === null || typeof (value as { name?: unknown }).name !== 'string') {
    throw new EventFormatError(`an event needs a string "name": ${text.slice(0, 200)}`);
  }
  return value as Record<string, unknown>;
}

function int(raw: Record<string, unknown>, field: string, line: string): number {
  const value = raw[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new EventFormatError(`"${field}" must be an integer in ${line.slice(0, 200)}`);
  }
  return value;
}

function str(raw: Record<string, unknown>, field: string, line: string): string {
  const value = raw[field];
  if (typeof value !== 'string')
    throw new EventFormatError(`"${field}" must be a string in ${line.slice(0, 200)}`);
  return value;
}

function list(raw: Record<string, unknown>, field: string, line: string): Record<string, unknown>[] {
  const value = raw[field];
  if (!Array.isArray(value)) throw new EventFormatError(`"${field}" must be a list in ${line.slice(0, 200)}`);
  return value as Record<string, unknown>[];
}

/**
 * Reads one line of a verifiable consumer's stdout.
 *
 * @returns the event; undefined for a line that is not JSON at all (a stray log line).
 * @throws EventFormatError when a JSON line lacks a field its event needs.
 */
export function parseConsumerEvent(line: string): ConsumerEvent | undefined {
  const raw = parseObject(line);
  if (raw === undefined) return undefined;
  const timestamp = typeof raw.timestamp === 'number' ? raw.timestamp : 0;
  const name = raw.name as string;
  const tp = (p: Record<string, unknown>) => ({
    topic: str(p, 'topic', line),
    partition: int(p, 'partition', line),
  });
  if (name === 'log') {
    const fields = raw.fields as Record<string, unknown> | undefined;
    if (typeof fields?.truncatedTo === 'number') {
      return { name: 'truncation', timestamp, ...tp(fields), offset: int(fields, 'truncatedTo', line) };
    }
  }
  if (!CONSUMER_EVENT_NAMES.has(name)) return { name: 'other', timestamp, raw };
  switch (name) {
    case 'partitions_assigned':
    case 'partitions_revoked':
    case 'partitions_lost':
      return { name, timestamp, partitions: list(raw, 'partitions', line).map(tp) };
    case 'records_consumed':
      return {
        name,
        timestamp,
        count: int(raw, 'count', line),
        partitions: list(raw, 'partitions', line).map((p) => ({
          ...tp(p),
          count: int(p, 'count', line),
          minOffset: int(p, 'minOffset', line),
          maxOffset: int(p, 'maxOffset', line),
        })),
      };
    case 'offsets_committed':
      return {
        name,
        timestamp,
        success: raw.success === true,
        offsets: list(raw, 'offsets', line).map((o) => ({ ...tp(o), offset: int(o, 'offset', line) })),
        ...(typeof raw.error === 'string' ? { error: raw.error } : {}),
      };
    case 'seek':
      return { name, timestamp, ...tp(raw), offset: int(raw, 'offset', line) };
    case 'record_data':
      return {
        name,
        timestamp,
        ...tp(raw),
        offset: int(raw, 'offset', line),
        value: typeof raw.value === 'string' ? raw.value : null,
      };
    default:
      return { name: name as 'startup_complete' | 'shutdown_complete', timestamp };
  }
}

/**
 * Reads one line of VerifiableProducer's stdout.
 *
 * @returns the event; undefined for a line that is not JSON.
 * @throws EventFormatError when a send event lacks a field.
 */
export function parseProducerEvent(line: string): ProducerEvent | undefined {
  const raw = parseObject(line);
  if (raw === undefined) return undefined;
  if (raw.name === 'producer_send_success') {
    const text = (field: string) => (typeof raw[field] === 'string' ? (raw[field] as string) : null);
    return {
      name: 'producer_send_success',
      timestamp: typeof raw.timestamp === 'number' ? raw.timestamp : 0,
      topic: str(raw, 'topic', line),
      partition: int(raw, 'partition', line),
      offset: int(raw, 'offset', line),
      key: text('key'),
      value: text('value'),
    };
  }
  if (raw.name === 'producer_send_error') {
    return {
      name: 'producer_send_error',
      topic: typeof raw.topic === 'string' ? raw.topic : '',
      message: typeof raw.message === 'string' ? raw.message : String(raw.exception ?? ''),
    };
  }
  return { name: 'other', raw };
}
