import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { createTopic, type KafkaCluster, type KafkaSecurityInfo, startKafka } from '@runnel/kafka-local';
import { ClusterClient, Secret, unsecuredJwt } from '@runnel/network';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from './config.js';
import { Consumer } from './consumer.js';
import { produce as produceRecords } from './test-support/produce.js';

const TOPIC = 'reauthenticated-records';
const PARTITIONS = 3;
/** The broker's `connections.max.reauth.ms`: short, so that sessions expire many times in the test. */
const REAUTH_MS = 2_000;
/** How long records keep being produced while the consumer reads them. */
const WINDOW_MS = 6 * REAUTH_MS;

interface LogLine {
  msg: string;
  fields: Record<string, unknown>;
  text: string;
}

function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void => {
      lines.push({ msg, fields, text: `${level} ${msg} ${inspect(fields, { depth: 10 })}` });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a consumer whose SASL sessions expire every 2 s (KIP-368)', () => {
  let kafka: KafkaCluster;
  let security: KafkaSecurityInfo;
  let producer: ClusterClient;
  const closing: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    kafka = await startKafka({ security: { reauthMs: REAUTH_MS } });
    security = kafka.security!;
    await createTopic(kafka, { topic: TOPIC, partitions: PARTITIONS });
    // Records are written in-process through the PLAINTEXT listener: a JVM per batch would be too slow.
    producer = new ClusterClient({ bootstrapServers: kafka.bootstrap, defaultDeadlineMs: 20_000 });
  }, 240_000);

  afterAll(async () => {
    for (const close of closing) await close().catch(() => {});
    await producer?.close();
    await kafka?.stop();
  }, 60_000);

  /** Appends `count` records to a partition. @returns how many the broker acknowledged. */
  async function produce(partition: number, count: number, tag: string): Promise<number> {
    const records = Array.from({ length: count }, (_, i) => ({ value: `${tag}-${i}` }));
    expect(await produceRecords(producer, TOPIC, partition, records)).toBeGreaterThanOrEqual(0);
    return count;
  }

  it.each([
    { mechanism: 'SCRAM-SHA-512' as const, listener: 'SASL_SSL' as const },
    { mechanism: 'OAUTHBEARER' as const, listener: 'SASL_PLAINTEXT' as const },
  ])(
    'keeps consuming over $listener with $mechanism across at least 5 re-authentications, every record once',
    async ({ mechanism, listener }) => {
      const lines: LogLine[] = [];
      const tokens: string[] = [];
      const [username, password] = Object.entries(security.scramUsers)[0]!;
      const consumer = new Consumer({
        brokers: security.listeners[listener],
        ...(listener === 'SASL_SSL' ? { tls: { ca: security.certificates.caPem } } : {}),
        sasl:
          mechanism === 'SCRAM-SHA-512'
            ? { mechanism, username, password }
            : {
                mechanism,
                tokenProvider: async () => {
                  const token = unsecuredJwt({ sub: 'reauth-user', lifetimeMs: 3_600_000 });
                  tokens.push(token);
                  return { token: new Secret(token), extensions: { traceId: 'reauth' } };
                },
              },
        groupId: `reauth-${mechanism}-${randomUUID()}`,
        autoOffsetReset: 'latest',
        fetchMaxWaitMs: 200,
        logger: recordingLogger(lines),
      });
      closing.push(() => consumer.close({ timeoutMs: 5_000 }));
      consumer.subscribe([TOPIC]);

      const seen = new Set<string>();
      let delivered = 0;
      let produced = 0;
      const stop = new AbortController();
      const decoder = new TextDecoder();
      const reading = (async () => {
        for await (const batch of consumer.batches({ signal: stop.signal })) {
          for (const r of batch.records) {
            if (!decoder.decode(r.value ?? new Uint8Array()).startsWith(mechanism)) continue;
            seen.add(`${r.partition}:${r.offset}`);
            delivered++;
          }
        }
      })();

      // Joined and positioned at the log end before the first record, so `latest` misses nothing.
      const joinDeadline = Date.now() + 30_000;
      while (consumer.assignment().length < PARTITIONS && Date.now() < joinDeadline) await sleep(50);
      expect(consumer.assignment()).toHaveLength(PARTITIONS);
      for (let p = 0; p < PARTITIONS; p++) await consumer.position({ topic: TOPIC, partition: p });

      const reauthenticated = () => lines.filter((l) => l.msg === 'reauthenticated');
      const fetchConnections = () =>
        lines.filter((l) => l.msg === 'broker connection ready' && l.fields.purpose === 'fetch').length;
      // The fetch connection opens with the first Fetch, a moment after the positions are known.
      while (fetchConnections() === 0 && Date.now() < joinDeadline) await sleep(20);
      expect(fetchConnections()).toBe(1);
      const reauthBefore = reauthenticated().length;
      const connectionsBefore = fetchConnections();
      const until = Date.now() + WINDOW_MS;
      for (let round = 0; Date.now() < until; round++) {
        produced += await produce(round % PARTITIONS, 10, `${mechanism}-${round}`);
        await sleep(100);
      }
      // Then until everything produced arrived, and a moment more for a duplicate to show.
      const drainDeadline = Date.now() + 30_000;
      while (delivered < produced && Date.now() < drainDeadline) await sleep(50);
      await sleep(500);
      stop.abort();
      await reading;

      const renewals = reauthenticated().slice(reauthBefore);
      const ofFetch = renewals.filter((l) => l.fields.purpose === 'fetch');
      expect(ofFetch.length).toBeGreaterThanOrEqual(5);
      // One renewal per 85-95 % of the 2 s lifetime: a renewal loop would show far more.
      expect(ofFetch.length).toBeLessThanOrEqual(10);
      expect(renewals.every((l) => l.fields.mechanism === mechanism)).toBe(true);
      expect(produced).toBeGreaterThan(300);
      expect(delivered).toBe(produced);
      expect(seen.size).toBe(produced);
      // Consumption went on undisturbed: no failed fetch, no failed renewal, no new fetch connection.
      expect(lines.filter((l) => l.msg === 'fetch failed').map((l) => l.text)).toEqual([]);
      expect(lines.filter((l) => l.msg === 're-authentication failed, closing the connection')).toEqual([]);
      expect(lines.filter((l) => l.msg === 'cannot connect to broker')).toEqual([]);
      expect(fetchConnections()).toBe(connectionsBefore);
      expect(consumer.health().fetchErrors).toBe(0);
      // Every renewal authenticated again with a fresh token or proof; none of it reached the log.
      const logs = lines.map((l) => l.text).join('\n');
      for (const secret of [password, ...tokens]) expect(logs.includes(secret)).toBe(false);
      if (mechanism === 'OAUTHBEARER') expect(tokens.length).toBeGreaterThan(5);
    },
    120_000,
  );
});
