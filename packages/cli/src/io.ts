/**
 * Where the command writes and what it knows of its terminal. Passed in rather than read from `process`
 * so that tests and other hosts can give their own streams.
 */
import pc from 'picocolors';

/** A writable stream as the command uses it (process.stdout and stderr fit). */
export interface OutputStream {
  /** Writes text; `callback` runs once it is flushed. @returns false when the caller should wait for 'drain'. */
  write(chunk: string, callback?: (error?: Error | null) => void): boolean;
  /** Calls `listener` once the stream can take more after a write returned false. @returns the stream. */
  once(event: 'drain', listener: () => void): unknown;
  /** Calls `listener` on a write error (EPIPE when the reader went away). @returns the stream. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** The string styles of picocolors; every one is the identity when colors are off. */
export type Colors = ReturnType<typeof pc.createColors>;

/** The command's view of its process. */
export interface Io {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads a file named on the command line or in `--config` (PEM files, the properties file). */
  readFile(path: string): string;
  /** Milliseconds since the epoch. */
  now(): number;
}

/**
 * Colors only for a terminal: never when the stream is piped, when `NO_COLOR` is set to anything but
 * the empty string (no-color.org), or when `TERM` is `dumb`; `FORCE_COLOR` (not `0`) turns them on anyway.
 * @returns whether to color what goes to `stream`.
 */
export function colorsWanted(stream: OutputStream, env: Io['env']): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** @returns the styles for `stream`: real ones on a color terminal, identities otherwise. */
export function colorsFor(stream: OutputStream, env: Io['env']): Colors {
  return pc.createColors(colorsWanted(stream, env));
}

/**
 * Writes to a stream with backpressure, and notices when the reader went away (`runnel consume | head`):
 * an EPIPE then marks the output closed instead of crashing the process.
 */
export class Output {
  private closedBy: Error | null = null;

  constructor(private readonly stream: OutputStream) {
    stream.on('error', (error: Error) => {
      this.closedBy = error;
    });
  }

  /** Whether the reader closed its end (further writes are dropped). */
  get closed(): boolean {
    return this.closedBy !== null;
  }

  /**
   * Writes `text`, waiting for the stream to drain when its buffer is full.
   * @returns once the stream takes more; at once when the reader is gone.
   */
  async write(text: string): Promise<void> {
    if (this.closedBy !== null || text === '') return;
    if (this.stream.write(text)) return;
    await new Promise<void>((resolve) => {
      this.stream.once('drain', resolve);
      // A reader that closed never drains: the error listener above marks it, this ends the wait.
      this.stream.write('', () => resolve());
    });
  }
}
