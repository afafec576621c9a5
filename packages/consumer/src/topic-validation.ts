/**
 * Kafka's rules for the topics and partitions a user names, checked by `assign` and `subscribe` before
 * anything changes, so that a bad name fails at once instead of in an endless retry against the broker.
 */
import type { TopicPartition } from './batch.js';
import { InvalidTopicError } from './errors.js';

/** Kafka's longest topic name (`Topic.MAX_NAME_LENGTH`). */
const MAX_TOPIC_LENGTH = 249;
const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/;
const INT32_MAX = 0x7fff_ffff;

function describe(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 60)}...` : value;
    return `${JSON.stringify(shown)}${value.length > 60 ? ` (${value.length} characters)` : ''}`;
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * @returns nothing when `name` is a legal topic name: 1 to 249 characters of `a-z A-Z 0-9 . _ -`, and
 *   not `.` or `..`.
 * @throws InvalidTopicError naming the value and the rule it breaks.
 */
export function checkTopicName(name: unknown): void {
  if (typeof name !== 'string') {
    throw new InvalidTopicError(name, `a topic name must be a string, got ${describe(name)}`);
  }
  let rule: string | null = null;
  if (name.length === 0) rule = 'it is empty';
  else if (name === '.' || name === '..') rule = 'it cannot be "." or ".."';
  else if (name.length > MAX_TOPIC_LENGTH) rule = `it is longer than ${MAX_TOPIC_LENGTH} characters`;
  else if (!LEGAL_TOPIC.test(name)) rule = 'only a-z, A-Z, 0-9, ".", "_" and "-" are allowed';
  if (rule !== null) throw new InvalidTopicError(name, `invalid topic name ${describe(name)}: ${rule}`);
}

/**
 * @returns nothing when every entry is a `{ topic, partition }` with a legal name and a partition from
 *   0 to 2^31-1.
 * @throws InvalidTopicError naming the first bad entry.
 */
export function checkTopicPartitions(partitions: readonly TopicPartition[]): void {
  if (!Array.isArray(partitions)) {
    throw new InvalidTopicError(
      partitions,
      `expected a list of { topic, partition }, got ${describe(partitions)}`,
    );
  }
  for (const p of partitions) {
    if (typeof p !== 'object' || p === null) {
      throw new InvalidTopicError(p, `not a topic partition: ${describe(p)}`);
    }
    checkTopicName(p.topic);
    const n = p.partition;
    if (!Number.isInteger(n) || n < 0 || n > INT32_MAX) {
      throw new InvalidTopicError(
        p,
        `invalid partition in ${describe(p)}: a partition is an integer from 0 to ${INT32_MAX}`,
      );
    }
  }
}

/**
 * @returns nothing when `topics` is a list of legal topic names.
 * @throws InvalidTopicError naming the first bad name.
 */
export function checkTopicList(topics: readonly string[]): void {
  for (const t of topics) checkTopicName(t);
}
