import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PEERS_DIR } from './paths.js';
import {
  CONFLUENT_VERSION,
  FRANZ_GO_VERSION,
  installedVersion,
  KAFKAJS_VERSION,
  NODE_RDKAFKA_VERSION,
  PLATFORMATIC_VERSION,
} from './peers.js';

const manifest = (dir: string) =>
  JSON.parse(readFileSync(join(PEERS_DIR, dir, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };

describe('peer manifests', () => {
  it('pin the exact versions the results name', () => {
    expect(manifest('node').dependencies.kafkajs).toBe(KAFKAJS_VERSION);
    expect(manifest('node').dependencies['@platformatic/kafka']).toBe(PLATFORMATIC_VERSION);
    expect(manifest('rdkafka').dependencies['node-rdkafka']).toBe(NODE_RDKAFKA_VERSION);
    expect(manifest('confluent').dependencies['@confluentinc/kafka-javascript']).toBe(CONFLUENT_VERSION);
    for (const version of Object.values(manifest('node').dependencies))
      expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('build franz-go at the version the results name', () => {
    const goMod = readFileSync(join(PEERS_DIR, 'franz-go', 'go.mod'), 'utf8');
    expect(goMod).toMatch(
      new RegExp(`github\\.com/twmb/franz-go v${FRANZ_GO_VERSION.replace(/\./g, '\\.')}\\b`),
    );
  });
});

describe('installedVersion', () => {
  it('is undefined for a package that is not installed', () => {
    expect(installedVersion(join(PEERS_DIR, 'node'), 'no-such-package-here')).toBeUndefined();
  });

  it("reads an installed package's version without the v node-rdkafka writes", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runnel-peers-'));
    try {
      await mkdir(join(dir, 'node_modules', 'node-rdkafka'), { recursive: true });
      await writeFile(join(dir, 'node_modules', 'node-rdkafka', 'package.json'), '{"version":"v3.6.1"}');
      expect(installedVersion(dir, 'node-rdkafka')).toBe('3.6.1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
