import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import {
  createTopic,
  type KafkaCluster,
  type KafkaSecurityInfo,
  producePerf,
  startKafka,
} from '@runnel/kafka-local';
import { AuthenticationError, SaslAuthenticationError, Secret, type TlsOptions } from '@runnel/network';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from './config.js';
import { Consumer } from './consumer.js';

const TOPIC = 'secured-consumer-records';
const RECORDS = 300;
const PARTITIONS = 3;

interface LogLine {
  level: string;
  msg: string;
  text: string;
}

/** A logger that keeps every line, rendered as inspect shows it, so tests can search it. */
function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void => {
      lines.push({ level, msg, text: `${msg} ${inspect(fields, { depth: 10 })}` });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * Subscribes to the topic and reads until `RECORDS` records arrived (or 60 s passed).
 * @returns each record's `partition:offset`, in arrival order.
 */
async function consumeAll(consumer: Consumer): Promise<string[]> {
  consumer.subscribe([TOPIC]);
  const seen: string[] = [];
  for await (const batch of consumer.batches({ signal: AbortSignal.timeout(60_000) })) {
    for (const r of batch.records) seen.push(`${r.partition}:${r.offset}`);
    if (seen.length >= RECORDS) break;
  }
  return seen;
}

describe('Consumer over secured listeners', () => {
  let kafka: KafkaCluster;
  let security: KafkaSecurityInfo;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    kafka = await startKafka({ security: true });
    security = kafka.security!;
    await createTopic(kafka, { topic: TOPIC, partitions: PARTITIONS });
    // Written through the PLAINTEXT listener, so only the reading side is under test.
    const summary = await producePerf(kafka, { topic: TOPIC, numRecords: RECORDS, recordSize: 64 });
    expect(summary.records).toBe(RECORDS);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.close({ timeoutMs: 5_000 }).catch(() => {})));
    await kafka?.stop();
  }, 60_000);

  function consumer(config: ConstructorParameters<typeof Consumer>[0]): Consumer {
    const c = new Consumer(config);
    consumers.push(c);
    return c;
  }

  const scram = (): { username: string; password: string } => {
    const [username, password] = Object.entries(security.scramUsers)[0]!;
    return { username, password };
  };

  const mutualTls = (): TlsOptions => ({
    ca: security.certificates.caPem,
    cert: security.certificates.clientCertPem,
    key: security.certificates.clientKeyPem,
  });

  it('consumes all 300 records over SASL_SSL with SCRAM-SHA-512, and inspect shows no password', async () => {
    const { username, password } = scram();
    const c = consumer({
      brokers: security.listeners.SASL_SSL,
      tls: { ca: security.certificates.caPem },
      // A plain string on purpose: the consumer must wrap it before anything could show it.
      sasl: { mechanism: 'SCRAM-SHA-512', username, password },
      groupId: `scram-${randomUUID()}`,
      autoOffsetReset: 'earliest',
      fetchMaxWaitMs: 100,
    });
    expect([c.config.securityProtocol, c.config.saslMechanism]).toEqual(['SASL_SSL', 'SCRAM-SHA-512']);
    const seen = await consumeAll(c);
    expect(seen.length).toBe(RECORDS);
    expect(new Set(seen).size).toBe(RECORDS);
    // Inspected after connecting too, when the pool holds live, authenticated connections.
    const shown = inspect(c, { depth: 20, showHidden: true });
    expect(shown).not.toContain(password);
    expect(JSON.stringify(c.config)).not.toContain(password);
  }, 90_000);

  it('consumes all 300 records over mutual TLS, and neither inspect nor config shows the private key', async () => {
    const tls = mutualTls();
    const c = consumer({
      brokers: security.listeners.MTLS,
      tls,
      groupId: `mtls-${randomUUID()}`,
      autoOffsetReset: 'earliest',
      fetchMaxWaitMs: 100,
    });
    expect(c.config.securityProtocol).toBe('SSL');
    const seen = await consumeAll(c);
    expect(seen.length).toBe(RECORDS);
    expect(new Set(seen).size).toBe(RECORDS);
    const keyBody = security.certificates.clientKeyPem.split('\n')[1]!;
    expect(keyBody.length).toBeGreaterThan(20);
    expect(inspect(c)).not.toContain(keyBody);
    expect(JSON.stringify(c.config)).not.toContain(keyBody);
  }, 90_000);

  it('fails with SaslAuthenticationError within 5 s on a wrong password, without retrying', async () => {
    const lines: LogLine[] = [];
    const { username } = scram();
    const wrong = 'not-the-scram-password';
    const c = consumer({
      brokers: security.listeners.SASL_SSL,
      tls: { ca: security.certificates.caPem },
      sasl: { mechanism: 'SCRAM-SHA-512', username, password: new Secret(wrong) },
      groupId: `wrong-${randomUUID()}`,
      autoOffsetReset: 'earliest',
      logger: recordingLogger(lines),
    });
    const started = Date.now();
    const outcome = await consumeAll(c).then(
      (seen) => ({ seen }),
      (error: unknown) => ({ error }),
    );
    const elapsedMs = Date.now() - started;
    expect(outcome).toHaveProperty('error');
    const error = (outcome as { error: unknown }).error;
    expect(error).toBeInstanceOf(SaslAuthenticationError);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as SaslAuthenticationError).code).toBe('ERR_SASL_AUTHENTICATION');
    expect(elapsedMs).toBeLessThan(5_000);
    // Each failed attempt logs one 'cannot connect to broker'. The background metadata refresh may
    // have one attempt of its own in flight when the failure surfaces; after that nothing may retry.
    const attempts = () => lines.filter((l) => l.msg === 'cannot connect to broker').map((l) => l.text);
    const atFailure = attempts().length;
    expect(atFailure).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const settled = attempts().length;
    expect(settled - atFailure).toBeLessThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(attempts().length).toBe(settled);
    expect(lines.some((l) => l.text.includes(wrong))).toBe(false);
  }, 30_000);
});
