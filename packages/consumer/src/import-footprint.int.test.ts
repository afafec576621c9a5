/**
 * What importing @runnel/consumer costs a program that never uses TLS or SASL/SCRAM: node:tls and
 * node:crypto load on first use (network's builtins.ts), not at import. Together they were about
 * 1.5 MiB of heap and 10-30 ms of start-up, and that heap tipped V8 into a full collection on a new
 * consumer's way to its first record. Run as a user's program (plain node, built packages); Node's
 * module list is Node's own, so this lives with the integration tests, which run on Node only. The
 * consumer's clock reads process.uptime(): the global `performance` loads node:perf_hooks on first use
 * (about 1.2 ms inside a new consumer's start).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { startUserProgram, type UserEvent } from './test-support/user-process.js';

describe('importing @runnel/consumer', () => {
  // One run of the program: what its import loaded, then what the first reading of the clock loaded.
  let loaded: UserEvent;
  beforeAll(async () => {
    const program = startUserProgram('import-footprint.mjs', {});
    loaded = await program.waitFor((e) => e.event === 'loaded', 30_000, 'the list of loaded built-ins');
    expect(await program.exited).toMatchObject({ code: 0, signal: null });
  });

  it('loads node:net and node:zlib, and leaves node:tls and node:crypto until a connection needs them', () => {
    const builtins = loaded.builtins as string[];
    // The list is real: the consumer's own socket and codec modules are on it.
    expect(builtins).toEqual(expect.arrayContaining(['net', 'zlib']));
    expect(builtins).not.toContain('tls');
    expect(builtins).not.toContain('crypto');
  });

  it('reads its clock without loading node:perf_hooks (the global performance would load it)', () => {
    expect(loaded.byClock).toEqual([]);
    // Milliseconds since the process started, as performance.now() counts them.
    expect(loaded.now).toBeGreaterThan(0);
    expect(loaded.now).toBeLessThan(60_000);
  });
});
