/**
 * The share consumer's requests to each broker: one at a time per broker, in that broker's share
 * session (its epoch, the partitions it holds), with a backoff after a failure. A ShareFetch carries
 * the acknowledgements of the partitions it names; a ShareAcknowledge carries the broker's others, or
 * closes the session (final epoch). What a failure means for the acknowledgements on the way: a lost
 * session sends them again (the records are still this member's); another error reports them failed,
 * or retries them when the broker's state is unknown (a dropped connection).
 */
import {
  AuthenticationError,
  type Clock,
  type ClusterClient,
  failure,
  type RateLimitedLog,
} from '@runnel/network';
import {
  ErrorCode,
  KafkaProtocolError,
  ShareAcknowledge,
  ShareFetch,
  type ShareFetchResponse,
} from '@runnel/protocol';
import type { ClientContext } from '../context.js';
import type { ClientEventMap, ConsumerEvents } from '../events.js';
import type { AcknowledgementLedger } from './acknowledgement-ledger.js';
import type { ResolvedShareConfig } from './share-config.js';
import type { ShareFetchBuffer } from './share-fetch-buffer.js';
import { readShareAcknowledge, shareAcknowledgeBody, shareFetchBody } from './share-requests.js';
import { FINAL_EPOCH, type SessionPartition, ShareSession } from './share-session.js';

const SESSION_ERRORS = new Set<number>([
  ErrorCode.SHARE_SESSION_NOT_FOUND,
  ErrorCode.INVALID_SHARE_SESSION_EPOCH,
]);

/** What the requests need of the fetcher that sends them. */
export interface ShareBrokersHost {
  readonly ledger: AcknowledgementLedger;
  readonly warnings: RateLimitedLog;
  /** Counters of `health()`. */
  readonly counts: { fetchesSent: number; fetchErrors: number };
  /** @returns the leader of a partition now, or null while unknown. */
  leaderOf(partition: SessionPartition): number | null;
  /** Counts the room a ShareFetch may take against the memory bound while it is in flight. */
  readonly buffer: Pick<ShareFetchBuffer, 'reserve' | 'unreserve'>;
  /** A ShareFetch to `nodeId`, sent at `sentAt` (wall clock), was answered without a top-level error. */
  fetched(nodeId: number, response: ShareFetchResponse, sentAt: number): void;
  /** Credentials were refused: nothing is sent any more. */
  stopped(error: AuthenticationError): void;
  refreshMetadata(): void;
  isClosed(): boolean;
  /** A request ended: the loop may send the next one. */
  wake(): void;
}

export class ShareBrokers {
  private readonly sessions = new Map<number, ShareSession>();
  private readonly inFlight = new Set<number>();
  private readonly retryAt = new Map<number, number>();
  private readonly client: ClusterClient;
  private readonly config: ResolvedShareConfig;
  private readonly clock: Clock;
  private readonly events: ConsumerEvents<ClientEventMap>;

  /** @param memberId the share member's id, in every request */
  constructor(
    context: ClientContext<ResolvedShareConfig>,
    private readonly memberId: string,
    private readonly host: ShareBrokersHost,
  ) {
    this.client = context.client;
    this.config = context.config;
    this.clock = context.clock;
    this.events = context.events;
  }

  /** @returns the requests in flight (one per broker at most). */
  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  /** @returns whether a request to `nodeId` is in flight. */
  busy(nodeId: number): boolean {
    return this.inFlight.has(nodeId);
  }

  /** @returns when (clock time) `nodeId` may be sent to again after a failure; 0 when at once. */
  retryTime(nodeId: number): number {
    return this.retryAt.get(nodeId) ?? 0;
  }

  /** @returns the share session with `nodeId` (a new one, not open, the first time). */
  session(nodeId: number): ShareSession {
    let session = this.sessions.get(nodeId);
    if (session === undefined) {
      session = new ShareSession();
      this.sessions.set(nodeId, session);
    }
    return session;
  }

  /**
   * Closes every open session not busy now with a ShareAcknowledge at the final epoch, carrying the
   * acknowledgements left; the broker releases what this member still holds there.
   * @returns the requests' ends (they never reject).
   */
  closeSessions(): Promise<void>[] {
    const closing: Promise<void>[] = [];
    for (const [nodeId, session] of this.sessions) {
      if (session.open && !this.inFlight.has(nodeId)) closing.push(this.acknowledge(nodeId, FINAL_EPOCH));
    }
    return closing;
  }

  /** Sends a ShareFetch of `wanted` to `nodeId` for up to `maxBytes`, with their acknowledgements. */
  fetch(nodeId: number, wanted: readonly SessionPartition[], maxBytes: number): void {
    const { config, host } = this;
    const session = this.session(nodeId);
    const plan = session.fetchPlan(wanted);
    const fetching = new Set(wanted.map((p) => p.key));
    // Acknowledgements may not open a session, and ride only with partitions this fetch names.
    const acks = host.ledger.send(
      nodeId,
      (ref) => session.open && fetching.has(ref.key) && host.leaderOf(ref) === nodeId,
    );
    const sizes = {
      maxWaitMs: config.fetchMaxWaitMs,
      minBytes: config.fetchMinBytes,
      maxBytes,
      maxRecords: config.maxPollRecords,
    };
    const member = { groupId: config.groupId, memberId: this.memberId };
    this.inFlight.add(nodeId);
    host.buffer.reserve(maxBytes);
    host.counts.fetchesSent++;
    const sentAt = this.clock.wallClockMs();
    this.client
      .send({
        target: { kind: 'broker', nodeId },
        api: ShareFetch,
        purpose: 'fetch',
        retry: false,
        timeoutMs: config.fetchMaxWaitMs + config.requestTimeoutMs,
        message: shareFetchBody(member, plan.epoch, sizes, plan.listed, plan.forgotten, acks),
      })
      .then(
        (response) => {
          host.buffer.unreserve(maxBytes);
          if (!this.answered(nodeId, session, response.errorCode, false)) return;
          session.fetched(plan);
          host.warnings.reset(`share ${nodeId}`);
          host.fetched(nodeId, response, sentAt);
        },
        (error: unknown) => {
          host.buffer.unreserve(maxBytes);
          this.onFailure(nodeId, session, error, false);
        },
      )
      .finally(() => this.ended(nodeId));
  }

  /**
   * Sends the acknowledgements waiting for `nodeId`'s partitions in a ShareAcknowledge at `epoch` (the
   * session's, or FINAL_EPOCH to close it).
   * @returns once answered or failed; it never rejects.
   */
  acknowledge(nodeId: number, epoch = this.session(nodeId).epoch): Promise<void> {
    const { host } = this;
    const session = this.session(nodeId);
    const acks = host.ledger.send(nodeId, (ref) => host.leaderOf(ref) === nodeId);
    const final = epoch === FINAL_EPOCH;
    const member = { groupId: this.config.groupId, memberId: this.memberId };
    this.inFlight.add(nodeId);
    return this.client
      .send({
        target: { kind: 'broker', nodeId },
        api: ShareAcknowledge,
        purpose: 'fetch',
        retry: false,
        timeoutMs: this.config.requestTimeoutMs,
        message: shareAcknowledgeBody(member, epoch, acks),
      })
      .then(
        (response) => {
          if (!this.answered(nodeId, session, response.errorCode, final)) return;
          if (final) session.reset();
          else session.acknowledged();
          const answers = readShareAcknowledge(response, (id) => this.client.metadata.topicName(id));
          host.ledger.answered(host.ledger.arrived(nodeId), (key) => answers.get(key));
        },
        (error: unknown) => this.onFailure(nodeId, session, error, final),
      )
      .finally(() => this.ended(nodeId));
  }

  private ended(nodeId: number): void {
    this.inFlight.delete(nodeId);
    this.host.wake();
  }

  /**
   * Handles the top-level error code of an answer from `nodeId`.
   * @returns whether the answer is usable (no error).
   */
  private answered(nodeId: number, session: ShareSession, errorCode: number, final: boolean): boolean {
    if (errorCode === ErrorCode.NONE) return true;
    const { host } = this;
    session.reset();
    host.counts.fetchErrors++;
    const error = new KafkaProtocolError(errorCode, `share request to broker ${nodeId}`);
    this.events.emit('fetchError', { nodeId, error });
    host.warnings.warn(
      `share ${nodeId}`,
      { ...failure('share_request_failed', error), nodeId },
      'share request failed',
    );
    const acks = host.ledger.arrived(nodeId);
    if (SESSION_ERRORS.has(errorCode) && !final) {
      // The session is gone, but the records are still acquired by this member: send them again.
      host.ledger.retry(acks);
    } else {
      host.ledger.fail(acks, error);
      this.retryAt.set(nodeId, this.clock.now() + this.config.retryBackoffMs);
    }
    return false;
  }

  private onFailure(nodeId: number, session: ShareSession, error: unknown, final: boolean): void {
    const { host } = this;
    session.reset();
    const acks = host.ledger.arrived(nodeId);
    if (host.isClosed()) return;
    if (error instanceof AuthenticationError) {
      host.ledger.fail(acks, error);
      host.stopped(error);
      return;
    }
    host.counts.fetchErrors++;
    this.events.emit('fetchError', { nodeId, error: error as Error });
    host.warnings.warn(
      `share ${nodeId}`,
      { ...failure('share_request_failed', error), nodeId },
      'share request failed',
    );
    // The broker's epoch is unknown now; the acknowledgements are retried until their lock runs out
    // (a broker that saw the connection drop may have released the records: it then says so).
    if (final) host.ledger.fail(acks, error as Error);
    else host.ledger.retry(acks);
    this.retryAt.set(nodeId, this.clock.now() + this.config.retryBackoffMs);
    this.client.requestMetadataUpdate();
    host.refreshMetadata();
  }
}
