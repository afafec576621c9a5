/**
 * The requests a KIP-848 member emits. They have the same shape as the classic member's
 * `GroupRequestOf` (id, api, apiKey, version range, target, timeout, body, bodyAt), so one driver can
 * send both; only the set of APIs differs.
 */
import type {
  ConsumerGroupDescribeRequest,
  ConsumerGroupDescribeResponse,
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse,
} from '@runnel/protocol';
import type { GroupApis, RequestTarget } from './requests.js';

/** Request and response bodies by API name, for the APIs of the consumer group protocol. */
export interface ConsumerProtocolApis {
  FindCoordinator: GroupApis['FindCoordinator'];
  ConsumerGroupHeartbeat: {
    request: ConsumerGroupHeartbeatRequest;
    response: ConsumerGroupHeartbeatResponse;
  };
  ConsumerGroupDescribe: { request: ConsumerGroupDescribeRequest; response: ConsumerGroupDescribeResponse };
}

/** The name of an API a consumer-protocol member sends. */
export type ConsumerProtocolApiName = keyof ConsumerProtocolApis;

/** Kafka's API keys of those APIs. */
export const CONSUMER_PROTOCOL_API_KEYS: { readonly [A in ConsumerProtocolApiName]: number } = {
  FindCoordinator: 10,
  ConsumerGroupHeartbeat: 68,
  ConsumerGroupDescribe: 69,
};

/**
 * One request the member wants sent: encode `bodyAt(version)` at the highest version in
 * [`minVersion`, `maxVersion`] the broker supports, send it to `target`, and hand the decoded response
 * (or the Error that stopped it, e.g. `UnsupportedVersionError` when no version fits) to `onResponse`
 * together with this same object.
 */
export interface ConsumerProtocolRequestOf<A extends ConsumerProtocolApiName> {
  /** Unique per member; tells a current response from one the member no longer waits for. */
  readonly id: number;
  readonly api: A;
  readonly apiKey: number;
  /** The lowest version with the semantics this request relies on (v1 for `subscribedTopicRegex`). */
  readonly minVersion: number;
  /** The highest version whose fields this code fills and reads. */
  readonly maxVersion: number;
  readonly target: RequestTarget;
  /** How long the driver should wait for the response. */
  readonly timeoutMs: number;
  /** The body at `maxVersion`, for reading; encode `bodyAt(version)`. */
  readonly body: ConsumerProtocolApis[A]['request'];
  /** @returns the body to encode at `version`, with only the fields that version has. Never throws. */
  bodyAt(version: number): ConsumerProtocolApis[A]['request'];
}

/** Any request a consumer-protocol member emits. */
export type ConsumerProtocolRequest = {
  [A in ConsumerProtocolApiName]: ConsumerProtocolRequestOf<A>;
}[ConsumerProtocolApiName];

/** The decoded response body matching a request. */
export type ConsumerProtocolResponseFor<R extends ConsumerProtocolRequest> =
  ConsumerProtocolApis[R['api']]['response'];
