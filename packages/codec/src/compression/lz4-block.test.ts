/**
 * The LZ4 block decoder's word copies against the plain bytewise decoder it replaced: the same output
 * bytes, the same end position, the same typed errors, for blocks written by this package's
 * compressor and by lz4-napi's (lz4_flex), into rooms of any size and position.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.js';
import { LZ4_HASH_TABLE_SIZE, lz4CompressBlock, lz4DecompressBlock } from './lz4-block.js';
import { lzData } from './test-support/lz-data.js';
import { lz4DecompressBlockBytewise } from './test-support/lz4-block-bytewise.js';

const lz4Napi = createRequire(import.meta.url)('lz4-napi') as { compressSync: (d: Buffer) => Buffer };

type Decoder = typeof lz4DecompressBlock;

function ourBlock(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(input.length + Math.ceil(input.length / 255) + 16);
  const end = lz4CompressBlock(input, 0, input.length, out, 0, new Int32Array(LZ4_HASH_TABLE_SIZE));
  return out.subarray(0, end);
}

function theirBlock(input: Uint8Array): Uint8Array {
  // lz4-napi puts the output size in front of the block.
  return new Uint8Array(lz4Napi.compressSync(Buffer.from(input))).subarray(4);
}

/**
 * Runs a decoder on a copy of `room`, the block lying in its input behind `lead` and before `trail`
 * other bytes (a block inside a frame may be followed by more).
 * @returns what it returned or threw, and the bytes before its end.
 */
function run(
  decode: Decoder,
  block: Uint8Array,
  room: Uint8Array,
  o: number,
  outEnd: number,
  lead = 0,
  trail = 0,
) {
  const out = room.slice();
  const input = new Uint8Array(lead + block.length + trail).fill(0x5a);
  input.set(block, lead);
  try {
    const end = decode(input, lead, lead + block.length, out, o, outEnd);
    return { end, bytes: Buffer.from(out.subarray(0, Math.max(end, 0))).toString('hex') };
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return { error: `${e.constructor.name}: ${e.message}` };
  }
}

describe('lz4DecompressBlock', () => {
  for (const [name, compress] of [
    ['this package', ourBlock],
    ['lz4-napi', theirBlock],
  ] as const) {
    it(`matches the bytewise decoder on any block from ${name}, into any room`, () => {
      fc.assert(
        fc.property(
          lzData,
          fc.nat({ max: 40 }),
          fc.integer({ min: -3, max: 20 }),
          fc.integer({ min: -3, max: 20 }),
          fc.nat({ max: 20 }),
          (input, o, slack, limit, trail) => {
            const block = compress(input);
            // `slack` spare bytes after the output (few: the word copies must fall back near the end),
            // `limit` moves outEnd around the exact size (negative: the output must not fit).
            const room = new Uint8Array(Math.max(0, o + input.length + slack)).fill(0xa5);
            const outEnd = Math.min(room.length, Math.max(o, o + input.length + limit));
            const fast = run(lz4DecompressBlock, block, room, o, outEnd, 3, trail);
            expect(fast).toEqual(run(lz4DecompressBlockBytewise, block, room, o, outEnd, 3, trail));
            if (input.length > 0 && outEnd >= o + input.length) {
              expect(fast.end).toBe(o + input.length);
              expect(fast.bytes?.slice(2 * o)).toBe(Buffer.from(input).toString('hex'));
            }
          },
        ),
        { numRuns: 400 },
      );
    });
  }

  it('ends a corrupted block in the same typed error or the same bytes as the bytewise decoder', () => {
    const input = new TextEncoder().encode(
      '{"id":355432,"event":"eu-west.us-east","amount":835.56}\n'.repeat(60),
    );
    const block = theirBlock(input);
    fc.assert(
      fc.property(fc.nat({ max: block.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const bad = block.slice();
        bad[at]! ^= flip;
        const room = new Uint8Array(input.length + 8);
        expect(run(lz4DecompressBlock, bad, room, 0, room.length)).toEqual(
          run(lz4DecompressBlockBytewise, bad, room, 0, room.length),
        );
      }),
      { numRuns: 500 },
    );
  });
});
