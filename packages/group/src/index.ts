/** @runnel/group: Sans-I/O Kafka consumer-group membership state machines (classic and KIP-848). */
export const PACKAGE_NAME = '@runnel/group';
