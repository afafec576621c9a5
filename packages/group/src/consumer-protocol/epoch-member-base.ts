/**
 * The public shell the members of the broker-assigned protocols (KIP-848's and KIP-932's) extend: what
 * both answer alike from their `AbstractMembership`, on top of what every member answers.
 */
import { GroupMemberBase } from '../core/member-base.js';
import type { ApiMap } from '../requests.js';
import type { AbstractMembership, EpochMemberState } from './abstract-membership.js';

/** The public shell of a broker-assigned member over its membership. */
export abstract class EpochMemberBase<
  S extends EpochMemberState,
  Apis extends ApiMap<Apis>,
  // biome-ignore lint/suspicious/noExplicitAny: the shell does not read the protocol's in-flight notes.
  Core extends AbstractMembership<S, Apis, any>,
> extends GroupMemberBase<S, Apis, Core> {
  /** The coordinator names assigned topics by id: the driver supplies names through `onMetadata`. */
  readonly assignsByTopicId = true;

  /** @returns the member id (kept for the life of the member, also across fencing). */
  get memberId(): string {
    return this.core.memberId;
  }

  /** @returns the member epoch: 0 while joining, then what the coordinator last said. */
  get memberEpoch(): number {
    return this.core.memberEpoch;
  }

  /** @returns the topic ids of the target assignment that metadata has not named yet, sorted. */
  get unresolvedTopicIds(): readonly string[] {
    return this.core.unresolved;
  }
}
