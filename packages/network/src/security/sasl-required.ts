import { ErrorCode, SaslHandshake, type SaslHandshakeResponse } from '@runnel/protocol';
import type { BrokerConnection } from '../broker-connection.js';
import { SaslRequiredError } from './errors.js';

const { ILLEGAL_SASL_STATE } = ErrorCode;

/**
 * The mechanism named in the probe. Any name does: a SASL listener answers with its enabled
 * mechanisms whether or not it enables this one, and a plaintext listener refuses every name alike.
 */
const PROBE_MECHANISM = 'PLAIN';

/**
 * Asks a broker whether the listener of `connection` expects SASL, by sending the SaslHandshake a
 * SASL client would send first. A plaintext or TLS-only listener answers ILLEGAL_SASL_STATE and the
 * connection stays usable; a SASL listener answers with the mechanisms it enables, and the connection
 * is then in the middle of an authentication and must be closed by the caller.
 *
 * Used only after a connection without SASL was closed before the broker answered anything but
 * ApiVersions: a broker restart looks the same on the wire, and the probe tells the two apart.
 * @returns a SaslRequiredError to raise when the listener expects SASL; null when it does not (or the
 *   broker does not offer SaslHandshake v1+, which a SASL listener always does).
 * @throws ConnectionError and the other errors of `Connection.send` when the probe itself fails.
 */
export async function probeSaslRequired(connection: BrokerConnection): Promise<SaslRequiredError | null> {
  const range = connection.apiVersions.get(SaslHandshake.apiKey);
  if (range === undefined || range.maxVersion < 1) return null;
  const response: SaslHandshakeResponse = await connection.send(
    SaslHandshake,
    { mechanism: PROBE_MECHANISM },
    { maxVersion: 1 },
  );
  if (response.errorCode === ILLEGAL_SASL_STATE) return null;
  return new SaslRequiredError(connection.connection.broker, response.mechanisms);
}
