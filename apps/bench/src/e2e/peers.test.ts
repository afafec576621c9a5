import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PEERS_DIR } from './paths.js';
import {
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
});
