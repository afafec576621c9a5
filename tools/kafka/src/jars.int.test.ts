import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureKafkaJars } from './jars.js';
import { compileJava } from './java.js';
import { findOnPath } from './paths.js';
import { testCluster } from './test-cluster.js';

describe('ensureKafkaJars', () => {
  let scratch: string;
  const saved = { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, PATH: process.env.PATH };

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'runnel-jars-'));
    // A mvn that records each call before handing over to the real one, to count downloads.
    const bin = join(scratch, 'bin');
    await mkdir(bin);
    const realMvn = findOnPath('mvn');
    await writeFile(
      join(bin, 'mvn'),
      `#!/bin/sh\necho call >> "${join(scratch, 'mvn-calls')}"\nexec "${realMvn}" "$@"\n`,
    );
    await chmod(join(bin, 'mvn'), 0o755);
    process.env.XDG_CACHE_HOME = join(scratch, 'cache');
    process.env.PATH = `${bin}${delimiter}${saved.PATH}`;
  });

  afterAll(async () => {
    process.env.XDG_CACHE_HOME = saved.XDG_CACHE_HOME;
    if (saved.XDG_CACHE_HOME === undefined) delete process.env.XDG_CACHE_HOME;
    process.env.PATH = saved.PATH;
    await rm(scratch, { recursive: true, force: true });
  });

  it('downloads a version once even when two callers ask at the same time, and not again later', async () => {
    const [first, second] = await Promise.all([ensureKafkaJars('3.9'), ensureKafkaJars('3.9.2')]);
    const third = await ensureKafkaJars('3.9');

    const lib = join(scratch, 'cache', 'runnel', 'kafka', '3.9.2', 'lib');
    expect([first, second, third]).toEqual([lib, lib, lib]);
    expect((await readFile(join(scratch, 'mvn-calls'), 'utf8')).trim().split('\n')).toEqual(['call']);
    const jars = await readdir(lib);
    for (const jar of [
      'kafka_2.13-3.9.2.jar',
      'kafka-tools-3.9.2.jar',
      'kafka-clients-3.9.2.jar',
      'reload4j-1.2.25.jar',
    ]) {
      expect(jars).toContain(jar);
    }
    // Neither the temp download dir nor the lock is left behind.
    expect(await readdir(join(scratch, 'cache', 'runnel', 'kafka', '3.9.2'))).toEqual(['lib']);
  });
});

describe('compileJava and runJava', () => {
  it('compile a program against kafka-clients and run it with the cluster version on the classpath', async () => {
    const cluster = testCluster();
    const dir = await mkdtemp(join(tmpdir(), 'runnel-javac-'));
    try {
      const source = join(dir, 'VersionProbe.java');
      await writeFile(
        source,
        [
          'import java.io.BufferedReader;',
          'import java.io.InputStreamReader;',
          'import java.util.Properties;',
          'import org.apache.kafka.common.serialization.StringSerializer;',
          'public class VersionProbe {',
          '  public static void main(String[] args) throws Exception {',
          '    Properties info = new Properties();',
          '    info.load(StringSerializer.class.getResourceAsStream("/kafka/kafka-version.properties"));',
          '    String line = new BufferedReader(new InputStreamReader(System.in)).readLine();',
          '    int bytes = new StringSerializer().serialize("t", line).length;',
          '    System.out.println(info.getProperty("version") + " " + args[0] + " " + line + " " + bytes);',
          '  }',
          '}',
        ].join('\n'),
      );
      const outDir = join(dir, 'classes');
      await compileJava({ version: cluster.version, sources: [source], outDir });
      expect(existsSync(join(outDir, 'VersionProbe.class'))).toBe(true);

      const result = await cluster.runJava('VersionProbe', ['arg'], {
        classpath: [outDir],
        input: 'from-stdin\n',
      });
      expect(result).toEqual({ stdout: `${cluster.version} arg from-stdin 10\n`, stderr: '', code: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('report javac diagnostics in a typed error when a program does not compile', async () => {
    const cluster = testCluster();
    const dir = await mkdtemp(join(tmpdir(), 'runnel-javac-'));
    try {
      const source = join(dir, 'Broken.java');
      await writeFile(source, 'public class Broken { void f() { int x = "text"; } }\n');
      await expect(compileJava({ version: cluster.version, sources: [source], outDir: dir })).rejects.toThrow(
        /^javac failed \(exit 1\)[\s\S]*incompatible types/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
