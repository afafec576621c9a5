import { describe, expect, it } from 'vitest';
import type { Exchange, KafkaTrace } from './frames.js';
import { requestsBefore, startupSteps } from './steps.js';

const START = 1_000_000;

/** Rounds away the float noise of subtracting epoch-sized times. */
const r = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 1000) / 1000);

function exchange(
  apiName: string,
  stream: number,
  sent: number,
  answered?: number,
  extra: Partial<Exchange> = {},
): Exchange {
  return {
    stream,
    apiKey: 0,
    apiName,
    apiVersion: 1,
    correlationId: Math.round(sent),
    sentMs: START + sent,
    ...(answered === undefined ? {} : { answeredMs: START + answered }),
    ...extra,
  };
}

const TRACE: KafkaTrace = {
  connections: [
    { stream: 5, synMs: START + 1, synAckMs: START + 1.1 },
    { stream: 9, synMs: START + 20, synAckMs: START + 20.1 },
  ],
  exchanges: [
    exchange('ApiVersions', 5, 2, 3),
    exchange('Metadata', 5, 4, 5),
    exchange('FindCoordinator', 5, 6, 7),
    exchange('JoinGroup', 9, 21, 22),
    exchange('JoinGroup', 9, 23, 30),
    exchange('SyncGroup', 9, 31, 33),
    exchange('OffsetFetch', 9, 34, 35),
    exchange('ListOffsets', 5, 36, 37),
    exchange('Fetch', 5, 38, 48, { hasRecords: false }),
    exchange('Fetch', 5, 49, 50, { hasRecords: true }),
    exchange('Heartbeat', 9, 70, 71),
  ],
  broken: [],
};

describe('startupSteps', () => {
  it('lists the path in the order it was done, each step with the time it added', () => {
    const steps = startupSteps(TRACE, START, 55);
    expect(steps.map((s) => [s.step, r(s.doneMs), r(s.gapMs)])).toEqual([
      ['connect', 1.1, 1.1],
      ['ApiVersions', 3, 1.9],
      ['Metadata', 5, 2],
      ['FindCoordinator', 7, 2],
      ['JoinGroup 1', 22, 15],
      ['JoinGroup 2', 30, 8],
      ['SyncGroup', 33, 3],
      ['OffsetFetch', 35, 2],
      ['ListOffsets', 37, 2],
      ['first Fetch', 48, 11],
      ['first Fetch with records', 50, 2],
      ['first record', 55, 5],
    ]);
    expect(steps[4]).toMatchObject({ sentMs: 21, connection: 2, detail: 'v1 #21' });
  });

  it('leaves out requests sent after the first record and steps the client never took', () => {
    const steps = startupSteps(TRACE, START, 35.5).map((s) => s.step);
    expect(steps).not.toContain('ListOffsets');
    expect(steps).not.toContain('first Fetch');
    expect(steps).not.toContain('ConsumerGroupHeartbeat 1');
    expect(steps.at(-1)).toBe('first record');
  });

  it('counts an unanswered request as sent, adding no gap', () => {
    const trace = { ...TRACE, exchanges: [exchange('Fetch', 5, 38)] };
    const steps = startupSteps(trace, START, 45);
    expect(steps.find((s) => s.step === 'first Fetch')).toEqual({
      step: 'first Fetch',
      sentMs: 38,
      connection: 1,
      detail: 'v1 #38',
    });
    expect(steps.at(-1)).toMatchObject({ step: 'first record', doneMs: 45 });
    expect(r(steps.at(-1)!.gapMs)).toBe(43.9);
  });
});

describe('requestsBefore', () => {
  it('numbers connections in the order they were opened and makes times relative to the start', () => {
    const requests = requestsBefore(TRACE, START, START + 22);
    expect(requests.map((r) => [r.apiName, r.connection, r.sentMs, r.answeredMs])).toEqual([
      ['ApiVersions', 1, 2, 3],
      ['Metadata', 1, 4, 5],
      ['FindCoordinator', 1, 6, 7],
      ['JoinGroup', 2, 21, 22],
    ]);
  });
});
