import { describe, expect, it } from 'vitest';
import { parseBrokerIds } from './cluster.js';
import { KafkaToolError } from './errors.js';
import {
  createTopic,
  parseDescribedConfigs,
  parseDescribeGroup,
  parseOffsets,
  parseProducePerfSummary,
} from './tools.js';

describe('parseOffsets', () => {
  it('reads topic:partition:offset lines of the asked topic only', () => {
    const out = 'orders:0:333\norders:2:334\norders-dlq:0:5\norders:1:333\n';
    expect(parseOffsets(out, 'orders')).toEqual(
      new Map([
        [0, 333n],
        [2, 334n],
        [1, 333n],
      ]),
    );
  });

  it('keeps offsets beyond 2^53 exact', () => {
    expect(parseOffsets('t:0:9007199254740993\n', 't').get(0)).toBe(9007199254740993n);
  });

  it('reports a partition without a leader as -1', () => {
    expect(parseOffsets('t:4:\n', 't').get(4)).toBe(-1n);
  });

  it('rejects a garbled line of the topic with a typed error', () => {
    expect(() => parseOffsets('t:x:1\n', 't')).toThrow(KafkaToolError);
  });
});

describe('parseProducePerfSummary', () => {
  it('reads the closing summary and ignores the progress lines', () => {
    const out = [
      '500 records sent, 99.8 records/sec (0.01 MB/sec), 12.0 ms avg latency, 80.0 ms max latency.',
      '1000 records sent, 1126.126126 records/sec (0.11 MB/sec), 292.16 ms avg latency, 678.00 ms max latency, 300 ms 50th, 600 ms 95th, 670 ms 99th, 678 ms 99.9th.',
    ].join('\n');
    expect(parseProducePerfSummary(out)).toEqual({
      records: 1000,
      recordsPerSec: 1126.126126,
      mbPerSec: 0.11,
      avgLatencyMs: 292.16,
      maxLatencyMs: 678,
    });
  });

  it('returns undefined when there is no summary', () => {
    expect(parseProducePerfSummary('org.apache.kafka.common.errors.TimeoutException\n')).toBeUndefined();
  });
});

describe('parseDescribeGroup', () => {
  const header =
    'GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID                                  HOST            CLIENT-ID';

  it('reads rows with an owner and rows without a committed offset or owner', () => {
    const out = [
      '',
      header,
      'g1              t1              0          120             200             80              consumer-g1-1-5f1e2d3c-aaaa-bbbb-cccc-1234   /127.0.0.1      consumer-g1-1',
      'g1              t1              1          -               50              -               -                                            -               -',
    ].join('\n');
    expect(parseDescribeGroup(out)).toEqual([
      {
        group: 'g1',
        topic: 't1',
        partition: 0,
        currentOffset: 120n,
        logEndOffset: 200n,
        lag: 80n,
        consumerId: 'consumer-g1-1-5f1e2d3c-aaaa-bbbb-cccc-1234',
        host: '/127.0.0.1',
        clientId: 'consumer-g1-1',
      },
      {
        group: 'g1',
        topic: 't1',
        partition: 1,
        currentOffset: null,
        logEndOffset: 50n,
        lag: null,
        consumerId: null,
        host: null,
        clientId: null,
      },
    ]);
  });

  it('returns no rows when the tool printed no table', () => {
    expect(parseDescribeGroup("\nConsumer group 'g1' has no active members.\n")).toEqual([]);
  });

  it('rejects a table row with missing columns with a typed error', () => {
    expect(() => parseDescribeGroup(`${header}\ng1 t1 0 1\n`)).toThrow(KafkaToolError);
  });
});

describe('parseBrokerIds', () => {
  it('finds every broker BrokerApiVersionsCommand lists, in the 4.x and the 3.9 format', () => {
    const out = [
      '127.0.0.1:9092 (id: 1 rack: null isFenced: false) -> (',
      '\tProduce(0): 0 to 13 [usable: 13],',
      ')',
      '127.0.0.1:9093 (id: 3 rack: null) -> (',
      ')',
    ].join('\n');
    expect(parseBrokerIds(out)).toEqual(new Set([1, 3]));
  });
});

describe('parseDescribedConfigs', () => {
  it('reads each described config of ConfigCommand --describe, value by name', () => {
    const out = [
      'Dynamic configs for group g1 are:',
      '  consumer.heartbeat.interval.ms=500 sensitive=false synonyms={DYNAMIC_GROUP_CONFIG:consumer.heartbeat.interval.ms=500, DEFAULT_CONFIG:group.consumer.heartbeat.interval.ms=5000}',
      '  consumer.session.timeout.ms=6000 sensitive=false synonyms={DYNAMIC_GROUP_CONFIG:consumer.session.timeout.ms=6000}',
    ].join('\n');
    expect(parseDescribedConfigs(out)).toEqual(
      new Map([
        ['consumer.heartbeat.interval.ms', '500'],
        ['consumer.session.timeout.ms', '6000'],
      ]),
    );
  });

  it('keeps a value that holds blanks or equals signs whole', () => {
    const out = '  some.list=a=1, b=2 sensitive=false synonyms={}\n';
    expect(parseDescribedConfigs(out).get('some.list')).toBe('a=1, b=2');
  });

  it('finds nothing in the answer for an entity without dynamic configs', () => {
    expect(parseDescribedConfigs('Dynamic configs for group g2 are:\n').size).toBe(0);
  });
});

describe('createTopic', () => {
  it('refuses a replica assignment that does not list every partition, before running anything', async () => {
    const cluster = { bootstrap: '127.0.0.1:1', brokers: [], version: '4.4.0', libDir: '' };
    await expect(
      createTopic(cluster, { topic: 't', partitions: 2, replicaAssignment: [[1, 2]] }),
    ).rejects.toThrow(/replicaAssignment lists 1 partitions, not 2/);
  });
});
