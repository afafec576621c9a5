import { describe, expect, it } from 'vitest';
import {
  FINAL_EPOCH,
  INITIAL_EPOCH,
  nextEpoch,
  type SessionPartition,
  ShareSession,
} from './share-session.js';

const p = (topic: string, partition: number): SessionPartition => ({
  key: `${topic}:${partition}`,
  topicId: `${topic}-id`,
  topic,
  partition,
});
const keys = (list: readonly SessionPartition[]) => list.map((x) => x.key);

describe('a share session', () => {
  it('opens at epoch 0 with every partition, then names only what changed', () => {
    const s = new ShareSession();
    expect(s.open).toBe(false);
    const first = s.fetchPlan([p('a', 0), p('a', 1)]);
    expect(first.epoch).toBe(INITIAL_EPOCH);
    expect(keys(first.listed)).toEqual(['a:0', 'a:1']);
    s.fetched(first);
    expect(s.open).toBe(true);
    expect(s.epoch).toBe(1);
    const same = s.fetchPlan([p('a', 0), p('a', 1)]);
    expect([same.epoch, keys(same.listed), keys(same.forgotten)]).toEqual([1, [], []]);
    s.fetched(same);
    const changed = s.fetchPlan([p('a', 1), p('b', 0)]);
    expect([changed.epoch, keys(changed.listed), keys(changed.forgotten)]).toEqual([2, ['b:0'], ['a:0']]);
    s.fetched(changed);
    expect(s.holds('a:0')).toBe(false);
    expect(s.holds('b:0')).toBe(true);
  });

  it('moves the epoch on after a ShareAcknowledge, and starts over at 0 after a reset', () => {
    const s = new ShareSession();
    s.fetched(s.fetchPlan([p('a', 0)]));
    s.acknowledged();
    expect(s.epoch).toBe(2);
    s.reset();
    expect(s.open).toBe(false);
    const again = s.fetchPlan([p('a', 0)]);
    expect([again.epoch, keys(again.listed), keys(again.forgotten)]).toEqual([0, ['a:0'], []]);
  });

  it('counts epochs as the broker does: 1 after the largest int32, 0 after the final epoch', () => {
    expect(nextEpoch(0)).toBe(1);
    expect(nextEpoch(41)).toBe(42);
    expect(nextEpoch(0x7fff_ffff)).toBe(1);
    expect(nextEpoch(FINAL_EPOCH)).toBe(0);
  });
});
