import { describe, expect, it } from 'vitest';
import {
  type ApiVersionsResponse,
  apiVersionsRetryVersion,
  brokerVersionRanges,
  clientVersionRanges,
  Fetch,
  JoinGroup,
  negotiateVersion,
  negotiateVersions,
  UnsupportedVersionError,
} from './index.js';

const broker: ApiVersionsResponse = {
  errorCode: 0,
  apiKeys: [
    { apiKey: 1, minVersion: 4, maxVersion: 13 },
    { apiKey: 11, minVersion: 0, maxVersion: 99 },
    { apiKey: 999, minVersion: 0, maxVersion: 1 },
  ],
  throttleTimeMs: 0,
};

describe('version negotiation', () => {
  it('pick the highest version both sides support', () => {
    const ranges = brokerVersionRanges(broker);
    expect(negotiateVersion(Fetch, ranges)).toBe(13);
    expect(negotiateVersion(JoinGroup, ranges)).toBe(JoinGroup.maxVersion);
  });

  it('name the API when there is no common version', () => {
    const ranges = brokerVersionRanges({ ...broker, apiKeys: [{ apiKey: 1, minVersion: 0, maxVersion: 3 }] });
    expect(() => negotiateVersion(Fetch, ranges)).toThrowError(UnsupportedVersionError);
    expect(() => negotiateVersion(Fetch, ranges)).toThrowError(
      /Fetch \(key 1\): broker supports 0-3, client supports 4-/,
    );
    expect(() => negotiateVersion(JoinGroup, ranges)).toThrowError(
      /JoinGroup \(key 11\): broker supports none/,
    );
  });

  it('negotiate every API the two sides share and skip the rest', () => {
    const versions = negotiateVersions(brokerVersionRanges(broker));
    expect([...versions.entries()].sort((a, b) => a[0] - b[0])).toEqual([
      [1, 13],
      [11, JoinGroup.maxVersion],
    ]);
  });

  it('not offer versions that Kafka marks unstable', () => {
    const initProducerId = clientVersionRanges().get(22);
    expect(initProducerId?.maxVersion).toBe(5);
  });

  it('retry ApiVersions with the highest version the broker lists, or 0 when it lists none', () => {
    const unsupported = {
      errorCode: 35,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 2 }],
      throttleTimeMs: 0,
    };
    expect(apiVersionsRetryVersion(unsupported, 4)).toBe(2);
    expect(apiVersionsRetryVersion({ ...unsupported, apiKeys: [] }, 4)).toBe(0);
    expect(apiVersionsRetryVersion({ ...unsupported, errorCode: 0 }, 4)).toBeNull();
  });
});
