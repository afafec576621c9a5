/**
 * Test data for the LZ77 decoders (lz4, snappy): random bytes, event-like lines, and parts that
 * repeat at 1 to 9 bytes and farther, so that matches start every distance the word copies treat
 * differently (closer than a word, between a word and a step, farther).
 */
import fc from 'fast-check';

const parts = fc.oneof(
  fc.uint8Array({ maxLength: 70 }),
  fc.constantFrom(
    '{"id":1,"event":"order.created","region":"eu-west"}',
    'z'.repeat(300),
    'ab',
    'xyz'.repeat(9),
  ),
  fc.constantFrom('abcd', 'abcde', 'abcdef', 'abcdefg', 'abcdefgh', 'abcdefghi', 'abcdefg'.repeat(12)),
  fc.nat({ max: 99999 }).map(String),
);

/** Concatenations of up to 120 such parts. */
export const lzData = fc
  .array(parts, { maxLength: 120 })
  .map((list) => new Uint8Array(Buffer.concat(list.map((p) => Buffer.from(p as Uint8Array | string)))));
