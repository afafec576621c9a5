import { readFileSync } from 'node:fs';
import type { ProcessIo } from './main.js';

/** @returns the real process as `main` uses it: its stdout, stderr, environment, files, clock and signals. */
export function processIo(): ProcessIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    readFile: (path) => readFileSync(path, 'utf8'),
    now: () => Date.now(),
    onInterrupt(listener) {
      const onInt = () => listener('SIGINT');
      const onTerm = () => listener('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
    exitNow: (code) => process.exit(code),
  };
}
