// What the user programs that tests run in child processes (consume-child.mjs, share-consume-child.mjs)
// print: one JSON object per line on stdout, each with `at` (Date.now() when printed), errors as their
// name, code, message and causes, and a logger that prints each line it is given at info and above as a
// `log` event.

/** Prints `event` as one JSON line. */
export const print = (event) => process.stdout.write(`${JSON.stringify({ ...event, at: Date.now() })}\n`);

/** @returns what a test needs of an error (name, code, message, causes), or undefined for a non-error. */
export const errorOf = (err) =>
  err instanceof Error
    ? {
        name: err.name,
        code: err.code,
        message: err.message,
        cause: err.cause ? errorOf(err.cause) : undefined,
      }
    : undefined;

const at = (level) => (obj, msg) => print({ event: 'log', level, msg, err: errorOf(obj?.err) });

/** A logger printing `log` events (debug is dropped). */
export const logger = { debug: () => {}, info: at('info'), warn: at('warn'), error: at('error') };
