/**
 * The share group member's state (KIP-932) on top of what it shares with the KIP-848 member
 * (`AbstractMembership`: member id and epoch, the target assignment and its reconciliation, the
 * heartbeat timers, fencing and leaving): the subscription and what the heartbeats told the coordinator.
 * The heartbeat's body (`share-heartbeat.ts`) reads it; `ShareGroupMember` is the public face.
 *
 * Sub-state beside the state enum, and why: `sent` records what the heartbeats told the coordinator, so
 * that unchanged fields are left out, as Java leaves them out.
 */
import { AbstractMembership, type HeartbeatNotes } from '../consumer-protocol/abstract-membership.js';
import type { GroupMemberSettings } from '../core/member-config.js';
import type { GroupFatalError } from '../errors.js';
import type { BrokerNode, ShareGroupApis, ShareGroupRequest } from '../requests.js';
import {
  leaveHeartbeat,
  type SentShareFields,
  shareHeartbeat,
  unsentShareFields,
  unsupportedShareGroups,
} from './share-heartbeat.js';
import {
  SHARE_HEARTBEATING,
  SHARE_IN_GROUP,
  SHARE_MEMBER_STATES,
  type ShareMemberState,
} from './share-states.js';

/** The settings of a share member beyond those every member has. */
export interface ShareSettings extends GroupMemberSettings {
  /** The member id to use; by default a random one, as Java's share consumer makes it. */
  readonly memberId?: string;
}

/**
 * The share member's state; see the file comment. It has no timer of its own but the core's doubt
 * deadline: no max poll interval, its records time out on their acquisition locks.
 */
export class ShareMembership extends AbstractMembership<ShareMemberState, ShareGroupApis, HeartbeatNotes> {
  protected readonly heartbeatApi = 'ShareGroupHeartbeat';
  /** The subscribed topic names, sorted; null when not subscribed. */
  subscription: readonly string[] | null = null;
  sent: SentShareFields = unsentShareFields();

  constructor(settings: ShareSettings) {
    super(
      { states: SHARE_MEMBER_STATES, inGroup: SHARE_IN_GROUP, heartbeating: SHARE_HEARTBEATING },
      settings,
    );
  }

  resetSentFields(): void {
    this.sent = unsentShareFields();
  }

  protected clearSubscription(): void {
    this.subscription = null;
  }

  protected nextHeartbeat(coordinator: BrokerNode): ShareGroupRequest {
    return shareHeartbeat(this, coordinator);
  }

  protected unsupported(message: string | null, cause?: Error): GroupFatalError {
    return unsupportedShareGroups(this.settings.groupId, message, cause);
  }

  protected override needsCoordinator(): boolean {
    return SHARE_HEARTBEATING.has(this.state);
  }

  protected override leaveRequest(coordinator: BrokerNode): ShareGroupRequest {
    this.inFlight.forget('heartbeat');
    return leaveHeartbeat(this, coordinator);
  }
}
