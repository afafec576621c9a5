import * as diagnostics from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { isTraced } from './diagnostics.js';

describe('isTraced', () => {
  it('is true while any one event of the TracingChannel has a subscriber, on Node as on Bun', () => {
    const channel = diagnostics.tracingChannel<unknown, object>('runnel:test:is-traced');
    expect(isTraced(channel)).toBe(false);
    const onlyAsyncEnd = () => {};
    channel.asyncEnd.subscribe(onlyAsyncEnd);
    expect(isTraced(channel)).toBe(true);
    channel.asyncEnd.unsubscribe(onlyAsyncEnd);
    expect(isTraced(channel)).toBe(false);
    const none = () => {};
    const all = { start: none, end: none, asyncStart: none, asyncEnd: none, error: none };
    channel.subscribe(all);
    expect(isTraced(channel)).toBe(true);
    channel.unsubscribe(all);
    expect(isTraced(channel)).toBe(false);
  });
});
