/** Control records: the transaction markers (and KRaft records) a control batch holds. */
import { DecodeError } from '../errors.js';
import { Reader } from '../reader.js';
import type { KafkaRecord } from './types.js';

/** The type in a control record's key (Kafka's `ControlRecordType`). */
export const ControlRecordType = {
  abort: 0,
  commit: 1,
  leaderChange: 2,
  snapshotHeader: 3,
  snapshotFooter: 4,
} as const;

/** A decoded control record key, and for transaction markers the coordinator epoch of the value. */
export interface ControlRecord {
  /** The key's version (0 today). */
  version: number;
  /** One of {@link ControlRecordType}, or another id from a newer broker. */
  type: number;
  /** For abort and commit markers: the epoch of the coordinator that wrote it; -1 otherwise. */
  coordinatorEpoch: number;
}

/**
 * Decodes the key (and, for an abort or commit marker, the value) of a record from a control batch.
 * @returns its version, type and coordinator epoch.
 * @throws DecodeError when the key is null or shorter than 4 bytes, or a marker's value is malformed.
 */
export function decodeControlRecord(record: KafkaRecord): ControlRecord {
  const key = record.key;
  if (key === null || key.length < 4)
    throw new DecodeError('control record key must hold a version and a type');
  const k = new Reader(key);
  const version = k.readInt16();
  const type = k.readInt16();
  let coordinatorEpoch = -1;
  if (type === ControlRecordType.abort || type === ControlRecordType.commit) {
    const value = record.value;
    if (value === null || value.length < 6) {
      throw new DecodeError('transaction marker value must hold a version and a coordinator epoch');
    }
    const v = new Reader(value);
    v.readInt16();
    coordinatorEpoch = v.readInt32();
  }
  return { version, type, coordinatorEpoch };
}
