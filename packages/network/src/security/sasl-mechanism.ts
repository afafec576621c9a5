/** The broker a SASL exchange authenticates to. */
export interface SaslContext {
  readonly host: string;
  readonly port: number;
  /** True when the exchange renews the session of an authenticated connection (KIP-368). */
  readonly reauthentication: boolean;
}

/**
 * One run of a mechanism's exchange with a broker. The authenticator sends `initialResponse()` in a
 * SaslAuthenticate request, hands every answer to `evaluate`, and sends what it returns, until it
 * returns null.
 */
export interface SaslExchange {
  /** @returns the client's first message. */
  initialResponse(): Uint8Array | Promise<Uint8Array>;
  /**
   * Reads the broker's answer to the last message.
   * @returns the next client message, or null when the exchange is complete.
   * @throws SaslAuthenticationError when the answer fails the mechanism's checks.
   */
  evaluate(challenge: Uint8Array): Uint8Array | null | Promise<Uint8Array | null>;
}

/**
 * A SASL mechanism: PLAIN, SCRAM-SHA-256/512 and OAUTHBEARER ship with Runnel; others (AWS_MSK_IAM,
 * GSSAPI) plug in by implementing this interface.
 */
export interface SaslMechanism {
  /** The name sent in SaslHandshake, e.g. `SCRAM-SHA-512`. */
  readonly name: string;
  /** Starts one exchange; called for the first authentication and again for each re-authentication. */
  start(context: SaslContext): SaslExchange | Promise<SaslExchange>;
}
