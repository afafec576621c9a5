/**
 * @runnel/network/testing: fakes for the tests of the packages above this one (a fake broker on a real
 * TCP port). Not for production use; nothing in the package's main entry depends on it.
 */
export { FakeBroker, type FakeBrokerOptions, type FakeFetchAnswer } from './test-support/fake-broker.js';
export {
  type FakeClient,
  FakeKafkaServer,
  type FakeRequest,
  frame,
  responsePayload,
} from './test-support/fake-kafka-server.js';
