// Bundles the built command (dist/index.js and everything it imports, @runnel/* packages and commander
// included) into one file, dist/runnel.mjs, which bin/runnel.mjs runs. One module instead of some 250
// halves the CPU the start costs: Node resolves, reads and links each ES module on its own. Node's
// built-ins and the optional native CRC32C package (loaded with createRequire when present) stay outside.
import { rolldown } from 'rolldown';

const bundle = await rolldown({
  input: new URL('../dist/index.js', import.meta.url).pathname,
  platform: 'node',
  external: [/^node:/],
  logLevel: 'warn',
});
await bundle.write({
  file: new URL('../dist/runnel.mjs', import.meta.url).pathname,
  format: 'esm',
  codeSplitting: false,
  sourcemap: true,
});
await bundle.close();
