import {
  ErrorCode,
  SaslAuthenticate,
  type SaslAuthenticateResponse,
  SaslHandshake,
  type SaslHandshakeResponse,
  UnsupportedVersionError,
} from '@runnel/protocol';
import { apiRequest, type KafkaApi } from '../api.js';
import type { BrokerConnection } from '../broker-connection.js';
import type { RequestSpec } from '../connection.js';
import { SaslAuthenticationError } from './errors.js';
import { type OAuthBearerTokenProvider, oauthBearerMechanism } from './oauthbearer.js';
import { plainMechanism } from './plain.js';
import type { SaslContext, SaslMechanism } from './sasl-mechanism.js';
import { type ScramMechanismName, scramMechanism } from './scram.js';
import type { Secret } from './secret.js';

/**
 * SASL settings (Kafka's `sasl.mechanism` and `sasl.jaas.config`): a built-in mechanism with its
 * credentials, or any {@link SaslMechanism}. Passwords and tokens may be given as {@link Secret}s;
 * plain strings are wrapped in one at once, so the client never keeps or logs them as text.
 */
export type SaslOptions =
  | { mechanism: 'PLAIN'; username: string; password: string | Secret; authorizationId?: string }
  | {
      mechanism: ScramMechanismName;
      username: string;
      password: string | Secret;
      /** Default 4096: a server asking for fewer iterations is refused. */
      minIterations?: number;
    }
  | { mechanism: 'OAUTHBEARER'; tokenProvider: OAuthBearerTokenProvider }
  | { mechanism: SaslMechanism };

/**
 * Resolves SASL options to a mechanism.
 * @returns the mechanism object.
 * @throws TypeError for an unknown mechanism name.
 */
export function saslMechanismOf(options: SaslOptions): SaslMechanism {
  const { mechanism } = options;
  if (typeof mechanism === 'object') return mechanism;
  switch (options.mechanism) {
    case 'PLAIN':
      return plainMechanism(options);
    case 'SCRAM-SHA-256':
    case 'SCRAM-SHA-512':
      return scramMechanism(options.mechanism, options);
    case 'OAUTHBEARER':
      return oauthBearerMechanism(options.tokenProvider);
    default:
      throw new TypeError(`unknown SASL mechanism ${String(mechanism)}`);
  }
}

/** The outcome of a successful SASL exchange. */
export interface SaslSession {
  readonly mechanism: string;
  /**
   * How long the broker keeps the session (KIP-368's `sessionLifetimeMs`); 0 when it does not expire.
   * The client must re-authenticate before then.
   */
  readonly sessionLifetimeMs: number;
}

/** Sends one request on the connection being authenticated; {@link Connection.exclusive} provides one. */
export type SaslSend = <T>(spec: RequestSpec<T>) => Promise<T>;

const { UNSUPPORTED_SASL_MECHANISM, ILLEGAL_SASL_STATE } = ErrorCode;

/**
 * Runs SaslHandshake, then SaslAuthenticate until the mechanism's exchange completes, on a connection
 * that finished its ApiVersions handshake. Used for the first authentication and for each
 * re-authentication (KIP-368), which takes the same steps on the same connection.
 * @param options.reauthentication true when the connection authenticated before (KIP-368).
 * @param options.send where the requests go; default the connection's own `send` (a re-authentication passes
 *   the `send` of an exclusive task, so that other requests wait).
 * @returns the session, with the lifetime the broker granted.
 * @throws SaslAuthenticationError when the broker refuses the mechanism or the credentials, or its
 *   answers fail the mechanism's checks; ConnectionError and the other errors of `Connection.send`.
 */
export async function authenticateSasl(
  connection: BrokerConnection,
  mechanism: SaslMechanism,
  options: { reauthentication?: boolean; send?: SaslSend } = {},
): Promise<SaslSession> {
  const raw = connection.connection;
  const send: SaslSend = options.send ?? ((spec) => raw.send(spec));
  const broker = raw.broker;
  const name = mechanism.name;
  const context: SaslContext = {
    host: connection.broker.host,
    port: connection.broker.port,
    reauthentication: options.reauthentication ?? false,
  };
  const request = <Q, R>(api: KafkaApi<Q, R>, message: Q): Promise<R> => {
    let version: number;
    try {
      // SaslHandshake v0 would send the tokens unframed, outside SaslAuthenticate: Runnel needs v1+.
      version = connection.version(api as KafkaApi<unknown, unknown>);
      if (version < 1)
        throw new UnsupportedVersionError(api.apiKey, api.name, null, { minVersion: 1, maxVersion: 1 });
    } catch (cause) {
      return Promise.reject(
        new SaslAuthenticationError(broker, name, 'not-sasl', `the broker does not support ${api.name} v1+`, {
          cause,
        }),
      );
    }
    return send(apiRequest(api, message, version));
  };

  const handshake: SaslHandshakeResponse = await request(SaslHandshake, { mechanism: name });
  if (handshake.errorCode === UNSUPPORTED_SASL_MECHANISM) {
    throw new SaslAuthenticationError(
      broker,
      name,
      'unsupported-mechanism',
      `the listener does not enable it (it enables ${handshake.mechanisms.join(', ') || 'none'})`,
      { errorCode: handshake.errorCode, enabledMechanisms: handshake.mechanisms },
    );
  }
  if (handshake.errorCode !== 0) {
    const notSasl = handshake.errorCode === ILLEGAL_SASL_STATE;
    throw new SaslAuthenticationError(
      broker,
      name,
      notSasl ? 'not-sasl' : 'rejected',
      notSasl
        ? 'the listener does not expect SASL'
        : `SaslHandshake failed with error code ${handshake.errorCode}`,
      { errorCode: handshake.errorCode, enabledMechanisms: handshake.mechanisms },
    );
  }

  const exchange = await mechanism.start(context);
  let message: Uint8Array | null = await exchange.initialResponse();
  let sessionLifetimeMs = 0;
  // Every mechanism here ends within a few round trips; the bound stops a server that never finishes.
  for (let round = 0; message !== null; round++) {
    if (round >= 16) {
      throw new SaslAuthenticationError(
        broker,
        name,
        'server-verification',
        'the exchange did not end in 16 rounds',
      );
    }
    const response: SaslAuthenticateResponse = await request(SaslAuthenticate, { authBytes: message });
    if (response.errorCode !== 0) {
      throw new SaslAuthenticationError(
        broker,
        name,
        'rejected',
        response.errorMessage ?? `authentication failed with error code ${response.errorCode}`,
        { errorCode: response.errorCode },
      );
    }
    sessionLifetimeMs = Number(response.sessionLifetimeMs ?? 0n);
    message = await exchange.evaluate(response.authBytes);
  }
  return { mechanism: name, sessionLifetimeMs };
}
