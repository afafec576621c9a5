import { type ClusterClient, SaslAuthenticationError, TlsError } from '@runnel/network';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { Fetcher } from './fetcher.js';

/** A cluster client whose every request fails with `error`, counting what the fetcher asked. */
class RefusingCluster {
  readonly calls: string[] = [];
  readonly metadata = {
    leaderFor: () => ({ nodeId: 1, host: 'broker', port: 9092, rack: null }),
    partition: () => ({ leaderEpoch: 0 }),
    topic: () => ({ topicId: null }),
    topicName: () => undefined,
  };

  constructor(private readonly error: Error) {}

  send(request: { api: { name: string } }): Promise<unknown> {
    this.calls.push(request.api.name);
    return Promise.reject(this.error);
  }

  requestMetadataUpdate(): void {}
  topicMetadata(): Promise<unknown> {
    this.calls.push('Metadata');
    return Promise.reject(this.error);
  }
  refreshMetadata(): Promise<unknown> {
    return this.topicMetadata();
  }
}

const rejected = new SaslAuthenticationError('broker:9092', 'SCRAM-SHA-512', 'rejected', 'bad credentials');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function setup(error: Error) {
  const cluster = new RefusingCluster(error);
  // A short backoff, so that a retry loop, if there were one, would show many calls within the test.
  const config = resolveConfig({ brokers: 'broker:9092', retryBackoffMs: 5, autoOffsetReset: 'earliest' });
  const fetcher = new Fetcher(cluster as unknown as ClusterClient, config);
  return { cluster, fetcher };
}

describe('Fetcher after an authentication failure', () => {
  it('stops looking up positions at the first refused login and reports the error on every take', async () => {
    const { cluster, fetcher } = setup(rejected);
    fetcher.setAssignment([{ topic: 't', partition: 0 }]);
    const woken = fetcher.changed();
    await woken;
    await sleep(100);
    expect(fetcher.fatalError).toBe(rejected);
    expect(fetcher.take()).toEqual({ error: rejected });
    expect(fetcher.take()).toEqual({ error: rejected });
    expect(cluster.calls).toEqual(['Metadata']);
    fetcher.close();
  });

  it('stops fetching when a Fetch meets a TLS failure, instead of backing off and trying again', async () => {
    const refused = new TlsError(
      'broker:9092',
      'certificate-rejected',
      'the broker refused the client certificate',
    );
    const { cluster, fetcher } = setup(refused);
    fetcher.setAssignment([{ topic: 't', partition: 0 }]);
    for (const p of fetcher.partitions.values()) p.seek({ offset: 0, leaderEpoch: -1 });
    await sleep(100);
    expect(cluster.calls).toEqual(['Fetch']);
    expect(fetcher.take()).toEqual({ error: refused });
    expect(fetcher.fetchesInFlight).toBe(0);
    fetcher.close();
  });

  it('keeps retrying an ordinary failure to look up positions', async () => {
    const { cluster, fetcher } = setup(new Error('broker unreachable'));
    fetcher.setAssignment([{ topic: 't', partition: 0 }]);
    await sleep(100);
    expect(fetcher.fatalError).toBeNull();
    expect(fetcher.take()).toBeNull();
    expect(cluster.calls.length).toBeGreaterThan(3);
    fetcher.close();
  });
});
