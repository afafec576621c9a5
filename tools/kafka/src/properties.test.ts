import { describe, expect, it } from 'vitest';
import { brokerProperties, type NodeLayout, nodeOverrides, renderProperties } from './properties.js';
import { kafkaVersionProfile } from './versions.js';

describe('renderProperties', () => {
  it('writes one key=value line per entry in order, numbers and booleans as Java reads them', () => {
    expect(
      renderProperties({ 'node.id': 1, 'auto.create.topics.enable': false, 'log.dirs': '/tmp/a b' }),
    ).toBe('node.id=1\nauto.create.topics.enable=false\nlog.dirs=/tmp/a b\n');
  });

  it('escapes backslashes, line breaks and tabs so a value stays on its line', () => {
    expect(renderProperties({ a: 'C:\\dir', b: 'x\ny', c: 'x\tz\r' })).toBe(
      'a=C:\\\\dir\nb=x\\ny\nc=x\\tz\\r\n',
    );
  });

  it('escapes separators and blanks inside keys, and a value that starts with a blank', () => {
    expect(renderProperties({ 'a b=c:d': ' v' })).toBe('a\\ b\\=c\\:d=\\ v\n');
  });

  it('keeps a leading comment character from turning a key into a comment', () => {
    expect(renderProperties({ '#x': '!y' })).toBe('\\#x=\\!y\n');
  });

  it('writes characters outside printable ASCII as \\u escapes, since Java reads the file as ISO-8859-1', () => {
    expect(renderProperties({ name: 'café€' })).toBe('name=caf\\u00e9\\u20ac\n');
  });

  it('writes an empty map as an empty file', () => {
    expect(renderProperties({})).toBe('');
  });
});

const layout = (nodeId: number): NodeLayout => ({
  nodeId,
  host: '127.0.0.1',
  port: 9090 + nodeId,
  controllerPort: 9190 + nodeId,
  logDir: `/tmp/node-${nodeId}/data`,
});

describe('brokerProperties', () => {
  it('configures a single 4.x node as broker and controller with test-friendly group settings', () => {
    const one = layout(1);
    const props = brokerProperties(kafkaVersionProfile('4'), one, [one]);
    expect(props).toMatchObject({
      'process.roles': 'broker,controller',
      'node.id': 1,
      'controller.quorum.voters': '1@127.0.0.1:9191',
      listeners: 'PLAINTEXT://127.0.0.1:9091,CONTROLLER://127.0.0.1:9191',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:9091',
      'controller.listener.names': 'CONTROLLER',
      'log.dirs': '/tmp/node-1/data',
      'num.partitions': 1,
      'offsets.topic.replication.factor': 1,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
      'group.initial.rebalance.delay.ms': 0,
      'group.min.session.timeout.ms': 1000,
      'group.consumer.min.session.timeout.ms': 1000,
      'group.consumer.min.heartbeat.interval.ms': 100,
      'share.coordinator.state.topic.replication.factor': 1,
      'group.share.min.record.lock.duration.ms': 1000,
      'group.share.min.heartbeat.interval.ms': 100,
      'group.share.min.session.timeout.ms': 1000,
    });
    expect(props).not.toHaveProperty('group.coordinator.rebalance.protocols');
    // Only share groups' lower bounds move: their defaults stay Kafka's.
    expect(props).not.toHaveProperty('group.share.record.lock.duration.ms');
    expect(props).not.toHaveProperty('group.share.heartbeat.interval.ms');
  });

  it('enables the consumer rebalance protocol on 3.9 and leaves out the share-group keys it lacks', () => {
    const one = layout(1);
    const props = brokerProperties(kafkaVersionProfile('3.9'), one, [one]);
    expect(props['group.coordinator.rebalance.protocols']).toBe('classic,consumer');
    expect(Object.keys(props).some((key) => key.startsWith('share.') || key.includes('.share.'))).toBe(false);
  });

  it('lists every node as a voter and replicates internal topics to all three nodes of a cluster', () => {
    const all = [layout(1), layout(2), layout(3)];
    const props = brokerProperties(kafkaVersionProfile('4'), all[1]!, all);
    expect(props['node.id']).toBe(2);
    expect(props['controller.quorum.voters']).toBe('1@127.0.0.1:9191,2@127.0.0.1:9192,3@127.0.0.1:9193');
    expect(props['offsets.topic.replication.factor']).toBe(3);
    expect(props['transaction.state.log.replication.factor']).toBe(3);
    expect(props['transaction.state.log.min.isr']).toBe(2);
    expect(props['share.coordinator.state.topic.min.isr']).toBe(2);
  });

  it('lets overrides replace defaults and add keys', () => {
    const one = layout(1);
    const props = brokerProperties(kafkaVersionProfile('4'), one, [one], {
      'num.partitions': 6,
      'auto.create.topics.enable': false,
    });
    expect(props['num.partitions']).toBe(6);
    expect(props['auto.create.topics.enable']).toBe(false);
  });
});

describe('nodeOverrides', () => {
  it('gives each node its own entries on top of the listeners and the entries for every node', () => {
    const sources = {
      listeners: { listeners: 'PLAINTEXT://h:1', 'broker.rack': 'from-listeners' },
      brokerProperties: { 'num.partitions': 3, 'broker.rack': 'everywhere' },
      nodeProperties: (nodeId: number) => ({ 'broker.rack': `rack-${nodeId}` }),
    };
    expect(nodeOverrides(2, sources)).toEqual({
      listeners: 'PLAINTEXT://h:1',
      'broker.rack': 'rack-2',
      'num.partitions': 3,
    });
    expect(nodeOverrides(3, sources)['broker.rack']).toBe('rack-3');
    expect(nodeOverrides(1, { brokerProperties: { 'broker.rack': 'everywhere' } })).toEqual({
      'broker.rack': 'everywhere',
    });
    expect(nodeOverrides(1, {})).toEqual({});
  });
});
