/**
 * The transactional copier's invariant (Kafka's transactions system test): what a read_committed
 * consumer reads from the output topic equals what was committed to the input topic, exactly once.
 */

/** One output record as the consumer delivered it (a `record_data` event). */
export interface DeliveredRecord {
  readonly partition: number;
  readonly offset: number;
  readonly value: string | null;
}

/** How the output compares with the input. */
export interface CopyReport {
  /** Input records (their values are unique). */
  readonly expected: number;
  /** Input values found in the output. */
  readonly copied: number;
  /** Output records beyond the first that carry the same input value (a copy made twice). */
  readonly duplicateCopies: number;
  /** Deliveries of an output record beyond its first (the consumer repeating itself). */
  readonly redeliveries: number;
  /** Input values missing from the output. */
  readonly missing: number;
  /** Output values that were never input (an aborted or foreign record read as committed). */
  readonly unexpected: number;
  /** A few missing and unexpected values, for the failure message. */
  readonly samples: { readonly missing: readonly string[]; readonly unexpected: readonly string[] };
  readonly verdict: 'PASS' | 'FAIL';
}

/**
 * Compares the input values with the delivered output records.
 *
 * @returns the report: PASS when every input value is in the output exactly once (at one offset) and
 *   nothing else is; redeliveries of the same offset are counted but judged by the delivery rules.
 */
export function checkCopy(input: Iterable<string>, delivered: Iterable<DeliveredRecord>): CopyReport {
  const expected = new Set(input);
  const offsetsByValue = new Map<string, Set<string>>();
  const seenOffsets = new Set<string>();
  let redeliveries = 0;
  const unexpected: string[] = [];
  for (const record of delivered) {
    const at = `${record.partition}@${record.offset}`;
    if (seenOffsets.has(at)) {
      redeliveries++;
      continue;
    }
    seenOffsets.add(at);
    const value = record.value ?? '';
    if (!expected.has(value)) {
      unexpected.push(value);
      continue;
    }
    let offsets = offsetsByValue.get(value);
    if (offsets === undefined) offsetsByValue.set(value, (offsets = new Set()));
    offsets.add(at);
  }
  let duplicateCopies = 0;
  for (const offsets of offsetsByValue.values()) duplicateCopies += offsets.size - 1;
  const missing = [...expected].filter((v) => !offsetsByValue.has(v));
  const pass = missing.length === 0 && unexpected.length === 0 && duplicateCopies === 0;
  return {
    expected: expected.size,
    copied: offsetsByValue.size,
    duplicateCopies,
    redeliveries,
    missing: missing.length,
    unexpected: unexpected.length,
    samples: { missing: missing.slice(0, 5), unexpected: unexpected.slice(0, 5) },
    verdict: pass ? 'PASS' : 'FAIL',
  };
}
