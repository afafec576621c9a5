/** @runnel/assignors: Kafka partition assignors (range, roundrobin, sticky, cooperative-sticky), compatible with Java group members. */
export const PACKAGE_NAME = '@runnel/assignors';
