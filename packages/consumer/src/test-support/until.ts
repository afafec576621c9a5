/** Polling for a condition in integration tests, with a deadline that names what was awaited. */
import { setTimeout as sleep } from 'node:timers/promises';

/** Waits until `ready()` holds, checking every 50 ms. @throws Error naming `what` after `timeoutMs`. */
export async function until(what: string, ready: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await sleep(50);
  }
}
