/**
 * The `heartbeat` and `joined` events, and the log lines of a membership in doubt, read off the group requests the driver sends and their answers:
 * the member itself stays sans-I/O and reports nothing about liveness, and the driver already sees
 * every answer. With nobody listening, this costs a map lookup per heartbeat and per assignment.
 */
import type { TopicPartition } from '@runnel/assignors';
import type { GroupMember } from '@runnel/group';
import type { Logger } from '@runnel/network';
import type { ClientEventMap, ConsumerEvents } from './events.js';

/** The APIs whose accepted answer is a heartbeat: classic, consumer protocol (KIP-848), share groups. */
const HEARTBEATS: ReadonlySet<string> = new Set([
  'Heartbeat',
  'ConsumerGroupHeartbeat',
  'ShareGroupHeartbeat',
]);

/** @returns whether `result` is a decoded answer whose top-level error code is NONE. */
function accepted(result: unknown): result is { errorCode: number } {
  return !(result instanceof Error) && (result as { errorCode?: number }).errorCode === 0;
}

export class MembershipEvents {
  /** When the current join round started (clock time), or null between rounds. */
  private roundStartedAt: number | null = null;
  /** The leader the last accepted JoinGroup named; null before one (and always under KIP-848). */
  private leaderId: string | null = null;
  /** Whether the membership was in doubt after the last answer (see `GroupMember.membershipInDoubt`). */
  private inDoubt = false;

  constructor(
    private readonly events: ConsumerEvents<ClientEventMap>,
    private readonly member: GroupMember,
    private readonly logger: Logger,
  ) {}

  /** Notes a request sent at `now`: the round's first JoinGroup starts the round. */
  sent(api: string, now: number): void {
    if (api === 'JoinGroup' && this.roundStartedAt === null) this.roundStartedAt = now;
  }

  /** Notes the answer (or Error) to a request sent at `sentAt`, once the member has taken it. */
  answered(api: string, result: unknown, sentAt: number): void {
    if (!accepted(result)) return;
    if (api === 'JoinGroup') {
      this.leaderId = (result as { leader?: string }).leader ?? null;
      return;
    }
    if (!HEARTBEATS.has(api)) return;
    // A consumer-protocol heartbeat that brings an assignment is that protocol's join round.
    if ((result as { assignment?: unknown }).assignment != null) this.roundStartedAt ??= sentAt;
    if (!this.events.has('heartbeat')) return;
    const { groupId, memberId, generationId } = this.member.generation();
    // The answer to a leave (epoch -1) is no heartbeat of a member in the group.
    if (generationId < 0 || memberId === '') return;
    this.events.emit('heartbeat', { groupId, memberId, generationId });
  }

  /**
   * Logs, after the member took the answer to `api` (or, without one, after a poll of its timers),
   * when its membership fell in doubt or was confirmed again.
   * @returns true when a doubt just cleared: deliveries held meanwhile may go on.
   */
  doubtCleared(api?: string): boolean {
    const inDoubt = this.member.membershipInDoubt;
    if (inDoubt === this.inDoubt) return false;
    this.inDoubt = inDoubt;
    if (inDoubt) {
      this.logger.info(
        // Without an answer, it was the time since the last accepted heartbeat.
        { event: 'membership_in_doubt', ...(api === undefined ? { reason: 'heartbeat_overdue' } : { api }) },
        'the coordinator has not confirmed the membership; deliveries wait until it does',
      );
      return false;
    }
    this.logger.info({ event: 'membership_confirmed' }, 'membership confirmed; deliveries go on');
    return true;
  }

  /** Reports a new generation's assignment, handed to the consumer at `now`, as `joined`. */
  assigned(assignment: readonly TopicPartition[], now: number): void {
    const startedAt = this.roundStartedAt ?? now;
    this.roundStartedAt = null;
    if (!this.events.has('joined')) return;
    const { groupId, memberId, generationId, protocolName } = this.member.generation();
    // Only the classic protocol has a leader: without a JoinGroup, leaderId stays null.
    const { leaderId } = this;
    const durationMs = Math.max(0, now - startedAt);
    this.events.emit('joined', {
      groupId,
      memberId,
      generationId,
      leaderId,
      protocolName,
      assignment,
      durationMs,
    });
  }
}
