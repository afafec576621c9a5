import { inflateRawSync } from 'node:zlib';
import { GeneratorError } from './errors.js';

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;

/**
 * Reads the entries of a zip archive (a jar) whose names pass `wanted`, without any external tool.
 * Supports the two methods jars use: stored and deflated; no zip64 (jars of this size never need it).
 *
 * @returns a map from entry name to its uncompressed bytes.
 * @throws GeneratorError when the archive is malformed or uses an unsupported method.
 */
export function readZipEntries(zip: Uint8Array, wanted: (name: string) => boolean): Map<string, Uint8Array> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  // The end-of-central-directory record is in the last 22 + 65535 bytes (its comment is at most 64 KiB).
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD_SIGNATURE) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new GeneratorError('not a zip archive: no end-of-central-directory record');
  const count = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  const decoder = new TextDecoder();
  const out = new Map<string, Uint8Array>();
  for (let n = 0; n < count; n++) {
    if (p + 46 > zip.length || view.getUint32(p, true) !== CENTRAL_SIGNATURE) {
      throw new GeneratorError(`malformed zip: bad central directory entry at ${p}`);
    }
    const method = view.getUint16(p + 10, true);
    const compressedSize = view.getUint32(p + 20, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    const localOffset = view.getUint32(p + 42, true);
    const name = decoder.decode(zip.subarray(p + 46, p + 46 + nameLength));
    p += 46 + nameLength + extraLength + commentLength;
    if (!wanted(name)) continue;
    if (view.getUint32(localOffset, true) !== LOCAL_SIGNATURE) {
      throw new GeneratorError(`malformed zip: bad local header for ${name}`);
    }
    const dataStart =
      localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    if (method === 0) out.set(name, data);
    else if (method === 8) out.set(name, new Uint8Array(inflateRawSync(data)));
    else throw new GeneratorError(`unsupported zip method ${method} for ${name}`);
  }
  return out;
}
