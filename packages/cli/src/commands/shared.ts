/** What the commands that print one answer have in common: an admin client for the run, and `--json`. */
import { Admin } from '../admin.js';
import type { CommandContext } from '../context.js';
import { type Colors, colorsFor, Output } from '../io.js';

/**
 * Runs `work` with an admin client that is closed afterwards, whatever happens.
 * @returns what `work` returns.
 * @throws what `work` throws.
 */
export async function withAdmin<T>(ctx: CommandContext, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin(ctx.settings, ctx.logger);
  try {
    return await work(admin);
  } finally {
    await admin.close();
  }
}

/**
 * Prints a command's answer: `value` as one line of JSON under `--json`, otherwise what `render` makes
 * of it (with colors when stdout is a terminal).
 * @returns once written.
 */
export async function printAnswer(
  ctx: CommandContext,
  json: boolean,
  value: unknown,
  render: (colors: Colors) => string,
): Promise<void> {
  const out = new Output(ctx.io.stdout);
  await out.write(json ? `${JSON.stringify(value)}\n` : render(colorsFor(ctx.io.stdout, ctx.io.env)));
}
