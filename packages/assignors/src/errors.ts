import { RunnelError } from '@runnel/codec';

/** Input an assignor cannot work with: duplicate member ids, partitions not numbered 0..n-1, bad user data. */
export class AssignorError extends RunnelError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_ASSIGNOR', message, options);
  }
}
