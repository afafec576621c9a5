export { type ControlRecord, ControlRecordType, decodeControlRecord } from './control.js';
export { type DecodeRecordBatchesOptions, decodeRecordBatches } from './decode.js';
export {
  encodeEndTransactionMarker,
  encodeRecordBatch,
  type RecordBatchInput,
  type RecordInput,
} from './encode.js';
export { LegacyRecord, LegacyRecordBatch } from './legacy.js';
export {
  BatchAttributes,
  DefaultRecord,
  DefaultRecordBatch,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  type RecordBatchOptions,
  type RecordConstructor,
  type RecordFraming,
  V2 as RECORD_BATCH_V2_HEADER,
} from './record-batch.js';
export { type KafkaRecord, type RecordBatch, type RecordHeader, TimestampType } from './types.js';
