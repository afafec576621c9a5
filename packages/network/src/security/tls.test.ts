import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { inspect } from 'node:util';
import type { Reader, Writer } from '@runnel/codec';
import { generateTestCertificates, type TestCertificates } from '@runnel/kafka-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, type RequestSpec } from '../connection.js';
import { ConnectionError, FrameTooLargeError } from '../errors.js';
import { FakeKafkaServer, responsePayload } from '../testing/fake-kafka-server.js';
import { TlsError } from './errors.js';
import { looksLikeTlsRecord, tlsSocketFactory } from './tls.js';

const request: RequestSpec<number> = {
  apiKey: 18,
  apiVersion: 3,
  requestHeaderVersion: 1,
  responseHeaderVersion: 0,
  writeBody: (w: Writer) => {
    w.writeInt32(7);
  },
  readBody: (r: Reader) => r.readInt32(),
  timeoutMs: 5000,
};

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** A TLS server answering every Kafka frame with a 4-byte body, recording the SNI each client sent. */
async function tlsServer(
  options: tls.TlsOptions,
): Promise<{ port: number; servernames: unknown[]; close: () => Promise<void> }> {
  const servernames: unknown[] = [];
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer(options, (socket) => {
    sockets.add(socket);
    servernames.push(socket.servername);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      const correlationId = chunk.readInt32BE(8);
      const body = Buffer.alloc(4);
      body.writeInt32BE(42);
      const payload = responsePayload(correlationId, body);
      const size = Buffer.alloc(4);
      size.writeInt32BE(payload.length);
      socket.write(Buffer.concat([size, payload]));
    });
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    servernames,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('TLS connections', () => {
  let dir: string;
  let certs: TestCertificates;
  let brokerPem: string;
  let wrongHostPem: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runnel-tls-test-'));
    certs = await generateTestCertificates(dir);
    brokerPem = await readFile(certs.files.brokerKeystore, 'utf8');
    wrongHostPem = await readFile(certs.files.wrongHostKeystore, 'utf8');
  }, 30_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('sends the host name as SNI, none for an IP literal, and verifies both against the certificate', async () => {
    const server = await tlsServer({ key: brokerPem, cert: brokerPem });
    const factory = tlsSocketFactory({ ca: certs.caPem });
    try {
      for (const host of ['localhost', '127.0.0.1']) {
        const connection = new Connection({ host, port: server.port, socketFactory: factory });
        expect(await connection.send(request)).toBe(42);
        await connection.close();
      }
      expect(server.servernames).toEqual(['localhost', false]);
    } finally {
      await server.close();
    }
  });

  it('checks the host name of every broker the factory opens, not only the first', async () => {
    const good = await tlsServer({ key: brokerPem, cert: brokerPem });
    const wrong = await tlsServer({ key: wrongHostPem, cert: wrongHostPem });
    // One factory, as the pool uses for the bootstrap broker and each broker the metadata names.
    const factory = tlsSocketFactory({ ca: certs.caPem });
    try {
      const bootstrap = new Connection({ host: '127.0.0.1', port: good.port, socketFactory: factory });
      expect(await bootstrap.send(request)).toBe(42);
      await bootstrap.close();
      const learned = new Connection({ host: '127.0.0.1', port: wrong.port, socketFactory: factory });
      const error = await rejection(learned.send(request));
      expect(error).toBeInstanceOf(TlsError);
      expect((error as TlsError).reason).toBe('hostname-mismatch');
      expect(learned.error?.cause).toBe(error);
    } finally {
      await good.close();
      await wrong.close();
    }
  });

  it('refuses a certificate from an unknown CA with TlsError (untrusted-certificate)', async () => {
    const server = await tlsServer({ key: brokerPem, cert: brokerPem });
    try {
      const connection = new Connection({
        host: '127.0.0.1',
        port: server.port,
        socketFactory: tlsSocketFactory({ ca: certs.untrustedCaPem }),
      });
      const error = await rejection(connection.send(request));
      expect((error as TlsError).reason).toBe('untrusted-certificate');
      expect((error as TlsError).code).toBe('ERR_TLS');
    } finally {
      await server.close();
    }
  });

  it('reports a server that requires a client certificate and got none as certificate-rejected', async () => {
    const server = await tlsServer({
      key: brokerPem,
      cert: brokerPem,
      ca: certs.caPem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    try {
      const without = new Connection({
        host: '127.0.0.1',
        port: server.port,
        socketFactory: tlsSocketFactory({ ca: certs.caPem }),
      });
      const error = await rejection(without.send(request));
      expect(error).toBeInstanceOf(TlsError);
      expect((error as TlsError).reason).toBe('certificate-rejected');
      const withCert = new Connection({
        host: '127.0.0.1',
        port: server.port,
        socketFactory: tlsSocketFactory({
          ca: certs.caPem,
          cert: certs.clientCertPem,
          key: certs.clientKeyPem,
        }),
      });
      expect(await withCert.send(request)).toBe(42);
      await withCert.close();
    } finally {
      await server.close();
    }
  });

  it('keeps the private key out of inspect output of a live mutual-TLS connection', async () => {
    const server = await tlsServer({
      key: brokerPem,
      cert: brokerPem,
      ca: certs.caPem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    // The key as a plain string on purpose: nothing the connection keeps may print it.
    const factory = tlsSocketFactory({ ca: certs.caPem, cert: certs.clientCertPem, key: certs.clientKeyPem });
    const keyLines = certs.clientKeyPem.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
    expect(keyLines.length).toBeGreaterThan(0);
    try {
      const connection = new Connection({ host: '127.0.0.1', port: server.port, socketFactory: factory });
      expect(await connection.send(request)).toBe(42);
      // The socket is private, but inspect with showHidden reaches it, and with it Node's TLS options.
      const shown = inspect(connection, { depth: 20, showHidden: true });
      expect(shown).toContain('TLSSocket');
      expect(shown).toContain('secureContext');
      for (const line of keyLines) expect(shown).not.toContain(line);
      expect(shown).not.toContain('PRIVATE KEY');
      await connection.close();
    } finally {
      await server.close();
    }
  });

  it('refuses a key that cannot be loaded with TlsError (invalid-configuration) when the factory is made', () => {
    const attempt = (options: Parameters<typeof tlsSocketFactory>[0]) => {
      try {
        tlsSocketFactory(options);
        return null;
      } catch (error) {
        return error;
      }
    };
    const garbage = attempt({ cert: certs.clientCertPem, key: '-----BEGIN PRIVATE KEY-----\nnot a key\n' });
    expect(garbage).toBeInstanceOf(TlsError);
    expect((garbage as TlsError).reason).toBe('invalid-configuration');
    expect((garbage as TlsError).message).not.toContain('not a key');
    // A key that exists but belongs to another certificate is caught as early.
    const mismatched = attempt({ cert: certs.caPem, key: certs.clientKeyPem });
    expect((mismatched as TlsError).reason).toBe('invalid-configuration');
    expect(attempt({ ca: certs.caPem, cert: certs.clientCertPem, key: certs.clientKeyPem })).toBeNull();
  });

  it('names a TLS alert received by a plaintext connection instead of reading it as a 350 MB frame', async () => {
    const server = await FakeKafkaServer.start((client) => {
      // A TLS 1.2 fatal alert, unexpected_message: what a TLS listener answers to plaintext.
      client.onRequest = (_req, c) => c.writeRaw(Uint8Array.of(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a));
    });
    try {
      const connection = new Connection({ host: server.host, port: server.port });
      const error = await rejection(connection.send(request));
      expect(error).toBeInstanceOf(TlsError);
      expect(error).not.toBeInstanceOf(FrameTooLargeError);
      expect((error as TlsError).reason).toBe('tls-expected');
      expect(connection.state).toBe('closed');
    } finally {
      await server.close();
    }
  });

  it('reports a plaintext listener that drops the TLS handshake as plaintext-expected', async () => {
    const server = net.createServer((socket) => socket.once('data', () => socket.destroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const connection = new Connection({
        host: '127.0.0.1',
        port,
        socketFactory: tlsSocketFactory({ ca: certs.caPem }),
      });
      const error = await rejection(connection.send(request));
      expect(error).toBeInstanceOf(TlsError);
      expect((error as TlsError).reason).toBe('plaintext-expected');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('keeps a refused TLS connection an ordinary, retriable ConnectionError', async () => {
    const free = net.createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => free.close(() => resolve()));
    const connection = new Connection({
      host: '127.0.0.1',
      port,
      socketFactory: tlsSocketFactory({ ca: certs.caPem }),
    });
    const error = await rejection(connection.send(request));
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).reason).toBe('refused');
  });

  it('recognises TLS alert and handshake records by their first two bytes', () => {
    expect(looksLikeTlsRecord(Uint8Array.of(0x15, 0x03, 0x03))).toBe(true);
    expect(looksLikeTlsRecord(Uint8Array.of(0x16, 0x03, 0x01))).toBe(true);
    expect(looksLikeTlsRecord(Uint8Array.of(0x00, 0x00, 0x00, 0x10))).toBe(false);
    expect(looksLikeTlsRecord(Uint8Array.of(0x15))).toBe(false);
  });
});
