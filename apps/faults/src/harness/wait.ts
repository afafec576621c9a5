import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits until `ready()` holds, checking every `everyMs`.
 *
 * @throws Error saying what was awaited (and `detail()`, when given) after `timeoutMs`.
 */
export async function until(
  what: string,
  ready: () => boolean,
  timeoutMs: number,
  detail?: () => string,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `\n${detail()}` : ''}`);
    }
    await sleep(everyMs);
  }
}

/** @returns a promise that resolves after `ms`. */
export function pause(ms: number): Promise<void> {
  return sleep(ms);
}

/** @returns a whole number of milliseconds drawn uniformly from [min, max]. */
export function between(min: number, max: number): number {
  return Math.round(min + Math.random() * (max - min));
}
