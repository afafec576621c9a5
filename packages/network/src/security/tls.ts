import * as net from 'node:net';
import type * as tls from 'node:tls';
import { nodeTls } from '../builtins.js';
import type { SocketFactory } from '../connection.js';
import { TlsError, type TlsFailureReason } from './errors.js';
import { Secret } from './secret.js';

type Pem = string | Uint8Array;

/**
 * TLS settings (Kafka's `ssl.*`). Host name verification is always on unless `checkServerIdentity` is
 * replaced, and it applies to every broker: the bootstrap ones and each one the metadata names.
 */
export interface TlsOptions {
  /** Trusted CAs (PEM). Default: Node's bundled root CAs. */
  ca?: Pem | readonly Pem[];
  /** This client's certificate chain (PEM), for listeners that require one (mutual TLS). */
  cert?: Pem | readonly Pem[];
  /** The private key of `cert` (PEM); wrap it in a {@link Secret} to keep it out of inspect output. */
  key?: Pem | Secret;
  /** The passphrase of an encrypted `key`. */
  passphrase?: string | Secret;
  /**
   * Server name indication and the name verified in the certificate; default the broker's host name
   * (no SNI is sent for an IP address, which is then verified against the certificate's IP SANs).
   */
  servername?: string;
  /** Verifies the certificate chain (default true). Turning it off also turns off host name checks. */
  rejectUnauthorized?: boolean;
  /** Replaces Node's host name check (`tls.checkServerIdentity`); return an Error to refuse. */
  checkServerIdentity?: (hostname: string, cert: tls.PeerCertificate) => Error | undefined;
  /** Lowest TLS version accepted (default TLSv1.2). */
  minVersion?: tls.SecureVersion;
}

/**
 * Makes the socket factory of TLS connections: every connection gets SNI set to the broker's host
 * name (not for IP literals, which SNI forbids), the chain checked against `ca` and the host name
 * checked against the certificate.
 *
 * The CA, certificate, key and passphrase are loaded once, here, into a native secure context that
 * every connection shares: Node keeps the options given to `tls.connect` on the socket, so passing
 * the key there would let `util.inspect` of anything that reaches a live socket print it.
 * @returns a factory for {@link ConnectionOptions.socketFactory}.
 * @throws TlsError (reason `invalid-configuration`) when the CA, certificate, key or passphrase
 *   cannot be loaded (malformed PEM, a key that does not match the certificate, a wrong passphrase).
 */
export function tlsSocketFactory(options: TlsOptions = {}): SocketFactory {
  const secureContext = secureContextOf(options);
  const rejectUnauthorized = options.rejectUnauthorized ?? true;
  const { servername: fixedServername, checkServerIdentity } = options;
  return ({ host, port }) => {
    // SNI may not carry an IP address (RFC 6066). Node then verifies the certificate against `host`
    // itself, which an IP literal matches through the certificate's IP SANs.
    const servername = fixedServername ?? (net.isIP(host) === 0 ? host : undefined);
    return nodeTls().connect({
      host,
      port,
      secureContext,
      rejectUnauthorized,
      ...(servername !== undefined ? { servername } : {}),
      ...(checkServerIdentity !== undefined ? { checkServerIdentity } : {}),
    });
  };
}

function secureContextOf(options: TlsOptions): tls.SecureContext {
  const key = options.key === undefined ? undefined : Secret.from(options.key);
  const passphrase = options.passphrase === undefined ? undefined : Secret.from(options.passphrase);
  try {
    return nodeTls().createSecureContext({
      minVersion: options.minVersion ?? 'TLSv1.2',
      ...(options.ca !== undefined ? { ca: pemList(options.ca) } : {}),
      ...(options.cert !== undefined ? { cert: pemList(options.cert) } : {}),
      ...(key !== undefined ? { key: pemValue(key.reveal()) } : {}),
      ...(passphrase !== undefined ? { passphrase: passphrase.revealString() } : {}),
    });
  } catch (cause) {
    // OpenSSL's messages name the failing routine, never the key material, so the cause may stay.
    const code = (cause as NodeJS.ErrnoException | null)?.code ?? 'unknown error';
    throw new TlsError(
      'all brokers',
      'invalid-configuration',
      `cannot load the configured TLS ca, cert or key (${code})`,
      { cause },
    );
  }
}

function pemValue(value: Pem): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value);
}

function pemList(value: Pem | readonly Pem[]): Array<string | Buffer> {
  return (Array.isArray(value) ? (value as readonly Pem[]) : [value as Pem]).map(pemValue);
}

/** OpenSSL's verification results that mean the chain is not trusted (see `X509_V_ERR_*`). */
const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
]);

/**
 * Classifies a socket error of a TLS connection.
 * @param handshakeDone whether `secureConnect` had fired (a TLS 1.3 server refuses a client
 *   certificate only after the client finished its side of the handshake).
 * @returns a TlsError when the error is about TLS, or null for an ordinary network error.
 */
export function tlsErrorOf(broker: string, cause: unknown, handshakeDone: boolean): TlsError | null {
  const code = (cause as NodeJS.ErrnoException | null)?.code ?? '';
  let reason: TlsFailureReason;
  let message: string;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    reason = 'hostname-mismatch';
    message = "the broker's certificate does not name this host";
  } else if (UNTRUSTED_CODES.has(code)) {
    reason = 'untrusted-certificate';
    message = `the broker's certificate is not trusted (${code}); check the configured CA`;
  } else if (
    /ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|HANDSHAKE_FAILURE)/.test(
      code,
    ) &&
    handshakeDone
  ) {
    reason = 'certificate-rejected';
    message = `the broker refused the client certificate (${code}); the listener requires a trusted one`;
  } else if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    reason = 'plaintext-expected';
    message = `the broker did not answer in TLS (${code}); is this a plaintext listener?`;
  } else if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    reason = /CERTIFICATE_REQUIRED|BAD_CERTIFICATE/.test(code) ? 'certificate-rejected' : 'handshake';
    message = `TLS handshake failed (${code})`;
  } else {
    return null;
  }
  return new TlsError(broker, reason, message, { cause });
}

/**
 * True when the first bytes a plaintext connection received look like a TLS record (an alert, 0x15,
 * or a handshake, 0x16, of version 3.x): the broker speaks TLS on this port. Read as a Kafka size
 * prefix these bytes announce hundreds of megabytes, so they are caught before the frame decoder.
 */
export function looksLikeTlsRecord(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && (bytes[0] === 0x15 || bytes[0] === 0x16) && bytes[1] === 0x03;
}
