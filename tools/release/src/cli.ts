import { checkPackages } from './check.js';
import { report } from './report.js';
import { smoke } from './smoke.js';
import { repositoryRoot } from './workspace.js';

const USAGE = 'usage: runnel-release check|smoke';

/**
 * The release tools' command line: `check` (manifests, tarball contents, publint, attw) and `smoke`
 * (install the release's tarballs outside the workspace and run them).
 *
 * @returns the process exit code: 0 when every check passed, 1 when one failed, 2 on a usage error.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const root = repositoryRoot();
  switch (argv[0]) {
    case 'check':
      return report('package-check', await checkPackages(root)) ? 0 : 1;
    case 'smoke':
      return report('tarball-smoke', await smoke(root)) ? 0 : 1;
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}
