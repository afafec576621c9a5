import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaToolError } from './errors.js';
import { execFile, lastLines } from './exec.js';
import { findOnPath, kafkaCacheDir } from './paths.js';
import { kafkaVersionProfile } from './versions.js';

/** Written into a lib dir before it is renamed into place; a lib dir without it is not trusted. */
const COMPLETE_MARKER = '.runnel-complete';
const DOWNLOAD_TIMEOUT_MS = 15 * 60_000;
const LOCK_STALE_MS = 20 * 60_000;

/**
 * Returns the Maven pom that lists a Kafka version's runtime jars: the broker (kafka_2.13), the
 * command-line tools (kafka-tools, which brings kafka-clients) and the logging binding for that version.
 *
 * @throws KafkaToolError when the version is not supported.
 */
export function renderJarsPom(version: string): string {
  const profile = kafkaVersionProfile(version);
  const coordinates = [
    `org.apache.kafka:kafka_2.13:${profile.version}`,
    `org.apache.kafka:kafka-tools:${profile.version}`,
    ...profile.loggingArtifacts,
  ];
  const dependencies = coordinates.map((coordinate) => {
    const [groupId, artifactId, v] = coordinate.split(':');
    return `    <dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${v}</version></dependency>`;
  });
  return [
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    `  <groupId>dev.runnel</groupId><artifactId>kafka-jars</artifactId><version>${profile.version}</version>`,
    '  <packaging>pom</packaging>',
    '  <dependencies>',
    ...dependencies,
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

/** Jars whose absence means the download is unusable, whatever Maven said. */
function requiredJars(version: string): string[] {
  const profile = kafkaVersionProfile(version);
  return [
    `kafka_2.13-${profile.version}.jar`,
    `kafka-tools-${profile.version}.jar`,
    `kafka-clients-${profile.version}.jar`,
    ...profile.loggingArtifacts.map((c) => {
      const [, artifactId, v] = c.split(':');
      return `${artifactId}-${v}.jar`;
    }),
  ];
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function lockIsStale(lockDir: string): Promise<boolean> {
  try {
    const owner = Number.parseInt(await readFile(join(lockDir, 'owner'), 'utf8'), 10);
    if (Number.isSafeInteger(owner) && owner > 0 && !pidAlive(owner)) return true;
  } catch {
    // The owner file is written just after the lock dir; until then only age tells.
  }
  try {
    return Date.now() - (await stat(lockDir)).mtimeMs > LOCK_STALE_MS;
  } catch {
    return false;
  }
}

/**
 * Takes an inter-process lock: `mkdir` is atomic, so exactly one process creates the lock dir. A lock
 * whose owner died (or that is older than any download could take) is broken.
 */
async function acquireLock(lockDir: string, timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, 'owner'), String(process.pid));
      return () => rm(lockDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await lockIsStale(lockDir)) {
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new KafkaToolError(
        `timed out waiting for another process to download Kafka jars (lock ${lockDir})`,
      );
    }
    await sleep(250);
  }
}

/**
 * Makes sure every runtime jar of a Kafka version is on this machine, downloading them once with
 * Maven into `${XDG_CACHE_HOME:-$HOME/.cache}/runnel/kafka/<version>/lib`. The download goes to a
 * temp dir that is renamed into place, under a lock, so concurrent callers never see half a lib dir.
 *
 * @param version an exact supported version or an alias (see `resolveKafkaVersion`).
 * @returns the absolute path of the lib dir (put `<libDir>/*` on the classpath).
 * @throws KafkaToolError when the version is unsupported, `mvn` is missing, or the download fails.
 */
export async function ensureKafkaJars(version: string): Promise<string> {
  const profile = kafkaVersionProfile(version);
  const root = kafkaCacheDir(profile.version);
  const lib = join(root, 'lib');
  if (existsSync(join(lib, COMPLETE_MARKER))) return lib;

  await mkdir(root, { recursive: true });
  const release = await acquireLock(join(root, '.lock'), DOWNLOAD_TIMEOUT_MS + 60_000);
  try {
    if (existsSync(join(lib, COMPLETE_MARKER))) return lib;
    const mvn = findOnPath('mvn');
    if (mvn === undefined) {
      throw new KafkaToolError(
        `mvn not found on PATH: install Maven to download the Kafka ${profile.version} jars`,
      );
    }
    const work = await mkdtemp(join(root, 'download-'));
    try {
      await writeFile(join(work, 'pom.xml'), renderJarsPom(profile.version));
      const result = await execFile(
        mvn,
        [
          '-B',
          '-q',
          '-f',
          join(work, 'pom.xml'),
          'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies',
          '-DincludeScope=runtime',
          `-DoutputDirectory=${join(work, 'lib')}`,
        ],
        { cwd: work, timeoutMs: DOWNLOAD_TIMEOUT_MS, label: `mvn (Kafka ${profile.version} jars)` },
      );
      if (result.code !== 0) {
        throw new KafkaToolError(
          `downloading the Kafka ${profile.version} jars with Maven failed (exit ${result.code})\n` +
            lastLines(result.stdout + result.stderr, 30),
        );
      }
      const missing = requiredJars(profile.version).filter((jar) => !existsSync(join(work, 'lib', jar)));
      if (missing.length > 0) {
        throw new KafkaToolError(`the Kafka ${profile.version} download lacks ${missing.join(', ')}`);
      }
      await writeFile(join(work, 'lib', COMPLETE_MARKER), `${new Date().toISOString()}\n`);
      // A lib dir without the marker is the remains of an older, interrupted layout: replace it.
      await rm(lib, { recursive: true, force: true });
      await rename(join(work, 'lib'), lib);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    return lib;
  } finally {
    await release();
  }
}
