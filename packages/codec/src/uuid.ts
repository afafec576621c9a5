/**
 * Kafka writes a UUID (topic id, member id) as 16 bytes and shows it as URL-safe base64 without padding,
 * 22 characters, like Java's `Uuid.toString()`.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE_OF = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE_OF[ALPHABET.charCodeAt(i)] = i;

/**
 * Formats 16 bytes starting at `offset` as Kafka's UUID text. The caller has checked the bounds.
 * @returns a 22-character URL-safe base64 string.
 */
export function formatUuid(bytes: Uint8Array, offset: number): string {
  let s = '';
  let i = offset;
  // Five groups of three bytes give 20 characters; the last byte gives the final two.
  for (let g = 0; g < 5; g++, i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    s += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const last = bytes[i]!;
  return s + ALPHABET[last >> 2]! + ALPHABET[(last & 3) << 4]!;
}

/**
 * Parses Kafka's UUID text into `out[offset, offset + 16)`.
 * @returns true when `text` is 22 characters of the URL-safe alphabet whose unused trailing bits are
 * zero (the canonical form), false otherwise (nothing useful is written then).
 */
export function parseUuidInto(text: string, out: Uint8Array, offset: number): boolean {
  if (text.length !== 22) return false;
  let o = offset;
  for (let c = 0; c < 20; c += 4, o += 3) {
    const a = sextet(text, c);
    const b = sextet(text, c + 1);
    const d = sextet(text, c + 2);
    const e = sextet(text, c + 3);
    if ((a | b | d | e) < 0) return false;
    const n = (a << 18) | (b << 12) | (d << 6) | e;
    out[o] = n >> 16;
    out[o + 1] = (n >> 8) & 0xff;
    out[o + 2] = n & 0xff;
  }
  const a = sextet(text, 20);
  const b = sextet(text, 21);
  if ((a | b) < 0 || (b & 15) !== 0) return false;
  out[o] = (a << 2) | (b >> 4);
  return true;
}

function sextet(text: string, index: number): number {
  const c = text.charCodeAt(index);
  return c < 128 ? VALUE_OF[c]! : -1;
}
