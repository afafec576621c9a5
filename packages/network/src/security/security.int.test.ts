import { connect as netConnect } from 'node:net';
import { inspect } from 'node:util';
import { decodeRecordBatches } from '@runnel/codec';
import {
  createTopic,
  type KafkaCluster,
  type KafkaSecurityInfo,
  producePerf,
  startKafka,
} from '@runnel/kafka-local';
import { Fetch, type FetchRequest, ListOffsets } from '@runnel/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConnection, negotiateApiVersions } from '../broker-connection.js';
import { ClusterClient, type ClusterClientOptions } from '../cluster-client.js';
import type { SocketFactory } from '../connection.js';
import { Connection } from '../connection.js';
import type { Logger } from '../logger.js';
import { SaslAuthenticationError, SaslRequiredError, TlsError } from './errors.js';
import { unsecuredJwt } from './oauthbearer.js';
import type { SaslOptions } from './sasl-authenticator.js';
import { probeSaslRequired } from './sasl-required.js';
import { Secret } from './secret.js';
import { type TlsOptions, tlsSocketFactory } from './tls.js';

const TOPIC = 'secured-records';
const RECORDS = 500;
/** The broker's `connections.max.reauth.ms`: short, so that sessions expire during the test. */
const REAUTH_MS = 2000;

/** Every log line of every client in this file, as text, so the last test can search it for secrets. */
const logText: string[] = [];

interface LogEvent {
  msg: string;
  obj: Record<string, unknown>;
}

/** A debug-level logger that records into `events` and into the file-wide `logText`. */
function recordingLogger(events: LogEvent[]): Logger {
  return Object.fromEntries(
    (['debug', 'info', 'warn', 'error'] as const).map((level) => [
      level,
      (obj: Record<string, unknown>, msg: string) => {
        events.push({ msg, obj });
        logText.push(`${level} ${msg} ${inspect(obj, { depth: 10 })} ${safeJson(obj)}`);
      },
    ]),
  ) as unknown as Logger;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return '';
  }
}

describe('TLS, mutual TLS and SASL against real listeners', () => {
  let kafka: KafkaCluster;
  let security: KafkaSecurityInfo;
  const tokens: string[] = [];
  const clients: ClusterClient[] = [];

  beforeAll(async () => {
    kafka = await startKafka({ security: { reauthMs: REAUTH_MS } });
    security = kafka.security!;
    await createTopic(kafka, { topic: TOPIC, partitions: 1 });
    const summary = await producePerf(kafka, { topic: TOPIC, numRecords: RECORDS, recordSize: 64 });
    expect(summary.records).toBe(RECORDS);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await kafka?.stop();
  });

  const trusted = (): TlsOptions => ({ ca: security.certificates.caPem });
  const mutual = (): TlsOptions => ({
    ca: security.certificates.caPem,
    cert: security.certificates.clientCertPem,
    key: new Secret(security.certificates.clientKeyPem),
  });

  function sasl(mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'OAUTHBEARER'): SaslOptions {
    if (mechanism === 'PLAIN') {
      const [username, password] = Object.entries(security.plainUsers)[0]!;
      return { mechanism, username, password: new Secret(password) };
    }
    if (mechanism === 'OAUTHBEARER') {
      return {
        mechanism,
        tokenProvider: async () => {
          const token = unsecuredJwt({ sub: 'oauth-user', lifetimeMs: 3_600_000 });
          tokens.push(token);
          return { token: new Secret(token), extensions: { traceId: 'runnel' } };
        },
      };
    }
    const [username, password] = Object.entries(security.scramUsers)[0]!;
    return { mechanism, username, password };
  }

  /** A client whose socket factory counts the connections it opens. */
  function client(
    bootstrapServers: string,
    options: { tls?: TlsOptions; sasl?: SaslOptions } = {},
  ): { client: ClusterClient; attempts: () => number; events: LogEvent[] } {
    const events: LogEvent[] = [];
    let attempts = 0;
    const open: SocketFactory = options.tls
      ? tlsSocketFactory(options.tls)
      : ({ host, port }) => netConnect({ host, port });
    const counted: SocketFactory = (address) => {
      attempts++;
      return open(address);
    };
    const config: ClusterClientOptions = {
      bootstrapServers,
      connection: { socketFactory: counted, requestTimeoutMs: 10_000 },
      ...(options.sasl ? { sasl: options.sasl } : {}),
      logger: recordingLogger(events),
      defaultDeadlineMs: 20_000,
    };
    const c = new ClusterClient(config);
    clients.push(c);
    return { client: c, attempts: () => attempts, events };
  }

  /** Metadata, ListOffsets and Fetch from offset 0 to the high watermark; returns the records decoded. */
  async function consumeAll(c: ClusterClient): Promise<number> {
    const metadata = await c.topicMetadata([TOPIC]);
    expect(metadata.topic(TOPIC)?.errorCode).toBe(0);
    const offsets = await c.send({
      target: { kind: 'leader', topic: TOPIC, partition: 0 },
      api: ListOffsets,
      message: {
        replicaId: -1,
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
      },
      errorCode: (r) => r.topics[0]?.partitions[0]?.errorCode ?? 0,
    });
    const end = offsets.topics[0]!.partitions[0]!.offset!;
    let offset = 0n;
    let count = 0;
    while (offset < end) {
      const response = await fetchFrom(c, offset, 100);
      const partition = response.responses[0]!.partitions[0]!;
      expect(partition.errorCode).toBe(0);
      for (const batch of decodeRecordBatches(partition.records ?? new Uint8Array(0))) {
        for (const record of batch) {
          if (record.offsetBig < offset) continue;
          count++;
          offset = record.offsetBig + 1n;
        }
      }
    }
    return count;
  }

  function fetchFrom(c: ClusterClient, fetchOffset: bigint, maxWaitMs: number) {
    const topicId = c.metadata.topic(TOPIC)?.topicId ?? '';
    return c.send({
      target: { kind: 'leader', topic: TOPIC, partition: 0 },
      api: Fetch,
      purpose: 'fetch',
      timeoutMs: maxWaitMs + 10_000,
      message: (version): FetchRequest => ({
        maxWaitMs,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        topics: [
          {
            ...(version >= 13 ? { topicId } : { topic: TOPIC }),
            partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 1 << 20 }],
          },
        ],
      }),
    });
  }

  describe('each listener and mechanism fetches every record end to end', () => {
    it('over SSL, trusting the test CA', async () => {
      const { client: c } = client(security.listeners.SSL, { tls: trusted() });
      expect(await consumeAll(c)).toBe(RECORDS);
      await c.close();
    });

    it('over mutual TLS, with a client certificate', async () => {
      const { client: c } = client(security.listeners.MTLS, { tls: mutual() });
      expect(await consumeAll(c)).toBe(RECORDS);
      await c.close();
    });

    for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const) {
      it(`over SASL_PLAINTEXT with ${mechanism}`, async () => {
        const { client: c } = client(security.listeners.SASL_PLAINTEXT, { sasl: sasl(mechanism) });
        expect(await consumeAll(c)).toBe(RECORDS);
        await c.close();
      });

      it(`over SASL_SSL with ${mechanism}`, async () => {
        const { client: c } = client(security.listeners.SASL_SSL, { tls: trusted(), sasl: sasl(mechanism) });
        expect(await consumeAll(c)).toBe(RECORDS);
        await c.close();
      });
    }
  });

  describe('failures are typed, fast and not retried', () => {
    /** Runs a metadata request that must fail, and returns the error, the time taken and the attempts. */
    async function failure(bootstrap: string, options: { tls?: TlsOptions; sasl?: SaslOptions }) {
      const { client: c, attempts } = client(bootstrap, options);
      const started = performance.now();
      const error = await c.topicMetadata([TOPIC]).then(
        () => null,
        (e: unknown) => e,
      );
      const elapsedMs = performance.now() - started;
      const attemptsAtFailure = attempts();
      // Give a background retry loop the time to show itself.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await c.close();
      return { error, elapsedMs, attemptsAtFailure, attemptsLater: attempts() };
    }

    it('a wrong PLAIN password fails with SaslAuthenticationError (rejected) after one attempt', async () => {
      const [username] = Object.keys(security.plainUsers);
      const result = await failure(security.listeners.SASL_PLAINTEXT, {
        sasl: { mechanism: 'PLAIN', username: username!, password: 'not-the-password' },
      });
      expect(result.error).toBeInstanceOf(SaslAuthenticationError);
      expect((result.error as SaslAuthenticationError).reason).toBe('rejected');
      expect((result.error as SaslAuthenticationError).mechanism).toBe('PLAIN');
      expect(result.elapsedMs).toBeLessThan(2000);
      expect(result.attemptsAtFailure).toBe(1);
      expect(result.attemptsLater).toBe(1);
    });

    it('a wrong SCRAM-SHA-256 password over SASL_SSL fails with SaslAuthenticationError after one attempt', async () => {
      const [username] = Object.keys(security.scramUsers);
      const result = await failure(security.listeners.SASL_SSL, {
        tls: trusted(),
        sasl: { mechanism: 'SCRAM-SHA-256', username: username!, password: 'not-the-password' },
      });
      expect(result.error).toBeInstanceOf(SaslAuthenticationError);
      expect((result.error as SaslAuthenticationError).reason).toBe('rejected');
      expect(result.elapsedMs).toBeLessThan(2000);
      expect([result.attemptsAtFailure, result.attemptsLater]).toEqual([1, 1]);
    });

    it('a mechanism the listener does not enable fails with the enabled ones listed', async () => {
      const result = await failure(security.listeners.SASL_PLAINTEXT, {
        sasl: {
          mechanism: {
            name: 'AWS_MSK_IAM',
            start: () => ({ initialResponse: () => new Uint8Array(0), evaluate: () => null }),
          },
        },
      });
      expect(result.error).toBeInstanceOf(SaslAuthenticationError);
      expect((result.error as SaslAuthenticationError).reason).toBe('unsupported-mechanism');
      expect([...(result.error as SaslAuthenticationError).enabledMechanisms].sort()).toEqual([
        'OAUTHBEARER',
        'PLAIN',
        'SCRAM-SHA-256',
        'SCRAM-SHA-512',
      ]);
      expect([result.attemptsAtFailure, result.attemptsLater]).toEqual([1, 1]);
    });

    it('an unknown CA fails with TlsError (untrusted-certificate) after one attempt', async () => {
      const result = await failure(security.listeners.SSL, {
        tls: { ca: security.certificates.untrustedCaPem },
      });
      expect(result.error).toBeInstanceOf(TlsError);
      expect((result.error as TlsError).reason).toBe('untrusted-certificate');
      expect(result.elapsedMs).toBeLessThan(2000);
      expect([result.attemptsAtFailure, result.attemptsLater]).toEqual([1, 1]);
    });

    it('a certificate that names another host fails with TlsError (hostname-mismatch)', async () => {
      const result = await failure(security.listeners.WRONG_HOST, { tls: trusted() });
      expect(result.error).toBeInstanceOf(TlsError);
      expect((result.error as TlsError).reason).toBe('hostname-mismatch');
      expect(result.elapsedMs).toBeLessThan(2000);
      expect([result.attemptsAtFailure, result.attemptsLater]).toEqual([1, 1]);
    });

    it('host names are verified by name too: "localhost" matches the DNS SAN, "wrong-host.invalid" is refused on 127.0.0.1', async () => {
      const port = security.listeners.SSL.split(':')[1]!;
      const { client: byName } = client(`localhost:${port}`, { tls: trusted() });
      expect((await byName.topicMetadata([TOPIC])).topic(TOPIC)?.errorCode).toBe(0);
      const result = await failure(security.listeners.SSL, {
        tls: { ...trusted(), servername: 'wrong-host.invalid' },
      });
      expect((result.error as TlsError).reason).toBe('hostname-mismatch');
    });

    it('the mutual-TLS listener refuses a client without certificate with TlsError (certificate-rejected)', async () => {
      const result = await failure(security.listeners.MTLS, { tls: trusted() });
      expect(result.error).toBeInstanceOf(TlsError);
      expect((result.error as TlsError).reason).toBe('certificate-rejected');
      expect(result.elapsedMs).toBeLessThan(2000);
      expect([result.attemptsAtFailure, result.attemptsLater]).toEqual([1, 1]);
    });

    it('a plaintext client on a TLS listener fails with TlsError (tls-expected), allocating nothing large', async () => {
      const before = process.memoryUsage().arrayBuffers;
      const result = await failure(security.listeners.SSL, {});
      expect(result.error).toBeInstanceOf(TlsError);
      expect((result.error as TlsError).reason).toBe('tls-expected');
      expect(result.elapsedMs).toBeLessThan(2000);
      expect([result.attemptsAtFailure, result.attemptsLater]).toEqual([1, 1]);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
    });

    it('a client without SASL on the SASL_PLAINTEXT listener fails with SaslRequiredError on its second attempt', async () => {
      const result = await failure(security.listeners.SASL_PLAINTEXT, {});
      expect(result.error).toBeInstanceOf(SaslRequiredError);
      expect((result.error as SaslRequiredError).code).toBe('ERR_SASL_REQUIRED');
      expect([...(result.error as SaslRequiredError).enabledMechanisms].sort()).toEqual([
        'OAUTHBEARER',
        'PLAIN',
        'SCRAM-SHA-256',
        'SCRAM-SHA-512',
      ]);
      expect(result.elapsedMs).toBeLessThan(2000);
      // The first connection met the broker's close, the second one probed with SaslHandshake.
      expect([result.attemptsAtFailure, result.attemptsLater]).toEqual([2, 2]);
    });

    it('the SaslHandshake probe tells the PLAINTEXT listener (a usable connection) from a SASL one', async () => {
      const probe = async (bootstrap: string) => {
        const [host, port] = bootstrap.split(':');
        const raw = new Connection({ host: host!, port: Number(port) });
        const versions = await negotiateApiVersions(raw, { name: 'runnel', version: '0.0.0' });
        const connection = new BrokerConnection(
          { nodeId: -1, host: host!, port: Number(port), rack: null },
          'default',
          raw,
          versions,
        );
        const verdict = await probeSaslRequired(connection);
        return { raw, connection, verdict };
      };
      const plaintext = await probe(kafka.bootstrap);
      expect(plaintext.verdict).toBeNull();
      // ILLEGAL_SASL_STATE leaves the connection open: the next request is answered on it.
      const again = await negotiateApiVersions(plaintext.raw, { name: 'runnel', version: '0.0.0' });
      expect(again.size).toBeGreaterThan(10);
      expect(plaintext.raw.state).toBe('ready');
      await plaintext.raw.close();
      const sasl = await probe(security.listeners.SASL_PLAINTEXT);
      expect(sasl.verdict).toBeInstanceOf(SaslRequiredError);
      expect(sasl.verdict?.enabledMechanisms).toContain('SCRAM-SHA-512');
      await sasl.raw.close();
    });

    it('a TLS client on a plaintext listener fails with TlsError (plaintext-expected)', async () => {
      const result = await failure(kafka.bootstrap, { tls: trusted() });
      expect(result.error).toBeInstanceOf(TlsError);
      expect((result.error as TlsError).reason).toBe('plaintext-expected');
      expect(result.elapsedMs).toBeLessThan(2000);
      expect([result.attemptsAtFailure, result.attemptsLater]).toEqual([1, 1]);
    });
  });

  it('keeps fetching on the same connections across at least 5 re-authentications (KIP-368)', async () => {
    const {
      client: c,
      attempts,
      events,
    } = client(security.listeners.SASL_SSL, {
      tls: trusted(),
      sasl: sasl('SCRAM-SHA-512'),
    });
    expect(await consumeAll(c)).toBe(RECORDS);
    const connectionsBefore = attempts();
    const reauthOfFetch = () =>
      events.filter((e) => e.msg === 'reauthenticated' && e.obj.purpose === 'fetch').length;
    const startCount = reauthOfFetch();
    let fetches = 0;
    let records = 0;
    const until = performance.now() + 6 * REAUTH_MS;
    // Long polls at the end of the log, and now and then a read from the start, for 12 s.
    while (performance.now() < until) {
      const offset = fetches % 4 === 0 ? 0n : BigInt(RECORDS);
      const response = await fetchFrom(c, offset, 300);
      const partition = response.responses[0]!.partitions[0]!;
      expect(partition.errorCode).toBe(0);
      for (const batch of decodeRecordBatches(partition.records ?? new Uint8Array(0)))
        records += batch.toArray().length;
      fetches++;
    }
    const reauthentications = reauthOfFetch() - startCount;
    expect(reauthentications).toBeGreaterThanOrEqual(5);
    // One renewal per 85-95 % of the 2 s lifetime over 12 s: not more than 12 s / 1.7 s.
    expect(reauthentications).toBeLessThanOrEqual(8);
    expect(events.some((e) => e.msg === 're-authentication failed, closing the connection')).toBe(false);
    expect(attempts()).toBe(connectionsBefore);
    expect(fetches).toBeGreaterThan(10);
    expect(records).toBeGreaterThan(0);
  }, 60_000);

  it('never writes a password, token or key to the log, and inspect of the config shows none', async () => {
    const passwords = [
      ...Object.values(security.plainUsers),
      ...Object.values(security.scramUsers),
      'not-the-password',
    ];
    expect(tokens.length).toBeGreaterThan(0);
    const all = logText.join('\n');
    expect(all).toContain('sasl authenticated');
    expect(all).toContain('reauthenticated');
    expect(all.length).toBeGreaterThan(1000);
    for (const secret of [...passwords, ...tokens]) expect(all.includes(secret)).toBe(false);
    expect(all.includes('PRIVATE KEY')).toBe(false);

    const config = { sasl: sasl('PLAIN'), tls: mutual() };
    const shown = `${inspect(config, { depth: 10 })} ${JSON.stringify(config)} ${String((config.sasl as { password: Secret }).password)}`;
    for (const secret of passwords) expect(shown.includes(secret)).toBe(false);
    expect(shown.includes('PRIVATE KEY')).toBe(false);
    const { client: c } = client(security.listeners.SASL_PLAINTEXT, {
      sasl: { mechanism: 'PLAIN', username: 'alice', password: 'plain-string-password' },
    });
    expect(inspect(c, { depth: 20, showHidden: true }).includes('plain-string-password')).toBe(false);
  });
});
