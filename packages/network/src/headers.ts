import type { Reader, Writer } from '@runnel/codec';

/**
 * Writes a Kafka request header. v0: apiKey, apiVersion, correlationId; v1 adds the client id (a
 * nullable string, never compact, even in flexible versions); v2 adds the tagged-field section.
 * @throws EncodeError when a value does not fit its wire type (e.g. a client id over 32767 bytes).
 */
export function writeRequestHeader(
  writer: Writer,
  headerVersion: number,
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
): void {
  writer.writeInt16(apiKey).writeInt16(apiVersion).writeInt32(correlationId);
  if (headerVersion >= 1) writer.writeNullableString(clientId);
  if (headerVersion >= 2) writer.writeTaggedFields(undefined);
}

/**
 * Reads what follows the correlation id in a response header: nothing in v0, the tagged-field section
 * in v1. Unknown tagged fields are skipped (no response header field is defined yet).
 * @throws DecodeError when the section is truncated or malformed.
 */
export function readResponseHeaderRest(reader: Reader, headerVersion: number): void {
  // Skipped in place: kept, each would cost an object and a view, many times its two or more bytes.
  if (headerVersion >= 1) reader.readTaggedFields(skipField);
}

function skipField(_tag: number, reader: Reader, size: number): boolean {
  reader.offset += size;
  return true;
}
