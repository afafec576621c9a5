import { describe, expect, it } from 'vitest';
import { SaslAuthenticationError } from './errors.js';
import { oauthBearerInitialResponse, oauthBearerMechanism, unsecuredJwt } from './oauthbearer.js';
import { plainMechanism } from './plain.js';
import type { SaslContext } from './sasl-mechanism.js';
import { Secret } from './secret.js';

const context: SaslContext = { host: 'b', port: 1, reauthentication: false };
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

describe('OAUTHBEARER', () => {
  it('sends n,, then auth=Bearer and each extension, separated by 0x01 and ended by two', () => {
    expect(text(oauthBearerInitialResponse('tok', { logicalCluster: 'lkc-1', traceId: 'x y' }))).toBe(
      'n,,\u0001auth=Bearer tok\u0001logicalCluster=lkc-1\u0001traceId=x y\u0001\u0001',
    );
    expect(text(oauthBearerInitialResponse('tok'))).toBe('n,,\u0001auth=Bearer tok\u0001\u0001');
  });

  it('refuses extension keys that are not letters, the reserved key auth, and control characters in values', () => {
    expect(() => oauthBearerInitialResponse('t', { 'bad-key': 'v' })).toThrow(TypeError);
    expect(() => oauthBearerInitialResponse('t', { auth: 'v' })).toThrow(TypeError);
    expect(() => oauthBearerInitialResponse('t', { key: 'a\u0001b' })).toThrow(TypeError);
  });

  it('asks the provider for a token on every exchange, and tells it which broker and whether it re-authenticates', async () => {
    const seen: SaslContext[] = [];
    let n = 0;
    const mechanism = oauthBearerMechanism(async (c) => {
      seen.push(c);
      n++;
      return { token: new Secret(`token-${n}`) };
    });
    const first = await mechanism.start(context);
    const second = await mechanism.start({ ...context, reauthentication: true });
    expect(text(await first.initialResponse())).toContain('auth=Bearer token-1');
    expect(text(await second.initialResponse())).toContain('auth=Bearer token-2');
    expect(seen.map((c) => c.reauthentication)).toEqual([false, true]);
  });

  it('completes on an empty answer and acknowledges an error document with 0x01', async () => {
    const exchange = await oauthBearerMechanism(async () => ({ token: 't' })).start(context);
    expect(await exchange.evaluate(new Uint8Array(0))).toBeNull();
    expect(await exchange.evaluate(Buffer.from('{"status":"invalid_token"}'))).toEqual(Uint8Array.of(1));
  });

  it('turns a failing token provider into a SaslAuthenticationError with the cause kept', async () => {
    const cause = new Error('identity provider down');
    const error = await Promise.resolve(
      oauthBearerMechanism(async () => {
        throw cause;
      }).start(context),
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SaslAuthenticationError);
    expect((error as SaslAuthenticationError).reason).toBe('mechanism');
    expect((error as SaslAuthenticationError).cause).toBe(cause);
  });

  it('makes unsigned tokens with alg none, sub, iat and exp', () => {
    const token = unsecuredJwt({ sub: 'alice', nowMs: 1_000_000, lifetimeMs: 60_000 });
    const [header, payload, signature] = token.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'none' });
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual({
      sub: 'alice',
      iat: 1000,
      exp: 1060,
    });
    expect(signature).toBe('');
  });
});

describe('PLAIN', () => {
  it('sends authzid NUL username NUL password and completes on the answer', async () => {
    const exchange = await plainMechanism({ username: 'alice', password: new Secret('pw') }).start(context);
    expect(text(await exchange.initialResponse())).toBe('\u0000alice\u0000pw');
    expect(await exchange.evaluate(new Uint8Array(0))).toBeNull();
    const withAuthz = await plainMechanism({ username: 'a', password: 'p', authorizationId: 'z' }).start(
      context,
    );
    expect(text(await withAuthz.initialResponse())).toBe('z\u0000a\u0000p');
  });
});
