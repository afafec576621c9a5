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
export type RequestTarget =
  | { readonly kind: 'coordinator'; readonly node: BrokerNode }
  | { readonly kind: 'any' };

/** Request and response bodies by API name. */
export interface GroupApis {
  FindCoordinator: { request: FindCoordinatorRequest; response: FindCoordinatorResponse };
  JoinGroup: { request: JoinGroupRequest; response: JoinGroupResponse };
  SyncGroup: { request: SyncGroupRequest; response: SyncGroupResponse };
  Heartbeat: { request: HeartbeatRequest; response: HeartbeatResponse };
  LeaveGroup: { request: LeaveGroupRequest; response: LeaveGroupResponse };
  Metadata: { request: MetadataRequest; response: MetadataResponse };
}

/** The name of an API the group member sends. */
export type GroupApiName = keyof GroupApis;

/** Kafka's API keys of the APIs the group member sends. */
export const API_KEYS: { readonly [A in GroupApiName]: number } = {
  Metadata: 3,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
};

/**
 * One request the member wants sent. The body carries the fields of every version in the range, so the
 * driver encodes it at the highest version both it and the broker support within
 * [`minVersion`, `maxVersion`], sends it to `target`, and hands the decoded response (or the error that
 * stopped it) back through `onResponse` together with this same object.
 */
export interface GroupRequestOf<A extends GroupApiName> {
  /** Unique per member; tells a current response from one the member no longer waits for. */
  readonly id: number;
  readonly api: A;
  readonly apiKey: number;
  /** The lowest version with the semantics this request relies on (e.g. JoinGroup v5 for group.instance.id). */
  readonly minVersion: number;
  /** The highest version whose fields this code fills and reads. */
  readonly maxVersion: number;
  readonly target: RequestTarget;
  /** How long the driver should wait for the response (JoinGroup waits up to the rebalance timeout). */
  readonly timeoutMs: number;
  /** The body at `maxVersion`, for reading; encode `bodyAt(version)`. */
  readonly body: GroupApis[A]['request'];
  /**
   * @returns the body to encode at `version` (a version in [`minVersion`, `maxVersion`]): the fields
   * of APIs whose layout changed between versions (FindCoordinator's `key` / `coordinatorKeys`,
   * LeaveGroup's `memberId` / `members`) are set only where that version has them. Never throws.
   */
  bodyAt(version: number): GroupApis[A]['request'];
}

/** Any request the member emits. */
export type GroupRequest = { [A in GroupApiName]: GroupRequestOf<A> }[GroupApiName];

/** The decoded response body matching a request. */
export type GroupResponseFor<R extends GroupRequest> = GroupApis[R['api']]['response'];
