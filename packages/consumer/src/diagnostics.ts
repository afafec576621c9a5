/**
 * The consumer's diagnostics_channel TracingChannels, the hooks APM agents and the OpenTelemetry
 * integration subscribe to (names and payloads are listed in the package README). Every traced call
 * checks `hasSubscribers` first: with nobody subscribed the call runs as is, and no payload object is
 * built.
 */
import * as diagnostics from 'node:diagnostics_channel';
import { isTraced } from '@runnel/network';
import type { ConsumerBatch, ConsumerRecord, TopicPartition } from './batch.js';
import type { RebalanceKind } from './events.js';
import type { OffsetToCommit } from './offset-requests.js';
import type { AcknowledgementResult } from './share/acknowledgement-ledger.js';
import type { ShareBatch, ShareRecord } from './share/share-records.js';

// The consumer's channels ask the same question as network's request channel (Bun included).
export { isTraced };

/**
 * Which consumer a message is about: one object per consumer (compare by reference to tell consumers
 * apart), with its `clientId` and `groupId` (null without a group).
 */
export interface ConsumerIdentity {
  readonly clientId: string;
  readonly groupId: string | null;
}

/** What every message of the consumer's channels carries. */
export interface ConsumerMessage {
  readonly consumer: ConsumerIdentity;
}

/**
 * `runnel:consumer:process`: one `eachBatch` call, one `eachRecord` call (with `record`), or one batch
 * the iterator handed out, until the next one is asked for; of a Consumer or a ShareConsumer (whose
 * batches and records are ShareBatch and ShareRecord, with `deliveryCount`).
 */
export interface ProcessMessage extends ConsumerMessage {
  readonly kind: 'eachBatch' | 'eachRecord' | 'iterator';
  readonly batch: ConsumerBatch | ShareBatch;
  /** The record of an `eachRecord` call; absent for a batch. */
  readonly record?: ConsumerRecord | ShareRecord;
  /** Set by the channel when the handler threw. */
  error?: unknown;
}

/** `runnel:consumer:commit`: one OffsetCommit, retries included. */
export interface CommitMessage extends ConsumerMessage {
  readonly offsets: readonly OffsetToCommit[];
  error?: unknown;
}

/** `runnel:consumer:rebalance`: one assignment change handled, the RebalanceListener's call included. */
export interface RebalanceMessage extends ConsumerMessage {
  readonly kind: RebalanceKind;
  readonly partitions: readonly TopicPartition[];
  error?: unknown;
}

/**
 * `runnel:share:acknowledgement`: a share consumer's acknowledgements of one partition were answered
 * by its broker (`error` null) or failed; published once per partition answer (a plain channel: the
 * acknowledgements ride on requests of their own, which `runnel:request` traces).
 */
export interface AcknowledgementMessage extends ConsumerMessage, AcknowledgementResult {}

export const processChannel = diagnostics.tracingChannel<unknown, ProcessMessage>('runnel:consumer:process');
export const commitChannel = diagnostics.tracingChannel<unknown, CommitMessage>('runnel:consumer:commit');
export const rebalanceChannel = diagnostics.tracingChannel<unknown, RebalanceMessage>(
  'runnel:consumer:rebalance',
);

export const acknowledgementChannel = diagnostics.channel('runnel:share:acknowledgement');

/**
 * Runs a handler call within a process message's scope: the consumer's telemetry makes its process
 * span the active OpenTelemetry span there, so that spans the handler starts are its children.
 */
export type HandlerScope = <T>(message: ProcessMessage, call: () => T) => T;

/**
 * Runs one `eachBatch` call (`record` undefined) or `eachRecord` call inside `runnel:consumer:process`
 * and `scope`; with nobody subscribed, runs it as is and builds no message.
 * @returns what the handler returns (as a promise when traced). @throws what the handler throws.
 */
export function traceHandler(
  consumer: ConsumerIdentity,
  call: () => Promise<void> | void,
  batch: ProcessMessage['batch'],
  record: ConsumerRecord | ShareRecord | undefined,
  scope: HandlerScope | null,
): Promise<void> | void {
  if (!isTraced(processChannel)) return call();
  const message: ProcessMessage =
    record === undefined
      ? { consumer, kind: 'eachBatch', batch }
      : { consumer, kind: 'eachRecord', batch, record };
  return processChannel.tracePromise(async () => (scope ? scope(message, call) : call()), message);
}

/**
 * Marks the start of a batch the iterator handed out. Its end ({@link processEnded}) comes when the
 * user asks for the next one; nothing runs in between for the channel to wrap.
 */
export function processStarted(message: ProcessMessage): void {
  processChannel.start.publish(message);
}

/** Marks the end of an iterator batch: `end`, then `asyncStart` and `asyncEnd`, as a settled promise would. */
export function processEnded(message: ProcessMessage): void {
  processChannel.end.publish(message);
  processChannel.asyncStart.publish(message);
  processChannel.asyncEnd.publish(message);
}
