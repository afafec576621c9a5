import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KafkaToolError } from './errors.js';
import { execFile, lastLines } from './exec.js';
import { findOnPath } from './paths.js';
import type { PropertyValue } from './properties.js';

/** PEM files made for a test cluster: a CA, a broker certificate it signed, and client identities. */
export interface TestCertificates {
  /** The CA that signed the broker and client certificates (PEM). Clients trust this one. */
  readonly caPem: string;
  /** A second, unrelated CA (PEM): a client trusting only this one must reject the broker. */
  readonly untrustedCaPem: string;
  /** Client certificate signed by the CA (PEM), for the mutual-TLS listener. */
  readonly clientCertPem: string;
  /** The client certificate's private key (PKCS#8 PEM, unencrypted). */
  readonly clientKeyPem: string;
  /** Files the broker reads: key + chain, and the CA as its trust store. */
  readonly files: {
    readonly brokerKeystore: string;
    readonly wrongHostKeystore: string;
    readonly truststore: string;
  };
}

/** Names the broker's certificate carries, so clients verifying either address succeed. */
const BROKER_SANS = 'subjectAltName=IP:127.0.0.1,DNS:localhost';
/** The certificate of the `WRONG_HOST` listener names only a host nobody connects to. */
const WRONG_HOST_SANS = 'subjectAltName=DNS:wrong-host.invalid';

/**
 * Generates, with `openssl`, a CA, a broker certificate (SAN 127.0.0.1 and localhost), a broker
 * certificate for another host name only, a client certificate, and an unrelated CA, into `dir`. EC P-256
 * keys keep it fast (about 0.1 s). Kafka reads the PEM files directly (`ssl.keystore.type=PEM`).
 *
 * @returns the PEM texts a client needs and the files the broker reads.
 * @throws KafkaToolError when openssl is missing or fails.
 */
export async function generateTestCertificates(dir: string): Promise<TestCertificates> {
  const openssl = findOnPath('openssl');
  if (openssl === undefined) throw new KafkaToolError('openssl is needed to generate test certificates');
  await mkdir(dir, { recursive: true });
  const run = async (args: string[]): Promise<void> => {
    const result = await execFile(openssl, args, { cwd: dir, timeoutMs: 30_000, label: 'openssl' });
    if (result.code !== 0) {
      throw new KafkaToolError(
        `openssl ${args[0]} failed (exit ${result.code})\n${lastLines(result.stderr, 10)}`,
      );
    }
  };
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const makeCa = (name: string) =>
    run([
      'req',
      '-x509',
      ...newKey,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '7',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  const makeLeaf = async (name: string, extensions: string): Promise<void> => {
    await run(['req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    await writeFile(join(dir, `${name}.ext`), `${extensions}\n`);
    await run([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '7',
      '-extfile',
      `${name}.ext`,
    ]);
  };
  await makeCa('ca');
  await makeCa('untrusted-ca');
  await makeLeaf('broker', `${BROKER_SANS}\nextendedKeyUsage=serverAuth`);
  await makeLeaf('wrong-host', `${WRONG_HOST_SANS}\nextendedKeyUsage=serverAuth`);
  await makeLeaf('client', 'extendedKeyUsage=clientAuth');
  const read = (file: string) => readFile(join(dir, file), 'utf8');
  const [caPem, untrustedCaPem, clientCertPem, clientKeyPem] = await Promise.all([
    read('ca.crt'),
    read('untrusted-ca.crt'),
    read('client.crt'),
    read('client.key'),
  ]);
  // Kafka's PEM key store wants the private key and its certificate chain in one file.
  const keystore = async (name: string): Promise<string> => {
    const file = join(dir, `${name}-keystore.pem`);
    await writeFile(file, (await read(`${name}.key`)) + (await read(`${name}.crt`)) + caPem);
    return file;
  };
  return {
    caPem,
    untrustedCaPem,
    clientCertPem,
    clientKeyPem,
    files: {
      brokerKeystore: await keystore('broker'),
      wrongHostKeystore: await keystore('wrong-host'),
      truststore: join(dir, 'ca.crt'),
    },
  };
}

/** The secured listeners `startKafka({ security })` adds beside PLAINTEXT, by Kafka listener name. */
export const SECURED_LISTENERS = ['SSL', 'SASL_PLAINTEXT', 'SASL_SSL', 'MTLS', 'WRONG_HOST'] as const;
export type SecuredListener = (typeof SECURED_LISTENERS)[number];

/** What `startKafka`'s `security` option configures. Every field has a test-friendly default. */
export interface KafkaSecurityOptions {
  /** PLAIN users (name -> password); default `{ alice: 'alice-secret' }`. */
  readonly plainUsers?: Readonly<Record<string, string>>;
  /** SCRAM users, created for both SCRAM-SHA-256 and SCRAM-SHA-512; default `{ scram-user: 'scram-secret' }`. */
  readonly scramUsers?: Readonly<Record<string, string>>;
  /** SCRAM iteration count stored for the users (default 4096, Kafka's minimum). */
  readonly scramIterations?: number;
  /** `connections.max.reauth.ms` (KIP-368): the SASL session lifetime; default unset (no re-authentication). */
  readonly reauthMs?: number;
}

/** How a client reaches the secured listeners of a cluster, and with which credentials. */
export interface KafkaSecurityInfo {
  /**
   * `host:port` of node 1's listener of each kind: `SSL` (server-authenticated TLS), `SASL_PLAINTEXT`,
   * `SASL_SSL`, `MTLS` (TLS requiring a client certificate) and `WRONG_HOST` (TLS whose certificate
   * names only `wrong-host.invalid`).
   */
  readonly listeners: Readonly<Record<SecuredListener, string>>;
  /** Every node's listener of each kind, comma-separated, as `bootstrap.servers` takes it. */
  readonly bootstrap: Readonly<Record<SecuredListener, string>>;
  readonly certificates: Omit<TestCertificates, 'files'>;
  readonly plainUsers: Readonly<Record<string, string>>;
  readonly scramUsers: Readonly<Record<string, string>>;
}

/** Ports of one node's secured listeners. */
export type SecuredPorts = Readonly<Record<SecuredListener, number>>;

const JAAS_PLAIN = 'org.apache.kafka.common.security.plain.PlainLoginModule';
const JAAS_SCRAM = 'org.apache.kafka.common.security.scram.ScramLoginModule';
const JAAS_OAUTH = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule';
const UNSECURED_VALIDATOR =
  'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler';
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;

function jaasQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Returns the `server.properties` entries of one node that add the secured listeners beside PLAINTEXT
 * (which stays the inter-broker listener): TLS key and trust stores as PEM files, `ssl.client.auth`
 * required on MTLS only, and per SASL listener the JAAS entries of PLAIN (users inline), SCRAM (users
 * in the metadata log, see {@link scramFormatArguments}) and OAUTHBEARER (Kafka's unsecured JWS
 * validator, which accepts unsigned tokens).
 */
export function securityProperties(
  host: string,
  port: number,
  controllerPort: number,
  ports: SecuredPorts,
  certificates: TestCertificates,
  options: KafkaSecurityOptions,
): Record<string, PropertyValue> {
  const plainUsers = options.plainUsers ?? DEFAULT_PLAIN_USERS;
  const listeners = [
    `PLAINTEXT://${host}:${port}`,
    ...SECURED_LISTENERS.map((l) => `${l}://${host}:${ports[l]}`),
  ];
  const props: Record<string, PropertyValue> = {
    listeners: [...listeners, `CONTROLLER://${host}:${controllerPort}`].join(','),
    'advertised.listeners': listeners.join(','),
    'listener.security.protocol.map': [
      'CONTROLLER:PLAINTEXT',
      'PLAINTEXT:PLAINTEXT',
      'SSL:SSL',
      'SASL_PLAINTEXT:SASL_PLAINTEXT',
      'SASL_SSL:SASL_SSL',
      'MTLS:SSL',
      'WRONG_HOST:SSL',
    ].join(','),
    'sasl.enabled.mechanisms': SASL_MECHANISMS.join(','),
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': certificates.files.brokerKeystore,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': certificates.files.truststore,
    'ssl.client.auth': 'none',
    'listener.name.mtls.ssl.client.auth': 'required',
    'listener.name.wrong_host.ssl.keystore.type': 'PEM',
    'listener.name.wrong_host.ssl.keystore.location': certificates.files.wrongHostKeystore,
  };
  for (const listener of ['sasl_plaintext', 'sasl_ssl']) {
    const prefix = `listener.name.${listener}`;
    props[`${prefix}.plain.sasl.jaas.config`] = `${JAAS_PLAIN} required ${Object.entries(plainUsers)
      .map(([name, password]) => `user_${name}=${jaasQuote(password)}`)
      .join(' ')};`;
    props[`${prefix}.scram-sha-256.sasl.jaas.config`] = `${JAAS_SCRAM} required;`;
    props[`${prefix}.scram-sha-512.sasl.jaas.config`] = `${JAAS_SCRAM} required;`;
    props[`${prefix}.oauthbearer.sasl.jaas.config`] = `${JAAS_OAUTH} required;`;
    props[`${prefix}.oauthbearer.sasl.server.callback.handler.class`] = UNSECURED_VALIDATOR;
  }
  if (options.reauthMs !== undefined) props['connections.max.reauth.ms'] = options.reauthMs;
  return props;
}

export const DEFAULT_PLAIN_USERS: Readonly<Record<string, string>> = { alice: 'alice-secret' };
export const DEFAULT_SCRAM_USERS: Readonly<Record<string, string>> = { 'scram-user': 'scram-secret' };

/**
 * Returns the `--add-scram` arguments of `kafka-storage format` that create every SCRAM user for both
 * SCRAM-SHA-256 and SCRAM-SHA-512, so the users exist before the broker takes its first connection.
 */
export function scramFormatArguments(options: KafkaSecurityOptions): string[] {
  const users = options.scramUsers ?? DEFAULT_SCRAM_USERS;
  const iterations = options.scramIterations ?? 4096;
  const args: string[] = [];
  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) {
    for (const [name, password] of Object.entries(users)) {
      if (/[,=[\]"]/.test(name) || /[,[\]"]/.test(password)) {
        throw new KafkaToolError(`SCRAM user ${name}: names and passwords may not contain , = [ ] or "`);
      }
      args.push('--add-scram', `${mechanism}=[name=${name},password=${password},iterations=${iterations}]`);
    }
  }
  return args;
}
