import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isolatedInterleaved } from './isolated.js';

const FIXTURE = new URL('./test-support/contenders.ts', import.meta.url).href;
const QUICK = { rounds: 2, sampleMs: 5, minWarmupMs: 5, maxWarmupMs: 10 };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('isolatedInterleaved', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs each contender in a process of its own, reports CPU ns per call, and ends them', async () => {
    dir = mkdtempSync(join(tmpdir(), 'runnel-isolated-'));
    const files = { a: join(dir, 'a'), b: join(dir, 'b') };
    const result = await isolatedInterleaved(
      {
        a: { module: FIXTURE, factory: 'pidProbe', args: [files.a] },
        b: { module: FIXTURE, factory: 'pidProbe', args: [files.b] },
      },
      QUICK,
    );

    expect(Object.keys(result)).toEqual(['a', 'b']);
    for (const ns of Object.values(result)) expect(ns).toBeGreaterThan(0);
    const pids = [files.a, files.b].map((f) => Number(readFileSync(f, 'utf8')));
    expect(new Set([...pids, process.pid]).size).toBe(3);
    // Stopped once measured: nothing outlives the call for long.
    for (let i = 0; i < 100 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 20));
    expect(pids.filter(alive)).toEqual([]);
  });

  it('names the contender whose factory failed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'runnel-isolated-'));
    await expect(
      isolatedInterleaved(
        {
          fine: { module: FIXTURE, factory: 'pidProbe', args: [join(dir, 'fine')] },
          bad: { module: FIXTURE, factory: 'broken', args: [] },
        },
        QUICK,
      ),
    ).rejects.toThrow('contender "bad": no input for this shape');
  });

  it('names a factory its module does not export', async () => {
    await expect(
      isolatedInterleaved({ x: { module: FIXTURE, factory: 'missing', args: [] } }, QUICK),
    ).rejects.toThrow(`contender "x": ${FIXTURE} has no function export missing`);
  });
});
