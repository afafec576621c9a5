import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileJava } from '@runnel/kafka-local';
import { testCluster } from '@runnel/kafka-local/vitest';
import { describe, expect, it } from 'vitest';
import { KAFKA_DEFINITIONS_VERSION, KAFKA_ERRORS } from './index.js';

describe("the error table against Kafka's Errors enum", () => {
  it('has every code of the Kafka version under test with the same name and retriable flag', async () => {
    const cluster = testCluster();
    const classes = mkdtempSync(join(tmpdir(), 'runnel-errors-'));
    const source = fileURLToPath(new URL('./test-support/java/KafkaErrorTable.java', import.meta.url));
    await compileJava({ version: cluster.version, sources: [source], outDir: classes });
    const result = await cluster.runJava('KafkaErrorTable', [], { classpath: [classes] });
    expect(result.code, result.stderr).toBe(0);
    const kafka = result.stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [code, name, retriable] = line.split('\t');
        return { code: Number(code), name, retriable: retriable === 'true' };
      });
    expect(kafka.length).toBeGreaterThan(100);
    const ours = kafka.map((k) => {
      const info = KAFKA_ERRORS.get(k.code);
      return { code: k.code, name: info?.name, retriable: info?.retriable };
    });
    expect(ours).toEqual(kafka);
    // Against the version the table was taken from, nothing is missing the other way either.
    if (cluster.version === KAFKA_DEFINITIONS_VERSION) expect(KAFKA_ERRORS.size).toBe(kafka.length);
  });
});
