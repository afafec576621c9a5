import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaToolError } from './errors.js';
import { compileJava, requireJdkProgram, runJava } from './java.js';
import { kafkaCacheDir } from './paths.js';

const NO_JAVA = { PATH: '/nonexistent-runnel-bin' };

async function rejection(promise: Promise<unknown>): Promise<KafkaToolError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KafkaToolError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('finding Java', () => {
  let fakeHome: string;
  beforeAll(async () => {
    fakeHome = await mkdtemp(join(tmpdir(), 'runnel-fake-jdk-'));
    await mkdir(join(fakeHome, 'bin'));
    await writeFile(join(fakeHome, 'bin', 'java'), '#!/bin/sh\n');
    await chmod(join(fakeHome, 'bin', 'java'), 0o755);
  });
  afterAll(() => rm(fakeHome, { recursive: true, force: true }));

  it('prefers JAVA_HOME/bin over PATH', () => {
    expect(requireJdkProgram('java', { ...NO_JAVA, JAVA_HOME: fakeHome })).toBe(
      join(fakeHome, 'bin', 'java'),
    );
  });

  it('says in one line that java is missing when neither PATH nor JAVA_HOME has it', () => {
    let caught: unknown;
    try {
      requireJdkProgram('java', NO_JAVA);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KafkaToolError);
    expect((caught as KafkaToolError).code).toBe('ERR_KAFKA_NO_JAVA');
    expect((caught as KafkaToolError).message).toBe(
      'java not found in PATH (JAVA_HOME is not set): install a JDK 17 or newer, or set JAVA_HOME',
    );
  });

  it('names JAVA_HOME in the message when it is set but holds no javac', () => {
    expect(() => requireJdkProgram('javac', { ...NO_JAVA, JAVA_HOME: fakeHome })).toThrow(
      `javac not found in JAVA_HOME=${fakeHome} or PATH: install a JDK 17 or newer, or set JAVA_HOME`,
    );
  });

  it('makes runJava reject with the typed error before downloading anything', async () => {
    const error = await rejection(
      runJava({ version: '3.9', mainClass: 'org.apache.kafka.tools.TopicCommand', env: NO_JAVA }),
    );
    expect(error.code).toBe('ERR_KAFKA_NO_JAVA');
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('makes compileJava reject with the typed error when javac is missing', async () => {
    const error = await rejection(
      compileJava({ version: '4', sources: ['X.java'], outDir: tmpdir(), env: NO_JAVA }),
    );
    expect(error.code).toBe('ERR_KAFKA_NO_JAVA');
    expect(error.message).toMatch(/^javac not found in PATH/);
  });
});

describe('kafkaCacheDir', () => {
  it('lives under XDG_CACHE_HOME when it is set', () => {
    expect(kafkaCacheDir('4.4.0', { XDG_CACHE_HOME: '/var/cache/me', HOME: '/home/me' })).toBe(
      '/var/cache/me/runnel/kafka/4.4.0',
    );
  });

  it('falls back to ~/.cache when XDG_CACHE_HOME is unset or relative', () => {
    expect(kafkaCacheDir('3.9.2', { HOME: '/home/me' })).toBe('/home/me/.cache/runnel/kafka/3.9.2');
    expect(kafkaCacheDir('3.9.2', { HOME: '/home/me', XDG_CACHE_HOME: 'rel' })).toBe(
      '/home/me/.cache/runnel/kafka/3.9.2',
    );
  });
});
