#!/usr/bin/env node
// The release tools run from the built package (tools/release/dist); build it first with `pnpm build`.
let cli;
try {
  cli = await import('../dist/src/cli.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('runnel-release: tools/release is not built: run `pnpm build` first\n');
    process.exit(1);
  }
  throw error;
}
process.exitCode = await cli.main(process.argv.slice(2));
