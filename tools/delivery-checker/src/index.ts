export { AckedRecords, partitionKey } from './acked.js';
export {
  type CheckOptions,
  checkDelivery,
  type DeliveryReport,
  type MemberLife,
  type Violation,
} from './check.js';
export { type CopyReport, checkCopy, type DeliveredRecord } from './copy.js';
export {
  type CommittedOffset,
  type ConsumedRange,
  type ConsumerEvent,
  EventFormatError,
  type EventPartition,
  type ProducerEvent,
  parseConsumerEvent,
  parseProducerEvent,
} from './events.js';
export { formatReportLine, formatViolations } from './report.js';
export { RULES, type Rule } from './rules.js';
