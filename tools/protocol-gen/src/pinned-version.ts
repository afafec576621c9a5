/**
 * The Kafka version whose definitions and error table @runnel/protocol is generated from: the default
 * test broker's, so the generated code and the broker the tests run against agree.
 */
import { DEFAULT_KAFKA_VERSION } from '@runnel/kafka-local';

export const PROTOCOL_KAFKA_VERSION: string = DEFAULT_KAFKA_VERSION;
