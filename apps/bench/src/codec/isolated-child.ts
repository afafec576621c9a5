/**
 * The process one contender of isolated.ts runs in: builds the contender from the reference in its
 * argument, then answers the parent's commands one at a time (`ready`, `warm`, `sample`) with a number
 * or the error that stopped it.
 */
// Only type imports: the harness comes by URL (argv[3]), so this file also runs from its .ts source.
import type * as Harness from './harness.js';
import type { Command, ContenderRef } from './isolated.js';

async function build(ref: ContenderRef): Promise<() => unknown> {
  const mod = (await import(ref.module)) as Record<string, unknown>;
  const factory = mod[ref.factory];
  if (typeof factory !== 'function') throw new Error(`${ref.module} has no function export ${ref.factory}`);
  const fn = (await factory(...ref.args)) as unknown;
  if (typeof fn !== 'function') throw new Error(`${ref.factory}(...) did not return a function`);
  return fn as () => unknown;
}

const harness = import(process.argv[3] ?? './harness.js') as Promise<typeof Harness>;
const contender = build(JSON.parse(process.argv[2] ?? '{}') as ContenderRef);
// A failed build is answered on the first command, not thrown here: the parent names the contender.
contender.catch(() => {});
harness.catch(() => {});

process.on('message', (command: Command) => {
  void (async () => {
    try {
      const fn = await contender;
      const { sample, warmUp } = await harness;
      const value =
        command.cmd === 'ready'
          ? process.pid
          : command.cmd === 'warm'
            ? await warmUp(fn, command.minMs, command.maxMs)
            : await sample(fn, command.ms);
      process.send!({ ok: true, value });
    } catch (error) {
      process.send!({ ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  })();
});
// The parent's end of the channel closing (it finished, or died) ends this process.
process.on('disconnect', () => process.exit(0));
