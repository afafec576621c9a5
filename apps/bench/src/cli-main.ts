/**
 * Runs a bench command's `main` and exits with the status it returns; an error thrown out of it is
 * printed with its stack and exits 1. Every bench command ends with it.
 */
export function runCli(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
