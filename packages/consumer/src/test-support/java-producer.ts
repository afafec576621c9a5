/** Kafka's Java producer for the integration tests, from @runnel/kafka-local (the examples use it too). */
export { type JavaProducerResult, javaProducer } from '@runnel/kafka-local';
