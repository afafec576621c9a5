import type { SaslExchange, SaslMechanism } from './sasl-mechanism.js';
import { Secret } from './secret.js';

/** Credentials of SASL/PLAIN (RFC 4616). */
export interface PlainCredentials {
  username: string;
  password: string | Secret;
  /** The identity to act as; default none (the broker uses `username`). */
  authorizationId?: string;
}

/**
 * SASL/PLAIN: one message, `authzid NUL username NUL password`. Sends the password itself, so use it
 * only over TLS outside tests.
 * @returns the mechanism; the password is kept as a {@link Secret}.
 */
export function plainMechanism(credentials: PlainCredentials): SaslMechanism {
  const username = credentials.username;
  const authorizationId = credentials.authorizationId ?? '';
  const password = Secret.from(credentials.password);
  return {
    name: 'PLAIN',
    start(): SaslExchange {
      return {
        initialResponse: () =>
          Buffer.from(`${authorizationId}\u0000${username}\u0000${password.revealString()}`, 'utf8'),
        // The broker answers an accepted PLAIN message with empty bytes; a refusal is an error code.
        evaluate: () => null,
      };
    },
  };
}
