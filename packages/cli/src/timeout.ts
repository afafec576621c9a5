import { ConsumerTimeoutError } from '@runnel/consumer';
import { DeadlineExceededError } from '@runnel/network';
import { CliTimeoutError } from './errors.js';

/**
 * Races `work` against a timer that keeps the process alive, so a command can neither hang past its
 * limit nor end silently while waiting on a client whose own timers are unreferenced.
 * @returns what `work` returns.
 * @throws CliTimeoutError when the time runs out first; otherwise what `work` throws.
 */
export function withTimeout<T>(
  what: string,
  work: Promise<T>,
  timeoutMs: number,
  lastError: () => unknown,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new CliTimeoutError(what, timeoutMs, { cause: lastError() })), timeoutMs);
  });
  // The clients' own deadlines usually end first: report them the same way, with what they last met.
  const named = work.catch((error: unknown) => {
    if (error instanceof DeadlineExceededError || error instanceof ConsumerTimeoutError) {
      throw new CliTimeoutError(what, timeoutMs, { cause: error.cause ?? lastError() });
    }
    throw error;
  });
  return Promise.race([named, timeout]).finally(() => clearTimeout(timer));
}
