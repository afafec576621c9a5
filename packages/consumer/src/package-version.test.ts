import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONSUMER_VERSION } from './package-version.js';

describe('the version the consumer reports to brokers', () => {
  it("is the package's own version from package.json", () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      name: string;
      version: string;
    };
    expect(manifest.name).toBe('@runnel/consumer');
    expect(CONSUMER_VERSION).toBe(manifest.version);
    expect(CONSUMER_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});
