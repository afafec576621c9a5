import { RunnelError } from '@runnel/codec';

/**
 * The broker did not accept this client's identity, or this client did not accept the broker's. Not
 * retriable: the same credentials or certificates fail the same way again, so the pool and the
 * cluster client surface it at once instead of looping (as Java's AuthenticationException).
 */
export class AuthenticationError extends RunnelError {
  /** The broker as `host:port`. */
  readonly broker: string;
  /** False: the same credentials or certificates fail the same way again. */
  readonly retriable = false;

  constructor(code: string, broker: string, message: string, options?: { cause?: unknown }) {
    super(code, `${message} (broker ${broker})`, options);
    this.broker = broker;
  }
}

/**
 * Why a SASL exchange failed:
 * - `unsupported-mechanism`: the listener does not enable the configured mechanism (see `enabledMechanisms`);
 * - `rejected`: the broker refused the credentials or token (SASL_AUTHENTICATION_FAILED and friends);
 * - `server-verification`: the broker's answer failed a check the client makes (SCRAM nonce, iteration
 *   count, server signature, or an `e=` error the server sent);
 * - `not-sasl`: the listener does not speak SASL (ILLEGAL_SASL_STATE, or no SaslAuthenticate API);
 * - `mechanism`: the mechanism itself failed on the client (e.g. the token provider threw).
 */
export type SaslFailureReason =
  | 'unsupported-mechanism'
  | 'rejected'
  | 'server-verification'
  | 'not-sasl'
  | 'mechanism';

/** A SASL exchange (SaslHandshake + SaslAuthenticate) failed. Never carries credentials. */
export class SaslAuthenticationError extends AuthenticationError {
  readonly mechanism: string;
  readonly reason: SaslFailureReason;
  /** The broker's error code, when it sent one (0 otherwise). */
  readonly errorCode: number;
  /** The mechanisms the listener enables, when the broker said (after an unsupported mechanism). */
  readonly enabledMechanisms: readonly string[];

  constructor(
    broker: string,
    mechanism: string,
    reason: SaslFailureReason,
    message: string,
    details: { errorCode?: number; enabledMechanisms?: readonly string[]; cause?: unknown } = {},
  ) {
    super('ERR_SASL_AUTHENTICATION', broker, `SASL ${mechanism}: ${message}`, { cause: details.cause });
    this.mechanism = mechanism;
    this.reason = reason;
    this.errorCode = details.errorCode ?? 0;
    this.enabledMechanisms = details.enabledMechanisms ?? [];
  }
}

/**
 * Why a TLS connection failed:
 * - `untrusted-certificate`: the broker's certificate does not chain to a trusted CA (or is expired);
 * - `hostname-mismatch`: the certificate does not name the host connected to;
 * - `certificate-rejected`: the broker refused this client's certificate, or that there was none
 *   (a listener with `ssl.client.auth=required`);
 * - `tls-expected`: a plaintext client reached a TLS listener (the broker answered with a TLS alert);
 * - `plaintext-expected`: a TLS client reached a listener that does not speak TLS;
 * - `handshake`: any other handshake failure (protocol version, cipher, alert), see `cause`;
 * - `invalid-configuration`: the configured CA, certificate, key or passphrase cannot be loaded.
 */
export type TlsFailureReason =
  | 'untrusted-certificate'
  | 'hostname-mismatch'
  | 'certificate-rejected'
  | 'tls-expected'
  | 'plaintext-expected'
  | 'handshake'
  | 'invalid-configuration';

/** A TLS handshake failed, or one side spoke TLS and the other did not. */
export class TlsError extends AuthenticationError {
  readonly reason: TlsFailureReason;

  constructor(broker: string, reason: TlsFailureReason, message: string, options?: { cause?: unknown }) {
    super('ERR_TLS', broker, message, options);
    this.reason = reason;
  }
}

/**
 * A client configured without SASL reached a listener that requires it: the broker answered ApiVersions,
 * closed the connection at the next request, and then answered a SaslHandshake probe as a SASL listener
 * does. Not retriable: the listener will drop every request until the client authenticates.
 */
export class SaslRequiredError extends AuthenticationError {
  /** The mechanisms the listener enables, as its SaslHandshake answer listed them. */
  readonly enabledMechanisms: readonly string[];

  constructor(broker: string, enabledMechanisms: readonly string[]) {
    super(
      'ERR_SASL_REQUIRED',
      broker,
      `the broker closed the connection at the first request after ApiVersions and answers SaslHandshake: ` +
        `this listener probably requires SASL (it enables ${enabledMechanisms.join(', ') || 'no mechanism'}); ` +
        'configure `sasl`, and `tls` as well for a SASL_SSL listener',
    );
    this.enabledMechanisms = enabledMechanisms;
  }
}
