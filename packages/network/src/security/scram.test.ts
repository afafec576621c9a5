import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SaslAuthenticationError } from './errors.js';
import type { SaslContext, SaslExchange } from './sasl-mechanism.js';
import { escapeScramUsername, type ScramMechanismName, scramMechanism } from './scram.js';
import { Secret } from './secret.js';

const context: SaslContext = { host: 'broker-1', port: 9093, reauthentication: false };
const text = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString('utf8'));
const bytes = (s: string) => Buffer.from(s, 'utf8');

async function failureOf(step: () => Promise<unknown>): Promise<SaslAuthenticationError> {
  const error = await step().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SaslAuthenticationError);
  return error as SaslAuthenticationError;
}

/** A SCRAM server as RFC 5802 describes it, for the mechanism Kafka does not publish test vectors of. */
function scramServer(name: ScramMechanismName, password: string, iterations: number) {
  const hash = name === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
  const salt = Buffer.from('kafka-test-salt');
  const salted = pbkdf2Sync(password, salt, iterations, hash === 'sha256' ? 32 : 64, hash);
  const hmac = (key: Uint8Array, data: string) => createHmac(hash, key).update(data).digest();
  let clientFirstBare = '';
  let serverFirst = '';
  return {
    first(clientFirst: string): string {
      clientFirstBare = clientFirst.slice(3);
      const clientNonce = /r=([^,]+)/.exec(clientFirstBare)![1]!;
      serverFirst = `r=${clientNonce}server-part,s=${salt.toString('base64')},i=${iterations}`;
      return serverFirst;
    },
    /** With `checkProof` false it signs whatever it got, as a server that does not know the password. */
    final(clientFinal: string, checkProof = true): string {
      const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(',p='));
      const proof = Buffer.from(clientFinal.slice(clientFinal.lastIndexOf(',p=') + 3), 'base64');
      const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
      const storedKey = createHash(hash).update(hmac(salted, 'Client Key')).digest();
      const signature = hmac(storedKey, authMessage);
      const clientKey = Buffer.from(proof.map((b, i) => b ^ signature[i]!));
      if (checkProof && !createHash(hash).update(clientKey).digest().equals(storedKey))
        return 'e=invalid-proof';
      return `v=${hmac(hmac(salted, 'Server Key'), authMessage).toString('base64')}`;
    },
  };
}

describe('SCRAM', () => {
  it('produces the client proof of RFC 7677 and accepts its server signature', async () => {
    const mechanism = scramMechanism('SCRAM-SHA-256', {
      username: 'user',
      password: new Secret('pencil'),
      nonce: () => 'rOprNGfwEbeRWgbNEkqO',
    });
    const exchange = await mechanism.start(context);
    expect(text(await exchange.initialResponse())).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const clientFinal = await exchange.evaluate(
      bytes('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'),
    );
    expect(text(clientFinal)).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    expect(await exchange.evaluate(bytes('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toBeNull();
  });

  for (const name of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`${name} completes against a server that knows the password`, async () => {
      const server = scramServer(name, 'correct horse', 4096);
      const exchange = await scramMechanism(name, { username: 'alice', password: 'correct horse' }).start(
        context,
      );
      const clientFinal = await exchange.evaluate(
        bytes(server.first(text(await exchange.initialResponse())!)),
      );
      const serverFinal = server.final(text(clientFinal)!);
      expect(serverFinal.startsWith('v=')).toBe(true);
      expect(await exchange.evaluate(bytes(serverFinal))).toBeNull();
    });
  }

  it('rejects a server signature from a server that does not know the password', async () => {
    const impostor = scramServer('SCRAM-SHA-512', 'another password', 4096);
    const exchange = await scramMechanism('SCRAM-SHA-512', {
      username: 'alice',
      password: 'correct horse',
    }).start(context);
    const clientFinal = await exchange.evaluate(
      bytes(impostor.first(text(await exchange.initialResponse())!)),
    );
    // The impostor answers with the signature its own password gives.
    const forged = impostor.final(text(clientFinal)!, false);
    expect(forged.startsWith('v=')).toBe(true);
    const error = await failureOf(async () => exchange.evaluate(bytes(forged)));
    expect(error.reason).toBe('server-verification');
    expect(error.message).toContain('signature');
  });

  it('surfaces a server e= error with its text', async () => {
    const exchange = await scramMechanism('SCRAM-SHA-256', {
      username: 'u',
      password: 'p',
      nonce: () => 'abc',
    }).start(context);
    await exchange.initialResponse();
    await exchange.evaluate(bytes('r=abcdef,s=c2FsdA==,i=4096'));
    const error = await failureOf(async () => exchange.evaluate(bytes('e=invalid-proof')));
    expect(error.message).toContain('invalid-proof');
    expect(error.broker).toBe('broker-1:9093');
  });

  async function firstAnswer(serverFirst: string): Promise<SaslAuthenticationError> {
    const exchange: SaslExchange = await scramMechanism('SCRAM-SHA-256', {
      username: 'u',
      password: 'p',
      nonce: () => 'clientnonce',
    }).start(context);
    await exchange.initialResponse();
    return failureOf(async () => exchange.evaluate(bytes(serverFirst)));
  }

  it('refuses a server nonce that does not extend the client nonce', async () => {
    expect((await firstAnswer('r=othernonce123,s=c2FsdA==,i=4096')).message).toContain('nonce');
    expect((await firstAnswer('r=clientnonce,s=c2FsdA==,i=4096')).message).toContain('nonce');
  });

  it('refuses fewer than 4096 iterations, and more than a million', async () => {
    expect((await firstAnswer('r=clientnonceXYZ,s=c2FsdA==,i=4095')).message).toContain('4095 iterations');
    expect((await firstAnswer('r=clientnonceXYZ,s=c2FsdA==,i=2000000')).message).toContain('2000000');
    expect((await firstAnswer('r=clientnonceXYZ,s=c2FsdA==,i=many')).message).toContain('iterations');
  });

  it('refuses a server-first message without salt', async () => {
    expect((await firstAnswer('r=clientnonceXYZ,i=4096')).message).toContain('salt');
  });

  it('escapes "," and "=" in user names', async () => {
    expect(escapeScramUsername('a,b=c')).toBe('a=2Cb=3Dc');
    const exchange = await scramMechanism('SCRAM-SHA-256', {
      username: 'a,b=c',
      password: 'p',
      nonce: () => 'n1',
    }).start(context);
    expect(text(await exchange.initialResponse())).toBe('n,,n=a=2Cb=3Dc,r=n1');
  });

  it('draws a fresh 32-character nonce from the crypto RNG for every exchange', async () => {
    const mechanism = scramMechanism('SCRAM-SHA-512', { username: 'u', password: 'p' });
    const nonces = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const first = text(await (await mechanism.start(context)).initialResponse())!;
      const nonce = /,r=(.+)$/.exec(first)![1]!;
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{32}$/);
      nonces.add(nonce);
    }
    expect(nonces.size).toBe(20);
  });
});
