/** @runnel/network: Connections, framing, broker pool, cluster metadata and request routing for Kafka. */
export const PACKAGE_NAME = '@runnel/network';
