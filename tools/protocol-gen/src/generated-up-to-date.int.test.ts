import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureKafkaJars } from '@runnel/kafka-local';
import { describe, expect, it } from 'vitest';
import { generate } from './generate.js';
import { emitErrorCodes, readKafkaErrors } from './kafka-errors.js';
import { PROTOCOL_KAFKA_VERSION } from './pinned-version.js';
import { readZipEntries } from './zip.js';

const protocolSrc = fileURLToPath(new URL('../../../packages/protocol/src/', import.meta.url));

describe('the committed generated code', () => {
  it('is what the generator produces from the pinned Kafka version, error codes included', async () => {
    const lib = await ensureKafkaJars(PROTOCOL_KAFKA_VERSION);
    const jar = readFileSync(join(lib, `kafka-clients-${PROTOCOL_KAFKA_VERSION}.jar`));
    const definitions = new Map(
      [...readZipEntries(jar, (n) => /^common\/message\/[^/]+\.json$/.test(n))].map(([name, bytes]) => [
        name.slice('common/message/'.length),
        new TextDecoder().decode(bytes),
      ]),
    );
    const files = generate(definitions, PROTOCOL_KAFKA_VERSION);
    files.set('generated/error-codes.ts', emitErrorCodes(readKafkaErrors(lib), PROTOCOL_KAFKA_VERSION));
    expect(files.size).toBeGreaterThan(100);
    const stale = [...files].filter(([path, text]) => readFileSync(join(protocolSrc, path), 'utf8') !== text);
    expect(stale.map(([path]) => path)).toEqual([]);
  });
});
