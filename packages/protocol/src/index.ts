/** @runnel/protocol: Every Kafka API and version: request/response codecs generated from Kafka's message definitions, headers, version negotiation, error table. */
export const PACKAGE_NAME = '@runnel/protocol';
