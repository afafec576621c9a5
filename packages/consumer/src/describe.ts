/**
 * `Consumer.describeGroup()`: asks the coordinator how it sees the group and keeps the last answer (or
 * the error) for `health()`.
 */
import { DeadlineExceededError } from '@runnel/network';
import type { ConsumerContext } from './context.js';
import { ConsumerTimeoutError } from './errors.js';
import { describeGroup, type GroupDescription } from './group-description.js';

export class GroupDescriber {
  private last: GroupDescription | null = null;
  private error: Error | null = null;

  constructor(private readonly context: ConsumerContext) {}

  /** @returns the last answer, or null before the first. */
  get lastDescription(): GroupDescription | null {
    return this.last;
  }

  /** @returns why the last describe failed, or null when it succeeded or none ran. */
  get lastError(): Error | null {
    return this.error;
  }

  /**
   * Describes the group, as this member (`memberId`, '' without one) sees itself in it.
   * @returns the description, also kept as the last one.
   * @throws what `describeGroup` throws, but ConsumerTimeoutError (with the last error as `cause`)
   *   instead of the network's DeadlineExceededError past `defaultApiTimeoutMs`.
   */
  async describe(groupId: string, memberId: string): Promise<GroupDescription> {
    const { client, config, clock } = this.context;
    const timeoutMs = config.defaultApiTimeoutMs;
    try {
      const description = await describeGroup(
        client,
        groupId,
        config.groupProtocol,
        memberId,
        timeoutMs,
        clock,
      ).catch((error: unknown) => {
        if (!(error instanceof DeadlineExceededError)) throw error;
        const cause = error.cause;
        throw new ConsumerTimeoutError('describeGroup', timeoutMs, cause ? { cause } : undefined);
      });
      this.last = description;
      this.error = null;
      return description;
    } catch (error) {
      this.error = error as Error;
      throw error;
    }
  }
}
