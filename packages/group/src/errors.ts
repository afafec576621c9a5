import { RunnelError } from '@runnel/codec';
import { ErrorCode, KafkaProtocolError, kafkaErrorInfo } from '@runnel/protocol';

/** A configuration the group member cannot run with (e.g. a heartbeat interval not below the session timeout). */
export class GroupConfigError extends RunnelError {
  /** The member's config field at fault (e.g. `heartbeatIntervalMs`), or null when no one field is. */
  readonly option: string | null;
  /** What is wrong with it, without the option's name (e.g. `must be below sessionTimeoutMs (45000)`). */
  readonly problem: string;
  readonly retriable = false;

  constructor(problem: string, option: string | null = null) {
    super('ERR_GROUP_CONFIG', option === null ? problem : `${option}: ${problem}`);
    this.option = option;
    this.problem = problem;
  }
}

/**
 * A state change the membership rules do not allow, or an API call the current state cannot take
 * (e.g. acknowledging an event while fatal). Signals a bug in the caller or in the state machine.
 */
export class IllegalTransitionError extends RunnelError {
  readonly from: string;
  readonly to: string;
  readonly retriable = false;

  constructor(from: string, to: string, message?: string) {
    super('ERR_ILLEGAL_TRANSITION', message ?? `illegal group member transition ${from} -> ${to}`);
    this.from = from;
    this.to = to;
  }
}

/**
 * An error code a broker returned to a group request that the member survives (it retries or
 * rejoins): a KafkaProtocolError (code, name, retriable from the error table) that also names the API.
 */
export class GroupBrokerError extends KafkaProtocolError {
  /** The API whose response carried the code, e.g. `JoinGroup`. */
  readonly api: string;

  constructor(api: string, errorCode: number, message?: string | null) {
    const name = kafkaErrorInfo(errorCode).name;
    super(errorCode, api, {
      code: 'ERR_GROUP_BROKER',
      message: `${api} failed with ${name}${message ? `: ${message}` : ''}`,
    });
    this.api = api;
  }
}

/**
 * The member cannot continue: the state machine is in FATAL and stays there. Raised for
 * FENCED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED, authorization failures, an inconsistent group protocol,
 * invalid configuration reported by the broker, or an assignment this member cannot read.
 */
export class GroupFatalError extends RunnelError {
  /** Kafka's numeric error code, or null when the failure was not a broker error (e.g. undecodable assignment). */
  readonly errorCode: number | null;
  readonly errorName: string | null;
  /** Never: the member stays in FATAL. */
  readonly retriable = false;

  constructor(message: string, errorCode: number | null, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'ERR_GROUP_FATAL', message, options);
    this.errorCode = errorCode;
    this.errorName = errorCode === null ? null : kafkaErrorInfo(errorCode).name;
  }
}

/** Another member with the same `group.instance.id` joined: this one is fenced for good (FENCED_INSTANCE_ID). */
export class FencedInstanceIdError extends GroupFatalError {
  readonly groupInstanceId: string;

  constructor(groupInstanceId: string, api: string) {
    super(
      `${api}: group.instance.id ${groupInstanceId} was fenced by another member with the same id`,
      ErrorCode.FENCED_INSTANCE_ID,
      {
        code: 'ERR_FENCED_INSTANCE_ID',
      },
    );
    this.groupInstanceId = groupInstanceId;
  }
}

/** The group already has `group.max.size` members (GROUP_MAX_SIZE_REACHED). */
export class GroupMaxSizeReachedError extends GroupFatalError {
  constructor(groupId: string) {
    super(`group ${groupId} reached its maximum size`, ErrorCode.GROUP_MAX_SIZE_REACHED, {
      code: 'ERR_GROUP_MAX_SIZE_REACHED',
    });
  }
}
