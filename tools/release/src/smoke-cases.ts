/**
 * Named exports the smoke programs import from each package, in every module format and TypeScript
 * resolution. A new package needs one line here to have its names checked; a package not listed is
 * still imported, required and type-checked as a whole.
 */
export const EXPECTED_EXPORTS: Readonly<Record<string, readonly string[]>> = {
  '@runnel/codec': [
    'Reader',
    'Writer',
    'encodeRecordBatch',
    'decodeRecordBatches',
    'RunnelError',
    'CompressionType',
  ],
  '@runnel/protocol': ['ApiKeys', 'Fetch', 'KafkaProtocolError', 'ErrorCode'],
  '@runnel/network': ['ClusterClient', 'BrokerPool', 'Secret', 'ConnectionError'],
  '@runnel/assignors': ['RangeAssignor', 'RoundRobinAssignor', 'StickyAssignor', 'CooperativeStickyAssignor'],
  '@runnel/group': ['ClassicGroupMember', 'ConsumerProtocolMember', 'ShareGroupMember'],
  '@runnel/consumer': ['Consumer', 'ConfigError', 'CooperativeStickyAssignor', 'ShareConsumer'],
  '@runnel/cli': ['main', 'processIo'],
  '@runnel/kafkajs': ['Kafka', 'KafkaJSError', 'KafkaJSNumberOfRetriesExceeded'],
};

/** What the scenario part of every smoke program uses; those packages must be among the packed ones. */
export const SCENARIO_EXPORTS: Readonly<Record<string, readonly string[]>> = {
  '@runnel/codec': ['encodeRecordBatch', 'decodeRecordBatches'],
  '@runnel/consumer': ['Consumer'],
};
