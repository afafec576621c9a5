import * as testing from '@runnel/network/testing';
import { describe, expect, it } from 'vitest';

describe('the @runnel/network/testing entry', () => {
  it('exports the fakes by their names', () => {
    expect(Object.keys(testing).sort()).toEqual([
      'AutoAdvanceClock',
      'FakeBroker',
      'FakeClient',
      'FakeClock',
      'FakeCluster',
      'FakeConnection',
      'FakeKafkaServer',
      'activeResources',
      'allApiVersions',
      'frame',
      'responsePayload',
      'settleIo',
    ]);
  });

  it('gives a clock that fires timers only when advanced, in order of their due time', () => {
    const clock = new testing.FakeClock(100);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    const cancelled = clock.setTimeout(() => fired.push('never'), 5);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.clearTimeout(cancelled);
    expect(fired).toEqual([]);
    clock.advance(15);
    expect(fired).toEqual(['a@110']);
    clock.advance(15);
    expect(fired).toEqual(['a@110', 'b@120']);
    expect([clock.now(), clock.pendingTimers]).toEqual([130, 0]);
  });
});
