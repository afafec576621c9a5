/**
 * The Kafka version whose definitions @runnel/protocol is generated from. Keep it equal to
 * @runnel/kafka-local's DEFAULT_KAFKA_VERSION, so the code and the default test broker agree.
 */
export const PROTOCOL_KAFKA_VERSION = '4.4.0';
