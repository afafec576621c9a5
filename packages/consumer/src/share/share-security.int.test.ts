import { randomUUID } from 'node:crypto';
import {
  alterGroupConfig,
  createTopic,
  type KafkaCluster,
  type KafkaSecurityInfo,
  producePerf,
  startKafka,
} from '@runnel/kafka-local';
import { SaslAuthenticationError, type SaslOptions, type TlsOptions } from '@runnel/network';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterHasShareGroups } from '../test-support/share-scenario.js';
import type { ShareConsumerConfig } from './share-config.js';
import { ShareConsumer } from './share-consumer.js';

const TOPIC = 'secured-share-records';
const RECORDS = 200;

// Share groups ride on the consumer's connections: this checks that TLS and SASL reach ShareFetch,
// ShareAcknowledge and ShareGroupHeartbeat alike, on a cluster of its own with secured listeners.
describe.skipIf(!clusterHasShareGroups())(
  'ShareConsumer over secured listeners (skipped on Kafka 3.9: no share groups)',
  () => {
    let kafka: KafkaCluster;
    let security: KafkaSecurityInfo;
    const consumers: ShareConsumer[] = [];

    beforeAll(async () => {
      kafka = await startKafka({ security: true });
      security = kafka.security!;
      await createTopic(kafka, { topic: TOPIC, partitions: 2 });
      // Written through the PLAINTEXT listener, so only the reading side is under test.
      const summary = await producePerf(kafka, { topic: TOPIC, numRecords: RECORDS, recordSize: 32 });
      expect(summary.records).toBe(RECORDS);
    }, 240_000);

    afterAll(async () => {
      await Promise.all(consumers.map((c) => c.close({ timeoutMs: 5_000 })));
      await kafka?.stop();
    }, 60_000);

    /** @returns a share consumer of a new group that starts at the earliest offset, subscribed to TOPIC. */
    async function consumer(config: Omit<ShareConsumerConfig, 'groupId'>): Promise<ShareConsumer> {
      const groupId = `secured-share-${randomUUID()}`;
      await alterGroupConfig(kafka, groupId, { 'share.auto.offset.reset': 'earliest' });
      const c = new ShareConsumer({ ...config, groupId, fetchMaxWaitMs: 100 });
      consumers.push(c);
      c.subscribe([TOPIC]);
      return c;
    }

    /** @returns every `partition:offset` read (until RECORDS arrived, or 60 s passed). */
    async function consumeAll(c: ShareConsumer): Promise<string[]> {
      const seen: string[] = [];
      for await (const batch of c.batches({ signal: AbortSignal.timeout(60_000) })) {
        for (const r of batch.records) seen.push(`${r.partition}:${r.offset}`);
        if (seen.length >= RECORDS) break;
      }
      return seen;
    }

    const trusted = (): TlsOptions => ({ ca: security.certificates.caPem });
    const scram = (password?: string): SaslOptions => {
      const [username, real] = Object.entries(security.scramUsers)[0]!;
      return { mechanism: 'SCRAM-SHA-512', username, password: password ?? real };
    };

    it('reads every record once over SASL_SSL with SCRAM-SHA-512', async () => {
      const c = await consumer({ brokers: security.listeners.SASL_SSL, tls: trusted(), sasl: scram() });
      expect(c.config.securityProtocol).toBe('SASL_SSL');
      expect(c.config.saslMechanism).toBe('SCRAM-SHA-512');
      const seen = await consumeAll(c);
      expect(seen.length).toBe(RECORDS);
      expect(new Set(seen).size).toBe(RECORDS);
    }, 90_000);

    it('reads every record once over mutual TLS, with a client certificate', async () => {
      const c = await consumer({
        brokers: security.listeners.MTLS,
        tls: {
          ca: security.certificates.caPem,
          cert: security.certificates.clientCertPem,
          key: security.certificates.clientKeyPem,
        },
      });
      expect(c.config.securityProtocol).toBe('SSL');
      const seen = await consumeAll(c);
      expect(new Set(seen).size).toBe(RECORDS);
    }, 90_000);

    it('a wrong password fails the iterator with SaslAuthenticationError within 2 s', async () => {
      const c = await consumer({
        brokers: security.listeners.SASL_SSL,
        tls: trusted(),
        sasl: scram('not-the-scram-password'),
      });
      const started = performance.now();
      const error = await consumeAll(c).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SaslAuthenticationError);
      expect((error as SaslAuthenticationError).reason).toBe('rejected');
      expect(performance.now() - started).toBeLessThan(2_000);
      // The consumer stays stopped: run() meets the same kind of error at once.
      const again = performance.now();
      await expect(c.run({ eachBatch: () => {} })).rejects.toBeInstanceOf(SaslAuthenticationError);
      expect(performance.now() - again).toBeLessThan(500);
    }, 30_000);
  },
);
