import { describe, expect, it } from 'vitest';
import { KafkaToolError } from './errors.js';
import { externalListenerProperties } from './external-listener.js';
import { parseDescribeTopic, parseGroupCoordinator } from './topic-tools.js';

describe('parseDescribeTopic', () => {
  it("reads each partition's leader, replicas and in-sync replicas", () => {
    const out = [
      'Topic: probe\tTopicId: rjoHVhrKS8WpVQC7DeHxKQ\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: min.insync.replicas=1',
      '\tTopic: probe\tPartition: 1\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2\tElr: \tLastKnownElr: ',
      '\tTopic: probe\tPartition: 0\tLeader: none\tReplicas: 3,1,2\tIsr: \tElr: \tLastKnownElr: ',
      '',
    ].join('\n');
    expect(parseDescribeTopic(out)).toEqual([
      { partition: 0, leader: -1, replicas: [3, 1, 2], isr: [] },
      { partition: 1, leader: 1, replicas: [1, 2, 3], isr: [1, 2] },
    ]);
  });

  it('refuses a partition line without a leader with a typed error', () => {
    expect(() => parseDescribeTopic('\tTopic: t\tPartition: 0\tReplicas: 1\n')).toThrow(KafkaToolError);
  });
});

describe('parseGroupCoordinator', () => {
  it('reads the node id in brackets after the coordinator address', () => {
    const out = [
      '',
      'GROUP           COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE                #MEMBERS',
      'g1              127.0.0.1:45733  (2)      -                    Empty                0',
    ].join('\n');
    expect(parseGroupCoordinator(out)).toBe(2);
  });

  it('returns undefined when there is no state table', () => {
    expect(parseGroupCoordinator("Consumer group 'g1' does not exist.")).toBeUndefined();
  });
});

describe('externalListenerProperties', () => {
  it('adds EXTERNAL beside PLAINTEXT and CONTROLLER, advertised at the given address', () => {
    expect(
      externalListenerProperties('127.0.0.1', 9092, 9093, 9094, { host: '127.0.0.1', port: 7000 }),
    ).toEqual({
      listeners: 'PLAINTEXT://127.0.0.1:9092,EXTERNAL://127.0.0.1:9094,CONTROLLER://127.0.0.1:9093',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:9092,EXTERNAL://127.0.0.1:7000',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT',
    });
  });
});
