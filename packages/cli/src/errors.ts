import { RunnelError } from '@runnel/codec';

/**
 * The command line is wrong: an unknown command or option, a missing argument, a value that does not
 * parse. The command exits with status 2, as usage errors do. `option` names the flag when one is at fault.
 */
export class UsageError extends RunnelError {
  readonly option: string | null;

  constructor(message: string, option: string | null = null) {
    super('ERR_CLI_USAGE', option === null ? message : `${option}: ${message}`);
    this.option = option;
  }
}

/**
 * The brokers did not answer within `--timeout`. `cause` is the last failure seen (a refused
 * connection, say), when there was one; the one-line report shows it after the message.
 */
export class CliTimeoutError extends RunnelError {
  readonly timeoutMs: number;

  constructor(what: string, timeoutMs: number, options?: { cause?: unknown }) {
    super('ERR_CLI_TIMEOUT', `${what} did not finish within ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** The group is unknown to its coordinator (DescribeGroups reports it Dead, ConsumerGroupDescribe not found). */
export class GroupNotFoundError extends RunnelError {
  readonly groupId: string;

  constructor(groupId: string) {
    super('ERR_GROUP_NOT_FOUND', `group ${JSON.stringify(groupId)} does not exist`);
    this.groupId = groupId;
  }
}

/** `offsets reset` on a group that still has members: only an empty group's offsets may be changed. */
export class GroupNotEmptyError extends RunnelError {
  readonly groupId: string;
  readonly groupState: string;

  constructor(groupId: string, groupState: string, members: number) {
    super(
      'ERR_GROUP_NOT_EMPTY',
      `group ${JSON.stringify(groupId)} is ${groupState} with ${members} member(s): offsets can only be ` +
        'reset while it is empty (stop its consumers first)',
    );
    this.groupId = groupId;
    this.groupState = groupState;
  }
}

/** A topic named on the command line is unknown to the cluster. */
export class TopicNotFoundError extends RunnelError {
  readonly topic: string;

  constructor(topic: string, options?: { cause?: unknown }) {
    super('ERR_TOPIC_NOT_FOUND', `topic ${JSON.stringify(topic)} does not exist`, options);
    this.topic = topic;
  }
}

/** A key or value cannot be shown in the format asked for (`--value-format json` on a value that is not JSON). */
export class RecordFormatError extends RunnelError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CLI_RECORD_FORMAT', message, options);
  }
}
