import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTopic,
  type KafkaCluster,
  type KafkaSecurityInfo,
  producePerf,
  startKafka,
} from '@runnel/kafka-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireFreshBuild, runCli } from './test-support/run-cli.js';

const TOPIC = 'cli-secured';
const RECORDS = 30;
const PLAIN = 'org.apache.kafka.common.security.plain.PlainLoginModule';
const SCRAM = 'org.apache.kafka.common.security.scram.ScramLoginModule';

let kafka: KafkaCluster;
let security: KafkaSecurityInfo;
let dir: string;
let caFile: string;

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

/** Writes a Java client properties file. @returns its path. */
function properties(name: string, entries: Record<string, string>): string {
  const file = join(dir, `${name}.properties`);
  writeFileSync(
    file,
    Object.entries(entries)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  return file;
}

beforeAll(async () => {
  requireFreshBuild();
  kafka = await startKafka({ security: true });
  security = kafka.security!;
  dir = mkdtempSync(join(tmpdir(), 'runnel-cli-security-'));
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, security.certificates.caPem);
  await createTopic(kafka, { topic: TOPIC, partitions: 2 });
  expect((await producePerf(kafka, { topic: TOPIC, numRecords: RECORDS, recordSize: 16 })).records).toBe(
    RECORDS,
  );
}, 240_000);

afterAll(async () => {
  await kafka?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('runnel --config with a Java client properties file', () => {
  it('consumes over SASL_PLAINTEXT with PLAIN', async () => {
    const [username, password] = Object.entries(security.plainUsers)[0]!;
    const config = properties('plain', {
      'bootstrap.servers': security.listeners.SASL_PLAINTEXT,
      'security.protocol': 'SASL_PLAINTEXT',
      'sasl.mechanism': 'PLAIN',
      'sasl.jaas.config': `${PLAIN} required username="${username}" password="${password}";`,
    });
    const r = await runCli(['consume', TOPIC, '--config', config, '-f', '%p:%o\\n']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(new Set(lines(r.stdout)).size).toBe(RECORDS);
  });

  it('describes a topic over SASL_SSL with SCRAM-SHA-512 and a PEM truststore file', async () => {
    const [username, password] = Object.entries(security.scramUsers)[0]!;
    const config = properties('scram-ssl', {
      'security.protocol': 'SASL_SSL',
      'sasl.mechanism': 'SCRAM-SHA-512',
      'sasl.jaas.config': `${SCRAM} required username="${username}" password="${password}";`,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': caFile,
    });
    const r = await runCli([
      'topics',
      'describe',
      TOPIC,
      '-b',
      security.listeners.SASL_SSL,
      '--config',
      config,
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as { partitions: { latest: number }[] };
    expect(d.partitions.reduce((sum, p) => sum + p.latest, 0)).toBe(RECORDS);
  });

  it('lists groups over mutual TLS with a PEM keystore holding the key and certificate', async () => {
    const keystore = join(dir, 'client-keystore.pem');
    writeFileSync(keystore, `${security.certificates.clientKeyPem}\n${security.certificates.clientCertPem}`);
    const config = properties('mtls', {
      'security.protocol': 'SSL',
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': caFile,
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': keystore,
    });
    const r = await runCli(['groups', 'list', '-b', security.listeners.MTLS, '--config', config]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^GROUP +TYPE +STATE +PROTOCOL-TYPE$/m);
  });

  it('turns host name checks off with an empty ssl.endpoint.identification.algorithm, as Java does', async () => {
    const base = {
      'security.protocol': 'SSL',
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': caFile,
    };
    const checked = await runCli([
      'topics',
      'list',
      '-b',
      security.listeners.WRONG_HOST,
      '--config',
      properties('checked', base),
      '--timeout',
      '5000',
    ]);
    expect(checked.code).toBe(1);
    expect(lines(checked.stderr)).toHaveLength(1);
    expect(checked.stderr).toMatch(/^runnel: .*(wrong-host\.invalid|host ?name|altnames)/i);
    const unchecked = properties('unchecked', { ...base, 'ssl.endpoint.identification.algorithm': '' });
    const r = await runCli(['topics', 'list', '-b', security.listeners.WRONG_HOST, '--config', unchecked]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('the TLS and SASL flags', () => {
  it('consume over SASL_SSL with SCRAM-SHA-256, --ca, and the password from KAFKA_SASL_PASSWORD', async () => {
    const [username, password] = Object.entries(security.scramUsers)[0]!;
    const r = await runCli(
      [
        'consume',
        TOPIC,
        '-b',
        security.listeners.SASL_SSL,
        '--ca',
        caFile,
        '--sasl-mechanism',
        'SCRAM-SHA-256',
        '--sasl-username',
        username,
        '-n',
        '5',
        '--json',
      ],
      { env: { KAFKA_SASL_PASSWORD: password } },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(5);
  });

  it('a refused password ends with exit 1 and one line that does not show it', async () => {
    const username = Object.keys(security.scramUsers)[0]!;
    const wrong = 'not-the-password-1234';
    const r = await runCli([
      'consume',
      TOPIC,
      '-b',
      security.listeners.SASL_PLAINTEXT,
      '--sasl-mechanism',
      'SCRAM-SHA-512',
      '--sasl-username',
      username,
      '--sasl-password',
      wrong,
      '--debug',
    ]);
    expect(r.code).toBe(1);
    // --debug puts the client log before the error line; the password shows in neither.
    const reported = lines(r.stderr).filter((l) => l.startsWith('runnel: '));
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatch(/authentication/i);
    expect(r.stderr).toContain('SaslAuthenticationError');
    expect(r.stderr).not.toContain(wrong);
  });

  it('a SASL listener reached without SASL is a clean error, not a hang', async () => {
    const r = await runCli(['topics', 'list', '-b', security.listeners.SASL_PLAINTEXT, '--timeout', '5000']);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^runnel: .*SASL/);
  });
});
