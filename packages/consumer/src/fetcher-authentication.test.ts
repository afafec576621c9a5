import { ClusterClient, SaslAuthenticationError, TlsError } from '@runnel/network';
import { FakeClock, FakeCluster } from '@runnel/network/testing';
import { Fetch, Metadata } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { ConsumerEvents } from './events.js';
import { Fetcher } from './fetcher.js';
import { BROKER, metadataAnswer } from './test-support/fake-kafka.js';
import { tick } from './test-support/fetcher-fake.js';

const rejected = new SaslAuthenticationError('broker:9092', 'SCRAM-SHA-512', 'rejected', 'bad credentials');

/**
 * A fetcher on a fake cluster whose connections authenticate as `refusal` says (null: accepted);
 * the test may change it between connections.
 */
function setup() {
  const clock = new FakeClock();
  const cluster = new FakeCluster(clock);
  cluster.handler = (r) =>
    r.apiKey === Metadata.apiKey ? { response: metadataAnswer(r.message) } : undefined;
  const auth = { refusal: null as Error | null };
  const client = new ClusterClient({
    bootstrapServers: `${BROKER.host}:${BROKER.port}`,
    connectionFactory: cluster.factory,
    clock,
    authenticate: async () => {
      if (auth.refusal) throw auth.refusal;
    },
  });
  // A short backoff, so that a retry loop, if there were one, would show many attempts.
  const config = resolveConfig({ brokers: 'broker:9092', retryBackoffMs: 5, autoOffsetReset: 'earliest' });
  const fetcher = new Fetcher({
    config,
    client,
    clock,
    events: new ConsumerEvents(config.logger),
    identity: { clientId: config.clientId, groupId: config.groupId },
  });
  /** Lets a minute of clock time pass in small steps, running what each step wakes. */
  const aMinuteLater = async () => {
    for (let i = 0; i < 60; i++) {
      clock.advance(1_000);
      await tick();
    }
  };
  return { cluster, client, fetcher, auth, aMinuteLater };
}

describe('Fetcher after an authentication failure', () => {
  it('stops looking up positions at the first refused login and reports the error on every take', async () => {
    const { cluster, fetcher, auth, aMinuteLater } = setup();
    auth.refusal = rejected;
    fetcher.setAssignment([{ topic: 't', partition: 0 }]);
    await fetcher.changed();
    await tick();
    expect(fetcher.fatalError).toBe(rejected);
    const attempts = cluster.connectAttempts.length;
    await aMinuteLater();
    expect(fetcher.take()).toEqual({ error: rejected });
    expect(fetcher.take()).toEqual({ error: rejected });
    expect(cluster.requestsOf(Metadata.apiKey)).toEqual([]);
    expect(cluster.connectAttempts).toHaveLength(attempts);
    fetcher.close();
  });

  it('stops fetching when a Fetch meets a TLS failure, instead of backing off and trying again', async () => {
    const refused = new TlsError(
      'broker:9092',
      'certificate-rejected',
      'the broker refused the client certificate',
    );
    const { cluster, client, fetcher, auth, aMinuteLater } = setup();
    await client.topicMetadata(new Set(['t']));
    // The Fetch opens a connection of its own, and that one is refused.
    auth.refusal = refused;
    fetcher.setAssignment([{ topic: 't', partition: 0 }]);
    for (const p of fetcher.partitions.values()) p.seek({ offset: 0, leaderEpoch: -1 });
    await aMinuteLater();
    expect(fetcher.take()).toEqual({ error: refused });
    expect(fetcher.fetchesInFlight).toBe(0);
    expect(fetcher.stats.fetchesSent).toBe(1);
    expect(cluster.requestsOf(Fetch.apiKey)).toEqual([]);
    fetcher.close();
  });

  it('keeps retrying an ordinary failure to look up positions', async () => {
    const { cluster, fetcher, aMinuteLater } = setup();
    cluster.down.add('broker:9092');
    fetcher.setAssignment([{ topic: 't', partition: 0 }]);
    await aMinuteLater();
    expect(fetcher.fatalError).toBeNull();
    expect(fetcher.take()).toBeNull();
    expect(cluster.connectAttempts.length).toBeGreaterThan(3);
    fetcher.close();
  });
});
