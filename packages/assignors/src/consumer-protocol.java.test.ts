/**
 * Runnel's consumer protocol metadata against Java's `ConsumerProtocol` (Kafka 4.4.0): the same bytes
 * for the same subscription or assignment at every version 0-3, and each side reads the other's.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from './consumer-protocol.js';
import { runJavaAssignors } from './test-support/java-harness.js';
import type { TopicPartition } from './types.js';

const name = fc.stringMatching(/^[a-zA-Z0-9._-]{1,12}$/);
// Few topic names, so that partitions of one topic come in several runs, unordered.
const topicOfPartition = fc.oneof(name, fc.constantFrom('a', 'b', 'c'));
const partitions = fc.uniqueArray(
  fc.record({ topic: topicOfPartition, partition: fc.integer({ min: 0, max: 5000 }) }),
  {
    maxLength: 12,
    selector: (tp) => `${tp.topic}:${tp.partition}`,
  },
);
const userData = fc.option(fc.uint8Array({ maxLength: 16 }), { nil: null });
const version = fc.integer({ min: 0, max: 3 });

const subscriptions = fc.sample(
  fc.record({
    topics: fc.uniqueArray(name, { maxLength: 6 }),
    userData,
    ownedPartitions: partitions,
    generationId: fc.integer({ min: -1, max: 1000 }),
    rackId: fc.option(name, { nil: null }),
    version,
  }),
  { seed: 42, numRuns: 150 },
);
const assignments = fc.sample(fc.record({ partitions, userData, version }), { seed: 43, numRuns: 150 });

const b64 = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('base64') : null);
const sortTps = (tps: readonly TopicPartition[]) => tps.map((tp) => `${tp.topic}:${tp.partition}`).sort();

type JavaMetadataResult = { encoded: string; decoded: Record<string, unknown> } | { error: string };
let subscriptionResults: JavaMetadataResult[] = [];
let assignmentResults: JavaMetadataResult[] = [];

beforeAll(async () => {
  const cases = [
    ...subscriptions.map((s) => ({
      kind: 'subscription',
      ...s,
      userData: b64(s.userData),
      bytes: b64(encodeSubscription(s, s.version)),
    })),
    ...assignments.map((a) => ({
      kind: 'assignment',
      ...a,
      userData: b64(a.userData),
      bytes: b64(encodeAssignment(a, a.version)),
    })),
  ];
  const results = (await runJavaAssignors({ cases })) as unknown as JavaMetadataResult[];
  subscriptionResults = results.slice(0, subscriptions.length);
  assignmentResults = results.slice(subscriptions.length);
}, 600_000);

describe('ConsumerProtocolSubscription', () => {
  it('encodes exactly the bytes Java encodes, at every version', () => {
    for (const [i, s] of subscriptions.entries()) {
      const java = subscriptionResults[i]!;
      if ('error' in java) throw new Error(java.error);
      expect(b64(encodeSubscription(s, s.version)), JSON.stringify(s)).toBe(java.encoded);
    }
  });

  it('is read by Java as written, and reads what Java wrote', () => {
    for (const [i, s] of subscriptions.entries()) {
      const java = subscriptionResults[i]!;
      if ('error' in java) throw new Error(java.error);
      const expected = {
        topics: [...s.topics].sort(),
        userData: b64(s.userData),
        ownedPartitions: s.version >= 1 ? sortTps(s.ownedPartitions) : [],
        generationId: s.version >= 2 ? s.generationId : -1,
        rackId: s.version >= 3 ? s.rackId : null,
      };
      const d = java.decoded as { topics: string[]; ownedPartitions: TopicPartition[] };
      expect({
        ...java.decoded,
        topics: [...d.topics].sort(),
        ownedPartitions: sortTps(d.ownedPartitions),
      }).toEqual(expected);
      const ours = decodeSubscription('m', null, Buffer.from(java.encoded, 'base64'));
      expect({
        topics: [...ours.topics].sort(),
        userData: b64(ours.userData),
        ownedPartitions: sortTps(ours.ownedPartitions ?? []),
        generationId: ours.generationId,
        rackId: ours.rackId,
      }).toEqual(expected);
    }
  });
});

describe('ConsumerProtocolAssignment', () => {
  it('encodes exactly the bytes Java encodes, and each side reads the other', () => {
    for (const [i, a] of assignments.entries()) {
      const java = assignmentResults[i]!;
      if ('error' in java) throw new Error(java.error);
      expect(b64(encodeAssignment(a, a.version))).toBe(java.encoded);
      const d = java.decoded as { partitions: TopicPartition[]; userData: string | null };
      expect(sortTps(d.partitions)).toEqual(sortTps(a.partitions));
      expect(d.userData).toBe(b64(a.userData));
      const ours = decodeAssignment(Buffer.from(java.encoded, 'base64'));
      expect(sortTps(ours.partitions)).toEqual(sortTps(a.partitions));
      expect(b64(ours.userData)).toBe(b64(a.userData));
    }
  });
});
