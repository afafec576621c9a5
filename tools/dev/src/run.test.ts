import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// tools/dev/run.sh on a machine whose node is too old: it must install a supported Node.js from npm
// into the cache, say so, and run everything with it. A fake `node` that says v20 and a fake `npm`
// that records its call and "installs" by linking the real node keep this offline and fast.
const runSh = join(dirname(fileURLToPath(import.meta.url)), '..', 'run.sh');
// A real Node.js binary: under Bun or Deno, process.execPath is theirs, so ask the node on PATH.
const onNode = process.versions.bun === undefined && process.versions.deno === undefined;
const realNode = onNode
  ? process.execPath
  : spawnSync('node', ['-p', 'process.execPath'], { encoding: 'utf8' }).stdout.trim();
const realVersion = spawnSync(realNode, ['-p', 'process.version'], { encoding: 'utf8' }).stdout.trim();

let dir = '';
let fakeBin = '';
let cache = '';
let npmLog = '';

function script(name: string, body: string): void {
  writeFileSync(join(fakeBin, name), `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(join(fakeBin, name), 0o755);
}

function runScript(args: string[], pathFirst: string) {
  return spawnSync('bash', [runSh, ...args], {
    encoding: 'utf8',
    env: {
      PATH: `${pathFirst}:/usr/bin:/bin`,
      HOME: dir,
      XDG_CACHE_HOME: cache,
      FAKE_NPM_LOG: npmLog,
    },
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runnel-run-sh-'));
  fakeBin = join(dir, 'bin');
  cache = join(dir, 'cache');
  npmLog = join(dir, 'npm.log');
  mkdirSync(fakeBin);
  script('node', `if [ "$1" = --version ]; then echo v20.11.1; exit 0; fi\nexec "${realNode}" "$@"`);
  script(
    'npm',
    [
      'echo "$*" >> "$FAKE_NPM_LOG"',
      'prefix=""; prev=""',
      'for a in "$@"; do if [ "$prev" = --prefix ]; then prefix="$a"; fi; prev="$a"; done',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a template.
      'spec="${@: -1}"; pkg="${spec%@*}"',
      'mkdir -p "$prefix/node_modules/$pkg/bin"',
      `ln -s "${realNode}" "$prefix/node_modules/$pkg/bin/node"`,
    ].join('\n'),
  );
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('tools/dev/run.sh', () => {
  it('installs Node.js 24 from npm when the node on PATH is older than 22.15, says so, and runs with it', () => {
    const first = runScript(['exec', 'node', '-p', 'process.version'], fakeBin);
    expect(first.status).toBe(0);
    expect(first.stdout.trim()).toBe(realVersion);
    expect(first.stderr).toMatch(
      /runnel: installing Node\.js 24 \(node-\w+-\w+@24 from npm\) into .*\/runnel\/node24/,
    );
    expect(first.stderr).toContain('the node on PATH is v20.11.1, older than 22.15');
    expect(first.stderr).toContain(`using Node.js ${realVersion}`);
    const calls = readFileSync(npmLog, 'utf8').trim().split('\n');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(new RegExp(`^install .*--prefix ${cache}/runnel/node24 node-\\w+-\\w+@24$`));

    // The second time it uses the cached one without installing again.
    const second = runScript(['exec', 'node', '-p', 'process.version'], fakeBin);
    expect(second.status).toBe(0);
    expect(second.stdout.trim()).toBe(realVersion);
    expect(second.stderr).not.toContain('installing');
    expect(readFileSync(npmLog, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('takes another line from RUNNEL_NODE_LINE', () => {
    const result = spawnSync('bash', [runSh, 'exec', 'true'], {
      encoding: 'utf8',
      env: {
        PATH: `${fakeBin}:/usr/bin:/bin`,
        HOME: dir,
        XDG_CACHE_HOME: cache,
        FAKE_NPM_LOG: npmLog,
        RUNNEL_NODE_LINE: '26',
      },
    });
    expect(result.status).toBe(0);
    expect(existsSync(join(cache, 'runnel', 'node26'))).toBe(true);
    expect(readFileSync(npmLog, 'utf8')).toMatch(/@26\n$/);
  });

  it('keeps a supported node on PATH and stays quiet', () => {
    const result = runScript(['exec', 'node', '-p', 'process.version'], dirname(realNode));
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(realVersion);
    expect(result.stderr).toBe('');
    expect(existsSync(npmLog)).toBe(false);
  });

  it('fails with a clear message when npm cannot install Node.js', () => {
    script('npm', 'echo "npm error 404" >&2; exit 1');
    const result = runScript(['exec', 'node', '--version'], fakeBin);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('runnel: installing Node.js 24');
    expect(result.stderr).toContain('npm error 404');
  });
});
