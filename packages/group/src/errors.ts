import { RunnelError } from '@runnel/codec';
import { ErrorCode, kafkaErrorInfo } from '@runnel/protocol';

/** A configuration the group member cannot run with (e.g. a heartbeat interval not below the session timeout). */
export class GroupConfigError extends RunnelError {
  constructor(message: string) {
    super('ERR_GROUP_CONFIG', message);
  }
}

/**
 * A state change the membership rules do not allow, or an API call the current state cannot take
 * (e.g. acknowledging an event while fatal). Signals a bug in the caller or in the state machine.
 */
export class IllegalTransitionError extends RunnelError {
  readonly from: string;
  readonly to: string;

  constructor(from: string, to: string, message?: string) {
    super('ERR_ILLEGAL_TRANSITION', message ?? `illegal group member transition ${from} -> ${to}`);
    this.from = from;
    this.to = to;
  }
}

/** An error code a broker returned to a group request that the member survives (it retries or rejoins). */
export class GroupBrokerError extends RunnelError {
  /** Kafka's numeric error code. */
  readonly errorCode: number;
  /** Kafka's name for the code, e.g. `UNKNOWN_SERVER_ERROR`. */
  readonly errorName: string;
  readonly retriable: boolean;
  /** The API whose response carried the code, e.g. `JoinGroup`. */
  readonly api: string;

  constructor(api: string, errorCode: number, message?: string | null) {
    const info = kafkaErrorInfo(errorCode);
    super('ERR_GROUP_BROKER', `${api} failed with ${info.name}${message ? `: ${message}` : ''}`);
    this.errorCode = errorCode;
    this.errorName = info.name;
    this.retriable = info.retriable;
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
