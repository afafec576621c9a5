/**
 * @runnel/network/testing: fakes for tests of code built on @runnel/network (this package's own tests,
 * the consumer's, and users'). A deliberate public entry: what it exports is kept working like the main
 * entry, and none of it is loaded by `@runnel/network` itself.
 *
 * - `FakeClock`: a `Clock` whose time stands still until `advance` fires the timers due.
 * - `FakeCluster`: brokers in memory behind a pool's `connectionFactory`; requests are really encoded
 *   and decoded with @runnel/protocol, and each test answers them (`AutoAdvanceClock` runs its timers
 *   as soon as nothing else is pending).
 * - `FakeBroker`: a single-node broker on a real port that answers Metadata, ListOffsets, Fetch (long
 *   poll) and OffsetForLeaderEpoch from a script, and can go down and come back.
 * - `FakeKafkaServer`: a TCP server on a free local port that parses request frames and answers what
 *   the test writes, for tests of real sockets (TLS, framing, SASL).
 */
export { FakeBroker, type FakeBrokerOptions, type FakeFetchAnswer } from './fake-broker.js';
export { FakeClock } from './fake-clock.js';
export {
  AutoAdvanceClock,
  allApiVersions,
  type FakeAnswer,
  FakeCluster,
  FakeConnection,
  type FakeHandler,
  type ReceivedRequest,
} from './fake-cluster.js';
export {
  activeResources,
  FakeClient,
  FakeKafkaServer,
  type FakeRequest,
  frame,
  responsePayload,
  settleIo,
} from './fake-kafka-server.js';
