#!/usr/bin/env node
// The CLI runs from the built package (tools/kafka/dist); build it first with `pnpm build`.
let cli;
try {
  cli = await import('../dist/cli.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('kafka: tools/kafka is not built: run `pnpm build` first\n');
    process.exit(1);
  }
  throw error;
}
// Exit explicitly: a started cluster runs detached, and nothing else should keep this process alive.
process.exit(await cli.main(process.argv.slice(2)));
