import { describe, expect, it } from 'vitest';
import { FETCH_SESSION_ID_NOT_FOUND, FetchSession, type SessionPartition } from './fetch-session.js';

function part(partition: number, fetchOffset: number, topic = 't'): SessionPartition {
  return { topic, partition, fetchOffset, currentLeaderEpoch: 0, lastFetchedEpoch: -1, maxBytes: 1024 };
}

describe('FetchSession', () => {
  it('starts with a full request that asks for a new session', () => {
    const s = new FetchSession();
    const r = s.build([part(0, 0), part(1, 0)]);
    expect([r.full, r.sessionId, r.sessionEpoch, r.partitions.length]).toEqual([true, 0, 0, 2]);
  });

  it('sends only changed partitions and forgets dropped ones once the broker gave a session id', () => {
    const s = new FetchSession();
    const first = s.build([part(0, 0), part(1, 0), part(2, 0)]);
    expect(s.onResponse(first, 0, 77)).toBe(true);
    const second = s.build([part(0, 10), part(1, 0)]);
    expect(second.full).toBe(false);
    expect([second.sessionId, second.sessionEpoch]).toEqual([77, 1]);
    expect(second.partitions.map((p) => [p.partition, p.fetchOffset])).toEqual([[0, 10]]);
    expect(second.forgotten).toEqual([{ topic: 't', partition: 2 }]);
    expect(s.onResponse(second, 0, 77)).toBe(true);
    const third = s.build([part(0, 10), part(1, 0)]);
    expect([third.sessionEpoch, third.partitions.length, third.forgotten.length]).toEqual([2, 0, 0]);
  });

  it('keeps sending full requests when the broker answers without a session', () => {
    const s = new FetchSession();
    s.onResponse(s.build([part(0, 0)]), 0, 0);
    const next = s.build([part(0, 5)]);
    expect([next.full, next.sessionId, next.sessionEpoch]).toEqual([true, 0, 0]);
  });

  it('falls back to a full request with a fresh session after FETCH_SESSION_ID_NOT_FOUND', () => {
    const s = new FetchSession();
    s.onResponse(s.build([part(0, 0)]), 0, 9);
    const incremental = s.build([part(0, 1)]);
    expect(s.onResponse(incremental, FETCH_SESSION_ID_NOT_FOUND, 0)).toBe(false);
    const next = s.build([part(0, 1)]);
    expect([next.full, next.sessionId, next.sessionEpoch, next.partitions.length]).toEqual([true, 0, 0, 1]);
  });

  it('closes the old session in the full request that follows a failed request', () => {
    const s = new FetchSession();
    s.onResponse(s.build([part(0, 0)]), 0, 9);
    s.onFailure(s.build([part(0, 1)]));
    const next = s.build([part(0, 1)]);
    expect([next.full, next.sessionId, next.sessionEpoch]).toEqual([true, 9, 0]);
  });

  it('ignores the answer to a request it no longer waits for', () => {
    const s = new FetchSession();
    const stale = s.build([part(0, 0)]);
    s.onFailure(stale);
    expect(s.onResponse(stale, 0, 5)).toBe(false);
    expect(s.id).toBe(0);
  });
});
