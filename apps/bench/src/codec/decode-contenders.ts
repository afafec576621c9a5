/**
 * The record-batch decode contenders, each built in its own process by isolated.ts from a name and the
 * input's shape: Runnel read four ways, and the peers' own fetch-path decoders (peers.ts). Every one
 * reads offset, timestamp, key, value and each header of every record (Runnel's "offset + value" row
 * aside), and returns a sum over them so the work cannot be optimised away.
 */
import { decodeRecordBatches, setNativeCrc32c } from '@runnel/codec';
import { buildFetch, type FetchShape } from './fetch-shapes.js';
import { kafkaJsDecode, kafkaJsInput, platformaticDecode, platformaticInput } from './peers.js';

export const RUNNEL = 'runnel (all fields, CRC on)';
export const KAFKAJS = 'kafkajs 2.2.4 decodeMessages (no CRC check)';
export const PLATFORMATIC = '@platformatic/kafka 2.12.1 readRecordsBatches (no CRC check)';
const RUNNEL_OFFSET_VALUE = 'runnel (offset + value, CRC on)';
const RUNNEL_NO_CRC = 'runnel (all fields, CRC off)';
const RUNNEL_JS_CRC = 'runnel (all fields, CRC on, JS CRC only)';

/** Every contender, in the order of the report's columns. */
export const DECODE_CONTENDERS = [
  RUNNEL,
  RUNNEL_OFFSET_VALUE,
  RUNNEL_NO_CRC,
  RUNNEL_JS_CRC,
  KAFKAJS,
  PLATFORMATIC,
] as const;
export type DecodeContender = (typeof DECODE_CONTENDERS)[number];

function runnelAllFields(bytes: Uint8Array, verifyCrc: boolean): number {
  let seen = 0;
  for (const batch of decodeRecordBatches(bytes, { verifyCrc })) {
    for (const record of batch) {
      seen += record.offset + record.timestamp + (record.key?.length ?? 0) + (record.value?.length ?? 0);
      for (const header of record.headers) seen += header.key.length + (header.value?.length ?? 0);
    }
  }
  return seen;
}

function runnelOffsetAndValue(bytes: Uint8Array): number {
  let seen = 0;
  for (const batch of decodeRecordBatches(bytes)) {
    for (const record of batch) seen += record.offset + (record.value?.length ?? 0);
  }
  return seen;
}

/**
 * Builds one contender over about 1 MiB of records of the given shape (see fetch-shapes.ts).
 * @returns the function to time (one call decodes the whole input) and how many records it reads.
 */
export function decodeContender(
  name: DecodeContender,
  shape: FetchShape,
  recordSize: number,
  headers: number,
): () => unknown {
  const { bytes } = buildFetch(shape, recordSize, headers);
  switch (name) {
    // The optional native CRC32C is installed here, and @runnel/codec loads it after the first 4 MiB
    // checked, well inside the warm-up: as on a user's machine that has it.
    case RUNNEL:
      return () => runnelAllFields(bytes, true);
    case RUNNEL_OFFSET_VALUE:
      return () => runnelOffsetAndValue(bytes);
    case RUNNEL_NO_CRC:
      return () => runnelAllFields(bytes, false);
    case RUNNEL_JS_CRC:
      setNativeCrc32c(null);
      return () => runnelAllFields(bytes, true);
    case KAFKAJS: {
      const input = kafkaJsInput(bytes);
      return () => kafkaJsDecode(input);
    }
    case PLATFORMATIC: {
      const input = platformaticInput(bytes);
      return () => platformaticDecode(input);
    }
  }
}
