import { RunnelError } from '@runnel/codec';

/**
 * A misuse of the fault proxy: a fault option out of range (the message names it), a listen address
 * already taken, or a call on a closed proxy. Codes: `ERR_FAULT_PROXY_CONFIG`, `ERR_FAULT_PROXY_LISTEN`,
 * `ERR_FAULT_PROXY_CLOSED`.
 */
export class FaultProxyError extends RunnelError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
