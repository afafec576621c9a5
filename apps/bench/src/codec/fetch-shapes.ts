/**
 * The bytes the codec benchmark decodes: 1 MiB of a partition's records, in the two shapes a fetch
 * brings them in: many batches of about 16 KiB (the Java producer's default `batch.size`), or one
 * big batch (a producer with a large `batch.size` and `linger.ms`, or a compacted segment).
 */
import { encodeRecordBatch, type RecordInput } from '@runnel/codec';

export type FetchShape = '16 KiB batches' | 'one batch';
export const FETCH_SHAPES: readonly FetchShape[] = ['16 KiB batches', 'one batch'];

const FETCH_SIZE = 1024 * 1024;

/** Random value bytes from a fixed seed, so every run decodes the same bytes. */
function randomBytes(seed: { s: number }, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed.s = (seed.s * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  return out;
}

/**
 * Builds about 1 MiB of records of `recordSize` value bytes, each with a key and `headers` headers.
 * @returns the bytes (a plain Uint8Array, as Runnel's Fetch decoder hands them on) and the record count.
 */
export function buildFetch(
  shape: FetchShape,
  recordSize: number,
  headers: number,
): { bytes: Uint8Array; records: number } {
  const perRecord = recordSize + 20 + headers * 12;
  const perBatch =
    shape === 'one batch' ? Math.floor(FETCH_SIZE / perRecord) : Math.max(1, Math.floor(16384 / perRecord));
  const seed = { s: 7 };
  const batches: Uint8Array[] = [];
  let total = 0;
  let offset = 0;
  while (total < FETCH_SIZE - (perRecord * perBatch) / 2) {
    const records: RecordInput[] = [];
    for (let i = 0; i < perBatch; i++) {
      records.push({
        key: new TextEncoder().encode(`key-${offset + i}`),
        value: randomBytes(seed, recordSize),
        timestamp: 1_700_000_000_000 + offset + i,
        headers: Array.from({ length: headers }, (_, h) => ({
          key: `header-${h}`,
          value: new TextEncoder().encode(`v${h}`),
        })),
      });
    }
    const batch = encodeRecordBatch({
      baseOffset: offset,
      records,
      producerId: 1000,
      producerEpoch: 0,
      baseSequence: offset,
    });
    batches.push(batch);
    total += batch.length;
    offset += perBatch;
  }
  return { bytes: new Uint8Array(Buffer.concat(batches)), records: offset };
}
