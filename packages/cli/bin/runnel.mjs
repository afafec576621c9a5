#!/usr/bin/env node
// The `runnel` command. Compiled code is cached on disk (Node 22.1+), which makes every start after the
// first faster; NODE_DISABLE_COMPILE_CACHE=1 turns that off.
import module from 'node:module';

module.enableCompileCache?.();
let cli;
try {
  cli = await import('../dist/index.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/index.js')) {
    process.stderr.write('runnel: @runnel/cli is not built: run `pnpm build` first\n');
    process.exit(1);
  }
  throw error;
}
const code = await cli.main(process.argv.slice(2), cli.processIo());
// Exit once stdout has taken everything: nothing the command opened may keep the process alive, and
// nothing it printed may be lost when stdout is a pipe.
process.stdout.write('', () => process.exit(code));
