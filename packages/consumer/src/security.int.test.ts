import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import {
  createTopic,
  type KafkaCluster,
  type KafkaSecurityInfo,
  producePerf,
  startKafka,
} from '@runnel/kafka-local';
import {
  AuthenticationError,
  SaslAuthenticationError,
  type SaslOptions,
  SaslRequiredError,
  Secret,
  TlsError,
  type TlsOptions,
  unsecuredJwt,
} from '@runnel/network';
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

/** Every log line of every consumer in this file, so the last test can search them all for secrets. */
const allLogText: string[] = [];
/** Errors the tests met and consumers as inspect shows them, searched for secrets as well. */
const shownElsewhere: string[] = [];

/** A debug-level logger that keeps every line, rendered as inspect and JSON show it. */
function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void => {
      const text = `${level} ${msg} ${inspect(fields, { depth: 10 })} ${safeJson(fields)}`;
      lines.push({ level, msg, text });
      allLogText.push(text);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return '';
  }
}

/** An error as every way of showing it would: message, stack, inspect (causes included), JSON. */
function shownError(error: unknown): string {
  const e = error as Error;
  return `${String(e?.message)} ${String(e?.stack)} ${inspect(error, { depth: 10, showHidden: true })} ${safeJson(error)}`;
}

/**
 * Reads until `RECORDS` records arrived (or 60 s passed).
 * @returns each record's `partition:offset`, in arrival order.
 */
async function consumeAll(consumer: Consumer): Promise<string[]> {
  const seen: string[] = [];
  for await (const batch of consumer.batches({ signal: AbortSignal.timeout(60_000) })) {
    for (const r of batch.records) seen.push(`${r.partition}:${r.offset}`);
    if (seen.length >= RECORDS) break;
  }
  return seen;
}

/** How a promise ended, and after how long. */
async function outcome(promise: Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const started = performance.now();
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  return { error, elapsedMs: performance.now() - started };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Listener = 'SSL' | 'MTLS' | 'SASL_PLAINTEXT' | 'SASL_SSL';
type Mechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'OAUTHBEARER';

describe('Consumer over secured listeners', () => {
  let kafka: KafkaCluster;
  let security: KafkaSecurityInfo;
  const consumers: Consumer[] = [];
  /** Every token the OAUTHBEARER provider handed out. */
  const tokens: string[] = [];
  /** Each consumer's log lines, by test case name. */
  const logsOf = new Map<string, LogLine[]>();

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

  /** A consumer with a recording debug logger, closed after the file. */
  function consumer(
    name: string,
    config: Omit<ConstructorParameters<typeof Consumer>[0], 'logger'>,
  ): { c: Consumer; lines: LogLine[] } {
    const lines: LogLine[] = [];
    logsOf.set(name, lines);
    const c = new Consumer({ ...config, logger: recordingLogger(lines) });
    consumers.push(c);
    return { c, lines };
  }

  const trusted = (): TlsOptions => ({ ca: security.certificates.caPem });
  const mutualTls = (): TlsOptions => ({
    ca: security.certificates.caPem,
    cert: security.certificates.clientCertPem,
    // A plain string on purpose: nothing the consumer keeps may show it.
    key: security.certificates.clientKeyPem,
  });

  function saslOf(mechanism: Mechanism): SaslOptions {
    if (mechanism === 'PLAIN') {
      const [username, password] = Object.entries(security.plainUsers)[0]!;
      return { mechanism, username, password };
    }
    if (mechanism === 'OAUTHBEARER') {
      return {
        mechanism,
        tokenProvider: async () => {
          // An async provider, as one that asks an identity provider over the network would be.
          await sleep(5);
          const token = unsecuredJwt({ sub: `runnel-${randomUUID()}`, lifetimeMs: 3_600_000 });
          tokens.push(token);
          return { token: new Secret(token), extensions: { traceId: 'runnel-test' } };
        },
      };
    }
    const [username, password] = Object.entries(security.scramUsers)[0]!;
    return { mechanism, username, password };
  }

  /** The part of a PEM key that would show if the key leaked: every base64 line of it. */
  const keyLines = (): string[] =>
    security.certificates.clientKeyPem.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));

  describe('each mechanism on each listener consumes every record in a group', () => {
    const cases: Array<{ name: string; listener: Listener; mechanism?: Mechanism; protocol: string }> = [
      { name: 'SSL, trusting the test CA', listener: 'SSL', protocol: 'SSL' },
      { name: 'mutual TLS, with a client certificate', listener: 'MTLS', protocol: 'SSL' },
      ...(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const).flatMap((mechanism) => [
        {
          name: `SASL_PLAINTEXT with ${mechanism}`,
          listener: 'SASL_PLAINTEXT' as const,
          mechanism,
          protocol: 'SASL_PLAINTEXT',
        },
        {
          name: `SASL_SSL with ${mechanism}`,
          listener: 'SASL_SSL' as const,
          mechanism,
          protocol: 'SASL_SSL',
        },
      ]),
    ];

    it.each(cases)(
      'over $name',
      async ({ name, listener, mechanism, protocol }) => {
        const tokensBefore = tokens.length;
        const tls = listener === 'MTLS' ? mutualTls() : listener.endsWith('SSL') ? trusted() : undefined;
        const { c, lines } = consumer(name, {
          brokers: security.listeners[listener],
          ...(tls ? { tls } : {}),
          ...(mechanism ? { sasl: saslOf(mechanism) } : {}),
          groupId: `secured-${listener}-${mechanism ?? 'none'}-${randomUUID()}`,
          autoOffsetReset: 'earliest',
          fetchMaxWaitMs: 100,
        });
        expect(c.config.securityProtocol).toBe(protocol);
        expect(c.config.saslMechanism ?? null).toBe(mechanism ?? null);
        c.subscribe([TOPIC]);
        const seen = await consumeAll(c);
        expect(seen.length).toBe(RECORDS);
        expect(new Set(seen).size).toBe(RECORDS);
        if (mechanism) {
          // Every connection authenticated with the configured mechanism; none failed on the way.
          const authenticated = lines.filter((l) => l.msg === 'sasl authenticated');
          expect(authenticated.length).toBeGreaterThanOrEqual(2);
          expect(authenticated.every((l) => l.text.includes(mechanism))).toBe(true);
        }
        expect(lines.filter((l) => l.msg === 'cannot connect to broker')).toEqual([]);
        if (mechanism === 'OAUTHBEARER') expect(tokens.length).toBeGreaterThan(tokensBefore);
        // Inspected while the pool holds live, authenticated connections.
        shownElsewhere.push(inspect(c, { depth: 20, showHidden: true }), safeJson(c.config));
        await c.close({ timeoutMs: 5_000 });
      },
      90_000,
    );
  });

  it('shows no part of the private key in inspect output of a mutual-TLS consumer at depth 20', async () => {
    const { c } = consumer('MTLS inspect', {
      brokers: security.listeners.MTLS,
      tls: mutualTls(),
      groupId: `mtls-inspect-${randomUUID()}`,
      autoOffsetReset: 'earliest',
      fetchMaxWaitMs: 100,
    });
    c.subscribe([TOPIC]);
    expect((await consumeAll(c)).length).toBe(RECORDS);
    const shown = inspect(c, { depth: 20, showHidden: true });
    // The live TLS socket is reachable from the consumer: the check looks at what it holds.
    expect(shown).toContain('TLSSocket');
    expect(keyLines().length).toBeGreaterThan(0);
    for (const line of keyLines()) expect(shown).not.toContain(line);
    expect(shown).not.toContain('PRIVATE KEY');
    expect(JSON.stringify(c.config)).not.toContain('PRIVATE KEY');
  }, 90_000);

  describe('failures are typed, fast and not retried', () => {
    /** Each failed connection attempt logs one 'cannot connect to broker'. */
    const attempts = (lines: LogLine[]) => lines.filter((l) => l.msg === 'cannot connect to broker').length;

    it('a wrong password in a group fails with SaslAuthenticationError within 2 s, without retrying', async () => {
      const username = Object.keys(security.scramUsers)[0]!;
      const wrong = 'not-the-scram-password';
      const { c, lines } = consumer('group wrong password', {
        brokers: security.listeners.SASL_SSL,
        tls: trusted(),
        sasl: { mechanism: 'SCRAM-SHA-512', username, password: new Secret(wrong) },
        groupId: `wrong-${randomUUID()}`,
        autoOffsetReset: 'earliest',
      });
      c.subscribe([TOPIC]);
      const { error, elapsedMs } = await outcome(consumeAll(c));
      shownElsewhere.push(shownError(error));
      expect(error).toBeInstanceOf(SaslAuthenticationError);
      expect((error as SaslAuthenticationError).reason).toBe('rejected');
      expect(elapsedMs).toBeLessThan(2_000);
      // The background metadata refresh may have one attempt of its own in flight when the failure
      // surfaces; after that nothing may retry.
      const atFailure = attempts(lines);
      expect(atFailure).toBeGreaterThanOrEqual(1);
      await sleep(1_500);
      const settled = attempts(lines);
      expect(settled - atFailure).toBeLessThanOrEqual(1);
      await sleep(2_000);
      expect(attempts(lines)).toBe(settled);
    }, 30_000);

    it('a wrong password with assign() rejects batches() and run() with SaslAuthenticationError within 2 s, without retrying', async () => {
      const [username] = Object.keys(security.plainUsers);
      const { c, lines } = consumer('assign wrong password', {
        brokers: security.listeners.SASL_PLAINTEXT,
        sasl: { mechanism: 'PLAIN', username: username!, password: 'not-the-plain-password' },
        autoOffsetReset: 'earliest',
        // Long enough that a retry loop would still be running when the test looks.
        defaultApiTimeoutMs: 30_000,
      });
      c.assign([0, 1, 2].map((partition) => ({ topic: TOPIC, partition })));
      const viaBatches = await outcome(consumeAll(c));
      shownElsewhere.push(shownError(viaBatches.error));
      expect(viaBatches.error).toBeInstanceOf(SaslAuthenticationError);
      expect((viaBatches.error as SaslAuthenticationError).mechanism).toBe('PLAIN');
      expect(viaBatches.elapsedMs).toBeLessThan(2_000);
      // run() and position() meet the same error at once: the consumer stays stopped.
      const viaRun = await outcome(c.run({ eachBatch: () => {} }));
      expect(viaRun.error).toBe(viaBatches.error);
      expect(viaRun.elapsedMs).toBeLessThan(100);
      await expect(c.position({ topic: TOPIC, partition: 0 })).rejects.toBe(viaBatches.error);
      const atFailure = attempts(lines);
      await sleep(1_500);
      const settled = attempts(lines);
      expect(settled - atFailure).toBeLessThanOrEqual(1);
      await sleep(2_000);
      expect(attempts(lines)).toBe(settled);
      expect(lines.filter((l) => l.msg === 'looking up positions failed, retrying')).toEqual([]);
    }, 30_000);

    it('a client without SASL on the SASL_PLAINTEXT listener fails with SaslRequiredError within 2 s', async () => {
      for (const mode of ['assign', 'subscribe'] as const) {
        const { c, lines } = consumer(`no sasl ${mode}`, {
          brokers: security.listeners.SASL_PLAINTEXT,
          groupId: `no-sasl-${randomUUID()}`,
          autoOffsetReset: 'earliest',
        });
        expect(c.config.securityProtocol).toBe('PLAINTEXT');
        if (mode === 'assign') c.assign([{ topic: TOPIC, partition: 0 }]);
        else c.subscribe([TOPIC]);
        const { error, elapsedMs } = await outcome(consumeAll(c));
        shownElsewhere.push(shownError(error));
        expect(error).toBeInstanceOf(SaslRequiredError);
        expect(error).toBeInstanceOf(AuthenticationError);
        expect((error as SaslRequiredError).message).toContain('requires SASL');
        expect((error as SaslRequiredError).enabledMechanisms).toContain('PLAIN');
        expect(elapsedMs).toBeLessThan(2_000);
        const atFailure = attempts(lines);
        await sleep(1_500);
        expect(attempts(lines) - atFailure).toBeLessThanOrEqual(1);
      }
    }, 30_000);

    it('a plaintext client on the SSL listener fails with TlsError (tls-expected) within 2 s', async () => {
      const { c } = consumer('plaintext on SSL', {
        brokers: security.listeners.SSL,
        autoOffsetReset: 'earliest',
      });
      c.assign([{ topic: TOPIC, partition: 0 }]);
      const { error, elapsedMs } = await outcome(consumeAll(c));
      shownElsewhere.push(shownError(error));
      expect(error).toBeInstanceOf(TlsError);
      expect((error as TlsError).reason).toBe('tls-expected');
      expect(elapsedMs).toBeLessThan(2_000);
    }, 30_000);

    it('a TLS client on the PLAINTEXT listener fails with TlsError (plaintext-expected) within 2 s', async () => {
      const { c } = consumer('TLS on PLAINTEXT', {
        brokers: kafka.bootstrap,
        tls: trusted(),
        groupId: `tls-on-plaintext-${randomUUID()}`,
        autoOffsetReset: 'earliest',
      });
      c.subscribe([TOPIC]);
      const { error, elapsedMs } = await outcome(consumeAll(c));
      shownElsewhere.push(shownError(error));
      expect(error).toBeInstanceOf(TlsError);
      expect((error as TlsError).reason).toBe('plaintext-expected');
      expect(elapsedMs).toBeLessThan(2_000);
    }, 30_000);

    it('the mutual-TLS listener refuses a consumer without a client certificate with TlsError (certificate-rejected)', async () => {
      const { c } = consumer('MTLS without certificate', {
        brokers: security.listeners.MTLS,
        tls: trusted(),
        autoOffsetReset: 'earliest',
      });
      c.assign([{ topic: TOPIC, partition: 0 }]);
      const { error, elapsedMs } = await outcome(consumeAll(c));
      expect((error as TlsError).reason).toBe('certificate-rejected');
      expect(elapsedMs).toBeLessThan(2_000);
    }, 30_000);
  });

  it('never shows a password, token or key in any log line, error or inspect output', () => {
    const secrets = [
      ...Object.values(security.plainUsers),
      ...Object.values(security.scramUsers),
      'not-the-scram-password',
      'not-the-plain-password',
      ...tokens,
      ...keyLines(),
    ];
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    const logs = allLogText.join('\n');
    // The search covers real debug output: authentications, fetches, failures.
    expect(logs).toContain('sasl authenticated');
    expect(logs).toContain('sending fetch');
    expect(logs).toContain('cannot connect to broker');
    expect(shownElsewhere.length).toBeGreaterThanOrEqual(15);
    const everything = `${logs}\n${shownElsewhere.join('\n')}`;
    const found = secrets.filter((secret) => everything.includes(secret));
    expect(found).toEqual([]);
    expect(everything.includes('PRIVATE KEY')).toBe(false);
  });
});
