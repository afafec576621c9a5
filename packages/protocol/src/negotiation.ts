import { RunnelError } from '@runnel/codec';
import type { ApiDefinition } from './api.js';
import { ErrorCode } from './errors.js';
import { ApiVersions, type ApiVersionsResponse, apis } from './generated/index.js';

/** An inclusive range of versions of one API. */
export interface VersionRange {
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** No version of an API is spoken by both sides. */
export class UnsupportedVersionError extends RunnelError {
  readonly apiKey: number;
  readonly apiName: string;
  /** The broker's range, or null when the broker does not offer the API at all. */
  readonly brokerVersions: VersionRange | null;
  readonly clientVersions: VersionRange | null;
  /** Never: another broker of the same cluster answers alike. */
  readonly retriable = false;

  constructor(apiKey: number, apiName: string, broker: VersionRange | null, client: VersionRange | null) {
    const show = (r: VersionRange | null): string =>
      r === null ? 'none' : `${r.minVersion}-${r.maxVersion}`;
    super(
      'ERR_UNSUPPORTED_VERSION',
      `no common version of ${apiName} (key ${apiKey}): broker supports ${show(broker)}, client supports ${show(client)}`,
    );
    this.apiKey = apiKey;
    this.apiName = apiName;
    this.brokerVersions = broker;
    this.clientVersions = client;
  }
}

/** @returns the versions the broker announced in its ApiVersions response, by API key. */
export function brokerVersionRanges(response: ApiVersionsResponse): Map<number, VersionRange> {
  const out = new Map<number, VersionRange>();
  for (const k of response.apiKeys) out.set(k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion });
  return out;
}

/**
 * @returns the versions this package can speak, by API key: each API's valid range, without the
 *   latest version where Kafka marks it unstable (Kafka's own clients do not offer those either).
 */
export function clientVersionRanges(): Map<number, VersionRange> {
  const out = new Map<number, VersionRange>();
  for (const api of apis.values()) {
    const max = api.latestVersionUnstable ? api.maxVersion - 1 : api.maxVersion;
    if (max >= api.minVersion) out.set(api.apiKey, { minVersion: api.minVersion, maxVersion: max });
  }
  return out;
}

function nameOf(apiKey: number): string {
  return apis.get(apiKey)?.name ?? `ApiKey${apiKey}`;
}

/**
 * Picks the version to use for one API: the highest version both sides support.
 * @param client the client's ranges (default: `clientVersionRanges()`).
 * @returns the version.
 * @throws UnsupportedVersionError naming the API when the ranges do not overlap or either side lacks it.
 */
export function negotiateVersion(
  api: number | Pick<ApiDefinition<unknown, unknown>, 'apiKey'>,
  broker: ReadonlyMap<number, VersionRange>,
  client: ReadonlyMap<number, VersionRange> = clientVersionRanges(),
): number {
  const apiKey = typeof api === 'number' ? api : api.apiKey;
  const b = broker.get(apiKey) ?? null;
  const c = client.get(apiKey) ?? null;
  if (b === null || c === null) throw new UnsupportedVersionError(apiKey, nameOf(apiKey), b, c);
  const max = Math.min(b.maxVersion, c.maxVersion);
  if (max < Math.max(b.minVersion, c.minVersion))
    throw new UnsupportedVersionError(apiKey, nameOf(apiKey), b, c);
  return max;
}

/**
 * Picks the version of every API both sides speak; APIs without a common version are left out (use
 * `negotiateVersion` to get the error naming one).
 * @returns API key -> version.
 */
export function negotiateVersions(
  broker: ReadonlyMap<number, VersionRange>,
  client: ReadonlyMap<number, VersionRange> = clientVersionRanges(),
): Map<number, number> {
  const out = new Map<number, number>();
  for (const [apiKey, c] of client) {
    const b = broker.get(apiKey);
    if (b === undefined) continue;
    const max = Math.min(b.maxVersion, c.maxVersion);
    if (max >= Math.max(b.minVersion, c.minVersion)) out.set(apiKey, max);
  }
  return out;
}

/**
 * The ApiVersions fallback. A broker that does not know the ApiVersions version a client sent answers
 * UNSUPPORTED_VERSION with a version 0 body that lists, where it can, its own ApiVersions range.
 * @param response the decoded ApiVersions response (see `decodeResponse`, which already falls back to
 *   decoding at version 0).
 * @param attemptedVersion the ApiVersions version that was sent.
 * @returns null when the response is not that error (use it as it is); otherwise the version to retry
 *   with: the highest the broker lists below `attemptedVersion` that the client speaks, or 0 when the
 *   broker lists none.
 */
export function apiVersionsRetryVersion(
  response: ApiVersionsResponse,
  attemptedVersion: number,
): number | null {
  if (response.errorCode !== ErrorCode.UNSUPPORTED_VERSION) return null;
  const own = response.apiKeys.find((k) => k.apiKey === ApiVersions.apiKey);
  const clientMax = Math.min(attemptedVersion - 1, ApiVersions.maxVersion);
  if (own === undefined) return 0;
  const v = Math.min(own.maxVersion, clientMax);
  return v >= Math.max(own.minVersion, ApiVersions.minVersion) ? v : 0;
}
