/** @runnel/cli: the `runnel` command. `main` runs it; the bin (`bin/runnel.mjs`) is its only caller. */
export {
  CliTimeoutError,
  GroupNotEmptyError,
  GroupNotFoundError,
  RecordFormatError,
  TopicNotFoundError,
  UsageError,
} from './errors.js';
export type { Io, OutputStream } from './io.js';
export { main, type ProcessIo } from './main.js';
export { processIo } from './process-io.js';
