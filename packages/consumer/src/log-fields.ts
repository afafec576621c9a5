/**
 * The fields every warn and error line of the consumer carries besides its message: a stable `event`
 * name (listed in docs/log-events.md) and the error's stable `code`, so that log pipelines can alert
 * on them without parsing messages.
 */

/** @returns the error's stable `code` (RunnelError, Node system errors), or `UNKNOWN` when it has none. */
export function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/** @returns the log fields of a failure: the stable event name, the error's code, and the error itself. */
export function failure(event: string, error: unknown): { event: string; code: string; err: unknown } {
  return { event, code: codeOf(error), err: error };
}
