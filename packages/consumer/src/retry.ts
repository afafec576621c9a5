/**
 * How the consumer's calls retry: until a deadline on the consumer's clock, waiting between attempts as
 * @runnel/protocol's `backoffMs` says (`retryBackoffMs` doubling up to 1 s, with jitter), retrying what
 * its `isRetriable` calls retriable, and ending past the deadline in ConsumerTimeoutError whose `cause`
 * is the last error seen.
 */
import { type Clock, DeadlineExceededError, sleep } from '@runnel/network';
import { backoffMs, isRetriable } from '@runnel/protocol';
import type { ConsumerContext } from './context.js';
import { ConsumerTimeoutError } from './errors.js';

/** When a call must be done (clock ms), and the configured time limit that set it (named in errors). */
export interface Deadline {
  readonly at: number;
  readonly timeoutMs: number;
}

/** @returns the deadline `timeoutMs` from now on `clock`. */
export function deadlineIn(clock: Clock, timeoutMs: number): Deadline {
  return { at: clock.now() + timeoutMs, timeoutMs };
}

/**
 * The longest wait between attempts, before jitter: Java's `retry.backoff.max.ms` default (the first
 * wait is `retryBackoffMs`).
 */
export const RETRY_BACKOFF_MAX_MS = 1_000;

/**
 * Repeats `attempt` until it reports nothing left to do or the deadline passes, waiting `backoffMs`
 * between attempts (`retryBackoffMs` doubling up to 1 s, with jitter). Errors that `isRetriable` calls
 * retriable are retried (`attempt` may also `note` one it handled itself); anything else,
 * an AuthenticationError above all (refused credentials fail the same way every time), ends the loop
 * at once. Past the deadline it throws ConsumerTimeoutError naming the configured time and, as its
 * `cause`, the last error seen.
 */
export async function retryUntilDone(
  context: ConsumerContext,
  operation: string,
  deadline: Deadline,
  attempt: (note: (error: unknown) => void) => Promise<boolean>,
): Promise<void> {
  const { clock } = context;
  const backoff = {
    initialMs: context.config.retryBackoffMs,
    maxMs: RETRY_BACKOFF_MAX_MS,
    ...(context.random ? { random: context.random } : {}),
  };
  let lastError: unknown;
  const note = (error: unknown) => {
    lastError = error;
  };
  for (let failures = 1; ; failures++) {
    try {
      if (await attempt(note)) return;
    } catch (error) {
      // The client retried until the deadline: what it last met is the cause worth reporting.
      if (error instanceof DeadlineExceededError) lastError = error.cause ?? lastError;
      else if (isRetriable(error)) lastError = error;
      else throw error;
    }
    const wait = backoffMs(backoff, failures);
    if (clock.now() + wait >= deadline.at) {
      throw new ConsumerTimeoutError(
        operation,
        deadline.timeoutMs,
        lastError === undefined ? undefined : { cause: lastError },
      );
    }
    await sleep(clock, wait);
  }
}
