/** Contenders for isolated.test.ts, built by isolated-child.ts in processes of their own. */
import { writeFileSync } from 'node:fs';

/** A contender that writes its process id to `file` when built. */
export function pidProbe(file: string): () => number {
  writeFileSync(file, String(process.pid));
  let n = 0;
  return () => {
    for (let i = 0; i < 1000; i++) n = (n + i) % 7;
    return n;
  };
}

/** A factory that fails, as one whose input cannot be built. */
export function broken(): never {
  throw new Error('no input for this shape');
}
