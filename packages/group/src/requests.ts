/**
 * The requests the group members emit. Both members use one request shape, `MemberRequestOf`, generic
 * over the map of APIs a member sends: the classic member sends `GroupApis`, the KIP-848 member
 * `ConsumerProtocolApis`, and a driver that runs either one handles `MemberRequest` (any request of
 * `MemberApis`, which holds both sets).
 */
import {
  type ApiDefinition,
  ConsumerGroupDescribe,
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponse,
  ConsumerGroupHeartbeat,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
  FindCoordinator,
  Heartbeat,
  JoinGroup,
  LeaveGroup,
  Metadata,
  ShareGroupHeartbeat,
  type ShareGroupHeartbeatRequest,
  type ShareGroupHeartbeatResponse,
  SyncGroup,
} from '@runnel/protocol';
import type {
  FindCoordinatorRequest,
  FindCoordinatorResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupRequest,
  LeaveGroupResponse,
  MetadataRequest,
  MetadataResponse,
  SyncGroupRequest,
  SyncGroupResponse,
} from './messages.js';

/** A broker as FindCoordinator reports it. */
export interface BrokerNode {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

/**
 * Where a request must go: the group coordinator the member currently knows (the driver connects to
 * `node`), or any broker of the cluster (the driver picks one, e.g. the least loaded).
 */
export type MemberRequestTarget =
  | { readonly kind: 'coordinator'; readonly node: BrokerNode }
  /** Any broker, preferably not `avoid` (a coordinator in doubt, asked where the group is now). */
  | { readonly kind: 'any'; readonly avoid?: number };

/** The request and response bodies of one API. */
export interface ApiBodies {
  readonly request: unknown;
  readonly response: unknown;
}

/** A map from API name to its bodies, such as `GroupApis`; the constraint of the generic request types. */
export type ApiMap<Apis> = { readonly [A in keyof Apis]: ApiBodies };

/** Request and response bodies by API name, for the APIs of the classic group protocol. */
export interface GroupApis {
  FindCoordinator: { request: FindCoordinatorRequest; response: FindCoordinatorResponse };
  JoinGroup: { request: JoinGroupRequest; response: JoinGroupResponse };
  SyncGroup: { request: SyncGroupRequest; response: SyncGroupResponse };
  Heartbeat: { request: HeartbeatRequest; response: HeartbeatResponse };
  LeaveGroup: { request: LeaveGroupRequest; response: LeaveGroupResponse };
  Metadata: { request: MetadataRequest; response: MetadataResponse };
}

/** Request and response bodies by API name, for the APIs of the consumer group protocol (KIP-848). */
export interface ConsumerProtocolApis {
  FindCoordinator: GroupApis['FindCoordinator'];
  ConsumerGroupHeartbeat: {
    request: ConsumerGroupHeartbeatRequest;
    response: ConsumerGroupHeartbeatResponse;
  };
  ConsumerGroupDescribe: { request: ConsumerGroupDescribeRequest; response: ConsumerGroupDescribeResponse };
}

/** Request and response bodies by API name, for the APIs of a share group member (KIP-932). */
export interface ShareGroupApis {
  FindCoordinator: GroupApis['FindCoordinator'];
  ShareGroupHeartbeat: { request: ShareGroupHeartbeatRequest; response: ShareGroupHeartbeatResponse };
}

/** Every API a group member of any protocol sends. */
export interface MemberApis extends GroupApis, ConsumerProtocolApis, ShareGroupApis {}

/** The name of an API any group member sends. */
export type MemberApiName = keyof MemberApis;

/**
 * @runnel/protocol's definition (API key, version range, codecs) of every API any group member
 * sends, by name: what a driver encodes a member's request and decodes its response with.
 */
export const MEMBER_API_DEFINITIONS: {
  readonly [A in MemberApiName]: ApiDefinition<MemberApis[A]['request'], MemberApis[A]['response']>;
} = {
  FindCoordinator,
  JoinGroup,
  SyncGroup,
  Heartbeat,
  LeaveGroup,
  Metadata,
  ConsumerGroupHeartbeat,
  ConsumerGroupDescribe,
  ShareGroupHeartbeat,
};

/** Kafka's API keys of every API any group member sends. */
export const MEMBER_API_KEYS: { readonly [A in MemberApiName]: number } = {
  Metadata: Metadata.apiKey,
  FindCoordinator: FindCoordinator.apiKey,
  JoinGroup: JoinGroup.apiKey,
  Heartbeat: Heartbeat.apiKey,
  LeaveGroup: LeaveGroup.apiKey,
  SyncGroup: SyncGroup.apiKey,
  ConsumerGroupHeartbeat: ConsumerGroupHeartbeat.apiKey,
  ConsumerGroupDescribe: ConsumerGroupDescribe.apiKey,
  ShareGroupHeartbeat: ShareGroupHeartbeat.apiKey,
};

/**
 * One request a member wants sent, of the API named `A` whose request body is `Body`. The body carries
 * the fields of every version in the range, so the driver encodes `bodyAt(version)` at the highest
 * version both it and the broker support within [`minVersion`, `maxVersion`], sends it to `target`, and
 * hands the decoded response (or the Error that stopped it, e.g. `UnsupportedVersionError` when no
 * version fits) back through `onResponse` together with this same object.
 */
export interface RequestShape<A extends string, Body> {
  /** Unique per member; tells a current response from one the member no longer waits for. */
  readonly id: number;
  readonly api: A;
  readonly apiKey: number;
  /**
   * The lowest version with the semantics this request relies on (e.g. JoinGroup v5 for
   * group.instance.id, ConsumerGroupHeartbeat v1 for `subscribedTopicRegex`).
   */
  readonly minVersion: number;
  /** The highest version whose fields this code fills and reads. */
  readonly maxVersion: number;
  readonly target: MemberRequestTarget;
  /** How long the driver should wait for the response (JoinGroup waits up to the rebalance timeout). */
  readonly timeoutMs: number;
  /**
   * Set on a Metadata request that the driver may answer from the metadata it already holds, when that
   * was fetched less than this many ms ago and describes every topic asked for (Java's leader assigns
   * from its cached metadata the same way). Absent: the request must go to a broker.
   */
  readonly metadataMaxAgeMs?: number;
  /** The body at `maxVersion`, for reading; encode `bodyAt(version)`. */
  readonly body: Body;
  /**
   * @returns the body to encode at `version` (a version in [`minVersion`, `maxVersion`]): the fields
   * of APIs whose layout changed between versions (FindCoordinator's `key` / `coordinatorKeys`,
   * LeaveGroup's `memberId` / `members`) are set only where that version has them. Never throws.
   */
  bodyAt(version: number): Body;
}

/**
 * One request of the API `A` of the map `Apis`. It depends only on the API's name and bodies, so a
 * request of an API two maps share (FindCoordinator) is the same type in both.
 */
export type MemberRequestOf<Apis extends ApiMap<Apis>, A extends keyof Apis & string> = RequestShape<
  A,
  Apis[A]['request']
>;

/** Any request of the APIs in `Apis`; by default any request either member emits. */
export type MemberRequest<Apis extends ApiMap<Apis> = MemberApis> = {
  [A in keyof Apis & string]: MemberRequestOf<Apis, A>;
}[keyof Apis & string];

/** The decoded response body matching a request of `Apis`. */
export type MemberResponseFor<
  R extends MemberRequest<Apis>,
  Apis extends ApiMap<Apis> = MemberApis,
> = Apis[R['api']]['response'];

/** What a member's request builder takes; `bodyAt` defaults to the same body at every version. */
export interface RequestInit<A extends MemberApiName> {
  readonly id: number;
  readonly api: A;
  readonly versions: readonly [number, number];
  readonly target: MemberRequestTarget;
  readonly timeoutMs: number;
  readonly metadataMaxAgeMs?: number;
  readonly body: MemberApis[A]['request'];
  readonly bodyAt?: (version: number) => MemberApis[A]['request'];
}

/** @returns the request `init` describes, with Kafka's API key filled in. Never throws. */
export function memberRequest<A extends MemberApiName>(init: RequestInit<A>): MemberRequestOf<MemberApis, A> {
  const { body } = init;
  return {
    id: init.id,
    api: init.api,
    apiKey: MEMBER_API_KEYS[init.api],
    minVersion: init.versions[0],
    maxVersion: init.versions[1],
    target: init.target,
    timeoutMs: init.timeoutMs,
    ...(init.metadataMaxAgeMs === undefined ? {} : { metadataMaxAgeMs: init.metadataMaxAgeMs }),
    body,
    bodyAt: init.bodyAt ?? (() => body),
  };
}

// The classic member's names for these types, kept for the consumer and other callers.

/** The name of an API the classic group member sends. */
export type GroupApiName = keyof GroupApis;

/** One request the classic member emits. */
export type GroupRequestOf<A extends GroupApiName> = MemberRequestOf<GroupApis, A>;

/** Any request the classic member emits. */
export type GroupRequest = MemberRequest<GroupApis>;

/** The decoded response body matching a classic member's request. */
export type GroupResponseFor<R extends GroupRequest> = MemberResponseFor<R, GroupApis>;

// The KIP-848 member's names for these types.

/** The name of an API a consumer-protocol member sends. */
export type ConsumerProtocolApiName = keyof ConsumerProtocolApis;

/** One request a consumer-protocol member emits. */
export type ConsumerProtocolRequestOf<A extends ConsumerProtocolApiName> = MemberRequestOf<
  ConsumerProtocolApis,
  A
>;

/** Any request a consumer-protocol member emits. */
export type ConsumerProtocolRequest = MemberRequest<ConsumerProtocolApis>;

/** The decoded response body matching a consumer-protocol member's request. */
export type ConsumerProtocolResponseFor<R extends ConsumerProtocolRequest> = MemberResponseFor<
  R,
  ConsumerProtocolApis
>;

// The share group member's names for these types.

/** One request a share group member emits. */
export type ShareGroupRequestOf<A extends keyof ShareGroupApis> = MemberRequestOf<ShareGroupApis, A>;

/** Any request a share group member emits. */
export type ShareGroupRequest = MemberRequest<ShareGroupApis>;

/** The decoded response body matching a share group member's request. */
export type ShareGroupResponseFor<R extends ShareGroupRequest> = MemberResponseFor<R, ShareGroupApis>;
