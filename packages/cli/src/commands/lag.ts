/** `runnel lag <group>`: per partition the committed offset, end offset and lag; `--watch` refreshes it. */
import { type CommandContext, pause } from '../context.js';
import { colorsFor, Output } from '../io.js';
import { lagTable, readGroup } from './groups.js';
import { withAdmin } from './shared.js';

/** Options of `lag`. */
export interface LagOptions {
  readonly json: boolean;
  /** Refresh every `intervalMs` until stopped. */
  readonly watch: boolean;
  readonly intervalMs: number;
}

const HOME_AND_CLEAR = '\x1b[H\x1b[2J';

/**
 * Prints the group's lag once, or (`--watch`) again every interval until the context's signal aborts:
 * on a terminal the screen is redrawn, otherwise each table follows the last (one JSON line each with
 * `--json`).
 * @returns once printed (or, watching, once stopped).
 * @throws GroupNotFoundError; KafkaProtocolError; CliTimeoutError.
 */
export function lag(ctx: CommandContext, groupId: string, options: LagOptions): Promise<void> {
  const out = new Output(ctx.io.stdout);
  const colors = colorsFor(ctx.io.stdout, ctx.io.env);
  const terminal = ctx.io.stdout.isTTY === true;
  return withAdmin(ctx, async (admin) => {
    do {
      const { partitions, totalLag } = await readGroup(admin, groupId);
      let text: string;
      if (options.json) {
        text = `${JSON.stringify({ groupId, at: ctx.io.now(), totalLag, partitions })}\n`;
      } else {
        text = `${lagTable(partitions, colors, false)}${colors.bold(`total lag ${totalLag}`)}\n`;
        if (options.watch) {
          const heading = colors.dim(
            `runnel lag ${groupId}, every ${options.intervalMs / 1000} s, ${new Date(ctx.io.now()).toISOString()}`,
          );
          text = `${terminal ? HOME_AND_CLEAR : '\n'}${heading}\n${text}`;
        }
      }
      await out.write(text);
      if (!options.watch || out.closed) return;
      await pause(options.intervalMs, ctx.signal);
    } while (!ctx.signal.aborted);
  });
}
