import { ensureKafkaJars } from '@runnel/kafka-local';
import { testCluster } from '@runnel/kafka-local/vitest';
import { describe, expect, it } from 'vitest';
import { readKafkaErrors } from './kafka-errors.js';
import { PROTOCOL_KAFKA_VERSION } from './pinned-version.js';

describe("the error table of the Kafka version under test against the pinned one's", () => {
  it('has every code of the tested version with the same name and retriable flag', async () => {
    const tested = readKafkaErrors(await ensureKafkaJars(testCluster().version));
    const pinned = readKafkaErrors(await ensureKafkaJars(PROTOCOL_KAFKA_VERSION));
    expect(tested.length).toBeGreaterThan(100);
    const byCode = new Map(pinned.map((row) => [row.code, row]));
    expect(tested.map((row) => byCode.get(row.code))).toEqual(tested);
  });
});
