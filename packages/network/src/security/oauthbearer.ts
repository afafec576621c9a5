import { SaslAuthenticationError } from './errors.js';
import type { SaslContext, SaslExchange, SaslMechanism } from './sasl-mechanism.js';
import { Secret } from './secret.js';

/** What a token provider returns: the token and optional SASL extensions (KIP-342). */
export interface OAuthBearerToken {
  /** The compact JWS (or any bearer token the broker's validator accepts). */
  token: string | Secret;
  /** Extensions sent beside the token, e.g. `{ logicalCluster: 'lkc-1' }`. Keys: letters only. */
  extensions?: Readonly<Record<string, string>>;
}

/**
 * Returns a bearer token for a broker; called for every authentication, re-authentications included,
 * so it can refresh tokens that expire.
 */
export type OAuthBearerTokenProvider = (context: SaslContext) => Promise<OAuthBearerToken>;

const SEPARATOR = '\u0001';
const EXTENSION_KEY = /^[A-Za-z]+$/;
// RFC 7628: a value is printable ASCII plus space, tab, CR and LF.
const EXTENSION_VALUE = /^[\x21-\x7E \t\r\n]*$/;

/**
 * Builds the client's first OAUTHBEARER message (RFC 7628): `n,,` then `auth=Bearer <token>` and each
 * extension as `key=value`, separated by 0x01 and ended by two.
 * @returns the message bytes.
 * @throws TypeError for an extension key that is not letters only, the reserved key `auth`, or a value
 *   with characters RFC 7628 forbids.
 */
export function oauthBearerInitialResponse(
  token: string,
  extensions: Readonly<Record<string, string>> = {},
): Uint8Array {
  let message = `n,,${SEPARATOR}auth=Bearer ${token}`;
  for (const [key, value] of Object.entries(extensions)) {
    if (!EXTENSION_KEY.test(key) || key === 'auth')
      throw new TypeError(`invalid OAUTHBEARER extension key "${key}"`);
    if (!EXTENSION_VALUE.test(value)) throw new TypeError(`invalid value of OAUTHBEARER extension "${key}"`);
    message += `${SEPARATOR}${key}=${value}`;
  }
  return Buffer.from(`${message}${SEPARATOR}${SEPARATOR}`, 'utf8');
}

/**
 * SASL/OAUTHBEARER with a user-supplied async token provider. A refused token makes the broker send an
 * error document first; the client acknowledges it (a lone 0x01, as RFC 7628 requires) and the broker
 * then fails the exchange with SASL_AUTHENTICATION_FAILED, whose message names the status it gave.
 * @returns the mechanism.
 */
export function oauthBearerMechanism(provider: OAuthBearerTokenProvider): SaslMechanism {
  return {
    name: 'OAUTHBEARER',
    async start(context): Promise<SaslExchange> {
      let token: OAuthBearerToken;
      try {
        token = await provider(context);
      } catch (cause) {
        throw new SaslAuthenticationError(
          `${context.host}:${context.port}`,
          'OAUTHBEARER',
          'mechanism',
          'the token provider failed',
          { cause },
        );
      }
      const value = Secret.from(token.token).revealString();
      return {
        initialResponse: () => oauthBearerInitialResponse(value, token.extensions),
        evaluate: (challenge) => (challenge.length === 0 ? null : Uint8Array.of(0x01)),
      };
    },
  };
}

/**
 * Makes an unsigned JWS (`alg: none`) of the kind Kafka's unsecured validator accepts: for tests and
 * development clusters only.
 * @returns the compact token `header.payload.` (empty signature).
 */
export function unsecuredJwt(claims: {
  sub: string;
  lifetimeMs?: number;
  nowMs?: number;
  scope?: string[];
}): string {
  const now = claims.nowMs ?? Date.now();
  const payload: Record<string, unknown> = {
    sub: claims.sub,
    iat: now / 1000,
    exp: (now + (claims.lifetimeMs ?? 3_600_000)) / 1000,
  };
  if (claims.scope) payload.scope = claims.scope;
  const part = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  return `${part({ alg: 'none' })}.${part(payload)}.`;
}
