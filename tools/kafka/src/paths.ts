import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * Returns the per-version cache folder, `${XDG_CACHE_HOME:-$HOME/.cache}/runnel/kafka/<version>`.
 * It lives outside the repository so that jars download once per machine, not once per checkout.
 */
export function kafkaCacheDir(version: string, env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg !== undefined && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.cache');
  return join(base, 'runnel', 'kafka', version);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Returns the absolute path of `name` found on `env.PATH`, or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Returns the path of a JDK program (`java`, `javac`): `$JAVA_HOME/bin/<name>` when that exists,
 * else the first one on PATH, else undefined.
 */
export function findJdkProgram(
  name: 'java' | 'javac',
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const home = env.JAVA_HOME;
  if (home !== undefined && home !== '') {
    const candidate = join(home, 'bin', name);
    if (isExecutable(candidate)) return candidate;
  }
  return findOnPath(name, env);
}
