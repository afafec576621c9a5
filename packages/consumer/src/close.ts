/**
 * How a consumer closes, within a time limit even when brokers are unreachable: stop taking batches,
 * wait for the handlers in progress, commit the consumed positions (auto-commit on), leave the group,
 * then stop every timer and close every connection. What is not done by the limit is abandoned.
 */
import { failure } from '@runnel/network';
import type { ConsumerParts } from './context.js';
import { deadlineIn } from './retry.js';

/**
 * Closes the consumer's parts in order, within `timeoutMs`.
 * @returns once closed (state `closed`); it never rejects: a failed final commit is logged.
 */
export async function closeConsumer(parts: ConsumerParts, timeoutMs: number): Promise<void> {
  const { context, lifecycle, commits, fetcher, group } = parts;
  const { config, clock, client } = context;
  lifecycle.moveTo('closing');
  const deadline = deadlineIn(clock, timeoutMs);
  parts.runs.stopAll();
  parts.brokersDown.stop();
  commits.stopAutoCommit();
  group?.stopListing();
  fetcher.wake();
  let timer: unknown;
  // The clock's timer is unref'd; the consumer's keep-alive holds the process until close is done.
  const timeout = new Promise<void>((resolve) => {
    timer = clock.setTimeout(resolve, timeoutMs);
  });
  const graceful = (async () => {
    await parts.runs.settled();
    if (config.autoCommit && config.groupId !== null && parts.consuming) {
      try {
        await commits.commit(undefined, deadline);
      } catch (error) {
        config.logger.warn(failure('final_commit_failed', error), 'final commit failed');
      }
    }
    await group?.leave(deadline.at);
  })();
  await Promise.race([graceful, timeout]);
  group?.close();
  fetcher.close();
  await Promise.race([client.close().catch(() => undefined), timeout]);
  context.events.unwatchAll();
  clock.clearTimeout(timer);
  lifecycle.moveTo('closed');
}
