import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileJava } from '@runnel/kafka-local';
import { testCluster } from '@runnel/kafka-local/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MessageCodec } from './api.js';
import { schemas } from './generated/test-support/schemas.js';
import {
  apis,
  ConsumerProtocolAssignment,
  ConsumerProtocolSubscription,
  KAFKA_DEFINITIONS_VERSION,
  RequestHeader,
  ResponseHeader,
} from './index.js';
import { toKafkaJson } from './test-support/crosscheck.js';
import { SampleBuilder } from './test-support/samples.js';

// Every (message, version) that both this package and the Kafka version under test know is built from
// the schema, encoded by Runnel and by Kafka's own generated classes (from the same JSON), and each
// side decodes the other's bytes. The five APIs the consumer depends on most are named in the test
// titles; the rest of the protocol is checked in bulk.
const FOCUS = ['Fetch', 'JoinGroup', 'SyncGroup', 'OffsetCommit', 'ConsumerGroupHeartbeat'];

// Messages whose definition changed between Kafka 3.9 and the version the code is generated from
// without a version bump: fields renamed (so Kafka 3.9's JSON converter cannot read the newer names)
// in TxnOffsetCommit and Vote, and ReadShareGroupStateSummary, which was still early access in 3.9.
const CHANGED_SINCE_3_9 = new Set([
  'TxnOffsetCommitRequest v3',
  'TxnOffsetCommitRequest v4',
  'VoteRequest v0',
  'VoteRequest v1',
  'ReadShareGroupStateSummaryResponse v0',
]);

interface Case {
  readonly message: string;
  readonly version: number;
  readonly codec: MessageCodec<never>;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function allCases(): Case[] {
  const out: Case[] = [];
  for (const api of apis.values()) {
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      out.push({ message: `${api.name}Request`, version: v, codec: api.request as MessageCodec<never> });
      out.push({ message: `${api.name}Response`, version: v, codec: api.response as MessageCodec<never> });
    }
  }
  for (const def of [
    ConsumerProtocolSubscription,
    ConsumerProtocolAssignment,
    RequestHeader,
    ResponseHeader,
  ]) {
    for (let v = def.minVersion; v <= def.maxVersion; v++) {
      out.push({ message: def.name, version: v, codec: def as unknown as MessageCodec<never> });
    }
  }
  return out;
}

interface Outcome {
  readonly runnel: string;
  readonly kafka: string;
  readonly kafkaReencoded: string;
  readonly runnelReencoded: string;
}

const outcomes = new Map<string, Outcome | 'not in this Kafka version'>();

beforeAll(async () => {
  const cluster = testCluster();
  const classes = mkdtempSync(join(tmpdir(), 'runnel-crosscheck-'));
  const source = fileURLToPath(new URL('./test-support/java/MessageCrossCheck.java', import.meta.url));
  await compileJava({ version: cluster.version, sources: [source], outDir: classes });
  const run = async (lines: string[]): Promise<string[]> => {
    const result = await cluster.runJava('MessageCrossCheck', [], {
      classpath: [classes],
      input: `${lines.join('\n')}\n`,
      timeoutMs: 170_000,
    });
    expect(result.code, result.stderr).toBe(0);
    return result.stdout.trimEnd().split('\n');
  };
  const cases = allCases();
  const names = [...new Set(cases.map((c) => c.message))];
  const ranges = new Map<string, [number, number] | null>();
  (await run(names.map((n) => `range\t${n}\t0\t-`))).forEach((line, i) => {
    const m = /^(\d+) (\d+)$/.exec(line);
    ranges.set(names[i]!, m === null ? null : [Number(m[1]), Number(m[2])]);
  });
  const builder = new SampleBuilder(schemas);
  const present = cases.filter((c) => {
    const r = ranges.get(c.message);
    const known = r !== null && r !== undefined && c.version >= r[0] && c.version <= r[1];
    if (!known) outcomes.set(`${c.message} v${c.version}`, 'not in this Kafka version');
    return known;
  });
  const samples = present.map((c) => builder.build(c.message, c.version));
  const runnelBytes = present.map((c, i) => hex(c.codec.encode(samples[i] as never, c.version)));
  const kafkaBytes = await run(
    present.map(
      (c, i) => `encode\t${c.message}\t${c.version}\t${toKafkaJson(schemas, c.message, samples[i]!)}`,
    ),
  );
  const kafkaReencoded = await run(
    present.map((c, i) => `reencode\t${c.message}\t${c.version}\t${runnelBytes[i]}`),
  );
  present.forEach((c, i) => {
    const kafka = kafkaBytes[i]!;
    let runnelReencoded: string;
    try {
      runnelReencoded = /^[0-9a-f]*$/.test(kafka)
        ? hex(c.codec.encode(c.codec.decode(Buffer.from(kafka, 'hex'), c.version), c.version))
        : 'not decoded';
    } catch (e) {
      runnelReencoded = `error ${String(e)}`;
    }
    outcomes.set(`${c.message} v${c.version}`, {
      runnel: runnelBytes[i]!,
      kafka,
      kafkaReencoded: kafkaReencoded[i]!,
      runnelReencoded,
    });
  });
}, 300_000);

function check(key: string): void {
  const o = outcomes.get(key);
  expect(o, key).toBeDefined();
  if (o === 'not in this Kafka version' || o === undefined) return;
  expect(o.kafka, `Kafka's encoding of ${key}`).toBe(o.runnel);
  expect(o.kafkaReencoded, `Kafka decoding Runnel's ${key}`).toBe(o.runnel);
  expect(o.runnelReencoded, `Runnel decoding Kafka's ${key}`).toBe(o.kafka);
}

describe("cross-check with Kafka's generated message classes", () => {
  for (const api of FOCUS) {
    it(`encodes ${api} requests and responses byte for byte as Kafka does, at every version, and each side decodes the other's`, () => {
      const keys = [...outcomes.keys()].filter(
        (k) => k.startsWith(`${api}Request v`) || k.startsWith(`${api}Response v`),
      );
      expect(keys.length).toBeGreaterThan(0);
      for (const k of keys) check(k);
    });
  }

  it('agrees with Kafka on every other message and version both know', () => {
    const sameDefinitions = testCluster().version === KAFKA_DEFINITIONS_VERSION;
    const checked = [...outcomes.entries()].filter(
      ([k, o]) => o !== 'not in this Kafka version' && (sameDefinitions || !CHANGED_SINCE_3_9.has(k)),
    );
    expect(checked.length).toBeGreaterThan(500);
    const mismatches = checked
      .filter(
        ([, o]) =>
          typeof o !== 'string' &&
          (o.kafka !== o.runnel || o.kafkaReencoded !== o.runnel || o.runnelReencoded !== o.kafka),
      )
      .map(([k, o]) => `${k}: ${JSON.stringify(o).slice(0, 400)}`);
    expect(mismatches).toEqual([]);
  });
});
