import { FakeBroker } from '@runnel/network/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answerFor, buildLog, logItem, type PartitionLog } from './test-support/fuzz-log.js';
import { startUserProgram } from './test-support/user-process.js';

const MiB = 1024 * 1024;
const MAX_BUFFERED = 2 * MiB;
const MAX_DECOMPRESSED = 6 * MiB;
/** How long each program is watched before it is asked to close. */
const WATCH_MS = 2_500;
const CLOSE_TIMEOUT_MS = 2_000;

// The consumer's fetch path in a user's program (plain node, built packages) against a broker serving
// random, truncated, corrupt and bomb batches, sometimes restarting in the middle. Whatever the bytes
// and the outage, the program never exits on its own
// with code 0 while it waits for more, its memory stays within maxBufferedBytes + one batch, and what
// comes out is records in offset order or a typed error (a RunnelError with its `code`).
describe('the fetch path under generated broker answers', () => {
  it('never exits early, stays within its memory bound, and hands out records or a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(logItem(8 * MiB), { minLength: 1, maxLength: 8 }),
        fc.array(logItem(8 * MiB), { minLength: 1, maxLength: 8 }),
        fc.option(fc.integer({ min: 200, max: 1_500 }), { nil: undefined }),
        async (items0, items1, outageAtMs) => {
          const logs: PartitionLog[] = [buildLog(items0), buildLog(items1)];
          const broker = await FakeBroker.start({
            topics: { fuzz: 2 },
            fetch: (_topic, partition, offset, maxBytes) => ({
              records: answerFor(logs[partition]!, Number(offset), maxBytes),
            }),
            endOffset: (_topic, partition) => BigInt(logs[partition]!.end),
          });
          const program = startUserProgram('consume-child.mjs', {
            config: {
              brokers: broker.bootstrap,
              autoOffsetReset: 'earliest',
              maxBufferedBytes: MAX_BUFFERED,
              maxDecompressedSize: MAX_DECOMPRESSED,
              maxPartitionFetchBytes: 256 * 1024,
              fetchMaxWaitMs: 200,
              retryBackoffMs: 50,
            },
            assign: [
              { topic: 'fuzz', partition: 0 },
              { topic: 'fuzz', partition: 1 },
            ],
            healthEveryMs: 50,
            closeTimeoutMs: CLOSE_TIMEOUT_MS,
          });
          try {
            // The watch starts once the program runs: on a loaded machine Node's start alone can take
            // seconds, and a SIGTERM before the program's handler exists ends it with no code at all.
            await program.waitFor((e) => e.event === 'ready', 60_000, 'the ready line');
            // A broker restart in the middle: every connection drops, and for 700 ms none can be made.
            const outage =
              outageAtMs === undefined
                ? Promise.resolve()
                : new Promise((r) => setTimeout(r, outageAtMs))
                    .then(() => broker.down())
                    .then(() => new Promise((r) => setTimeout(r, 700)))
                    .then(() => broker.up());
            await Promise.race([program.exited, new Promise((r) => setTimeout(r, WATCH_MS))]);
            await outage;
            // Only a typed error may end it, never a silent exit: on its own (bad bytes can end the
            // iteration), or while it closes when that error came as the SIGTERM did.
            const endedWithTypedError = (code: number | null) => {
              expect(code, program.report()).toBe(1);
              expect(program.stderr, program.report()).toMatch(/code: 'ERR_[A-Z_]+'/);
              expect(program.stderr).toMatch(/^\w+Error: /m);
            };
            if (program.running) {
              // Still waiting for records, as it should: now it must close and end by itself.
              const exit = await program.terminate();
              if (exit.code === 0) {
                // Bounded, not timed: the slack is for a loaded machine, a hang would be far beyond it.
                expect(exit.afterMs).toBeLessThan(CLOSE_TIMEOUT_MS + 10_000);
              } else {
                endedWithTypedError(exit.code);
              }
            } else {
              endedWithTypedError((await program.exited).code);
            }
            for (const partition of [0, 1]) {
              const offsets = program
                .eventsOf('records')
                .filter((e) => e.partition === partition)
                .flatMap((e) => e.offsets as number[]);
              expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
              expect(new Set(offsets).size).toBe(offsets.length);
              for (const o of offsets) expect(o).toBeLessThan(logs[partition]!.end);
            }
            const health = program.eventsOf('health');
            const held = Math.max(0, ...health.map((h) => h.bufferedBytes as number));
            expect(held).toBeLessThanOrEqual(MAX_BUFFERED + MAX_DECOMPRESSED + MiB);
            if (health.length > 1) {
              const rss = health.map((h) => h.maxRssBytes as number);
              expect(rss.at(-1)! - rss[0]!).toBeLessThan(MAX_BUFFERED + MAX_DECOMPRESSED + 64 * MiB);
            }
          } finally {
            await program.stop();
            await broker.down();
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 600_000);
});
