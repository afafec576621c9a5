/** @runnel/consumer: A fast, complete Apache Kafka consumer for Node.js. */
export const PACKAGE_NAME = '@runnel/consumer';
