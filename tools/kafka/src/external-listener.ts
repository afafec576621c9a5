import type { PropertyValue } from './properties.js';

/**
 * What `startKafka`'s `externalListener` option takes: a second client listener, `EXTERNAL`, that each
 * node advertises at another address (a fault proxy in front of it, say). A client that bootstraps
 * through that address learns only such addresses from Metadata, since a broker answers with the
 * endpoints of the listener the request came in on; PLAINTEXT stays the inter-broker listener and
 * what Kafka's tools use, so faults on EXTERNAL never touch replication.
 */
export interface ExternalListenerOptions {
  /** The port each node advertises, in node id order. */
  readonly advertisedPorts: readonly number[];
  /** The host each node advertises; default 127.0.0.1. */
  readonly advertisedHost?: string;
}

export const EXTERNAL_LISTENER = 'EXTERNAL';

/**
 * Returns the `server.properties` entries of one node that add the EXTERNAL listener on
 * `externalPort`, advertised as `advertisedHost:advertisedPort`, beside PLAINTEXT and CONTROLLER.
 */
export function externalListenerProperties(
  host: string,
  port: number,
  controllerPort: number,
  externalPort: number,
  advertised: { readonly host: string; readonly port: number },
): Record<string, PropertyValue> {
  return {
    listeners: [
      `PLAINTEXT://${host}:${port}`,
      `${EXTERNAL_LISTENER}://${host}:${externalPort}`,
      `CONTROLLER://${host}:${controllerPort}`,
    ].join(','),
    'advertised.listeners': [
      `PLAINTEXT://${host}:${port}`,
      `${EXTERNAL_LISTENER}://${advertised.host}:${advertised.port}`,
    ].join(','),
    'listener.security.protocol.map': `CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,${EXTERNAL_LISTENER}:PLAINTEXT`,
  };
}
