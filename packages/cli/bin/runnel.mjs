#!/usr/bin/env node
// The `runnel` command, from its one-file build (dist/runnel.mjs, see scripts/bundle.mjs). Compiled code
// is cached on disk (Node 22.1+), which makes every start after the first faster;
// NODE_DISABLE_COMPILE_CACHE=1 turns that off.
import module from 'node:module';

module.enableCompileCache?.();
const argv = process.argv.slice(2);
// Stacks printed under --debug point into the sources, through the bundle's source map.
if (argv.includes('--debug')) process.setSourceMapsEnabled(true);
let cli;
try {
  cli = await import('../dist/runnel.mjs');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('runnel.mjs')) {
    process.stderr.write('runnel: @runnel/cli is not built: run `pnpm build` first\n');
    process.exit(1);
  }
  throw error;
}
const code = await cli.main(argv, cli.processIo());
// Exit once stdout has taken everything: nothing the command opened may keep the process alive, and
// nothing it printed may be lost when stdout is a pipe.
process.stdout.write('', () => process.exit(code));
