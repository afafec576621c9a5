import { nodeCrypto } from '../builtins.js';
import { SaslAuthenticationError } from './errors.js';
import type { SaslContext, SaslExchange, SaslMechanism } from './sasl-mechanism.js';
import { Secret } from './secret.js';

/** @returns `pbkdf2` of node:crypto as a promise. */
function pbkdf2Async(
  password: Buffer,
  salt: Buffer,
  iterations: number,
  keyLength: number,
  digest: string,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    nodeCrypto().pbkdf2(password, salt, iterations, keyLength, digest, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** The SCRAM mechanisms Kafka supports. */
export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** Credentials of SASL/SCRAM (RFC 5802, RFC 7677). */
export interface ScramCredentials {
  username: string;
  password: string | Secret;
  /** Fewer iterations than this in the server's first message fail the exchange (default 4096, Kafka's minimum). */
  minIterations?: number;
  /** Makes the client nonce; default 24 bytes of `crypto.randomBytes` in base64. A test seam. */
  nonce?: () => string;
}

const HASHES = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' } as const;
const KEY_LENGTHS = { 'SCRAM-SHA-256': 32, 'SCRAM-SHA-512': 64 } as const;
/** The upper bound on iterations keeps a hostile server from making the client spin for minutes. */
const MAX_ITERATIONS = 1_000_000;
/** The GS2 header of a client without channel binding: `n,,`, base64 `biws`. */
const GS2_HEADER = 'n,,';

/**
 * Escapes a SCRAM user name (RFC 5802 section 5.1): `=` becomes `=3D` and `,` becomes `=2C`.
 * @returns the escaped name.
 */
export function escapeScramUsername(username: string): string {
  return username.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/**
 * SASL/SCRAM-SHA-256 or SCRAM-SHA-512: proves the password without sending it, and checks the
 * broker's signature so that a server which does not know the password is detected. The client nonce
 * comes from the crypto RNG; the server's nonce must extend it; fewer than `minIterations` iterations
 * are refused; an `e=` error from the server surfaces as a SaslAuthenticationError.
 * @returns the mechanism; the password is kept as a {@link Secret}.
 */
export function scramMechanism(name: ScramMechanismName, credentials: ScramCredentials): SaslMechanism {
  if (!(name in HASHES)) throw new TypeError(`unknown SCRAM mechanism ${String(name)}`);
  const password = Secret.from(credentials.password);
  const minIterations = credentials.minIterations ?? 4096;
  const makeNonce = credentials.nonce ?? (() => nodeCrypto().randomBytes(24).toString('base64'));
  return {
    name,
    start: (context) =>
      new ScramExchange(name, credentials.username, password, minIterations, makeNonce(), context),
  };
}

type ScramState = 'initial' | 'client-first-sent' | 'client-final-sent' | 'done';

class ScramExchange implements SaslExchange {
  private state: ScramState = 'initial';
  private readonly clientFirstBare: string;
  private readonly broker: string;
  private serverSignature: Buffer | null = null;

  constructor(
    private readonly name: ScramMechanismName,
    username: string,
    private readonly password: Secret,
    private readonly minIterations: number,
    private readonly clientNonce: string,
    context: SaslContext,
  ) {
    this.broker = `${context.host}:${context.port}`;
    this.clientFirstBare = `n=${escapeScramUsername(username)},r=${clientNonce}`;
  }

  initialResponse(): Uint8Array {
    this.state = 'client-first-sent';
    return Buffer.from(GS2_HEADER + this.clientFirstBare, 'utf8');
  }

  async evaluate(challenge: Uint8Array): Promise<Uint8Array | null> {
    const message = Buffer.from(challenge).toString('utf8');
    switch (this.state) {
      case 'client-first-sent':
        return this.clientFinal(message);
      case 'client-final-sent':
        this.verifyServerFinal(message);
        this.state = 'done';
        return null;
      default:
        throw this.fail(`unexpected server message in state ${this.state}`);
    }
  }

  private async clientFinal(serverFirst: string): Promise<Uint8Array> {
    const attributes = parseAttributes(serverFirst);
    const error = attributes.get('e');
    if (error !== undefined) throw this.fail(`the server refused: ${error}`);
    const nonce = attributes.get('r');
    const salt = attributes.get('s');
    const iterationText = attributes.get('i');
    if (nonce === undefined || salt === undefined || iterationText === undefined) {
      throw this.fail('the server-first message lacks its nonce, salt or iteration count');
    }
    if (!nonce.startsWith(this.clientNonce) || nonce.length <= this.clientNonce.length) {
      throw this.fail("the server's nonce does not extend the client's");
    }
    const iterations = /^\d{1,9}$/.test(iterationText) ? Number(iterationText) : Number.NaN;
    if (!(iterations >= this.minIterations)) {
      throw this.fail(`the server asked for ${iterationText} iterations, fewer than ${this.minIterations}`);
    }
    if (iterations > MAX_ITERATIONS) {
      throw this.fail(`the server asked for ${iterations} iterations, more than ${MAX_ITERATIONS}`);
    }
    const hash = HASHES[this.name];
    const saltedPassword = await pbkdf2Async(
      Buffer.from(this.password.revealString(), 'utf8'),
      Buffer.from(salt, 'base64'),
      iterations,
      KEY_LENGTHS[this.name],
      hash,
    );
    const clientFinalWithoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
    const clientKey = hmac(hash, saltedPassword, 'Client Key');
    const storedKey = nodeCrypto().createHash(hash).update(clientKey).digest();
    const clientSignature = hmac(hash, storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ clientSignature[i]!;
    this.serverSignature = hmac(hash, hmac(hash, saltedPassword, 'Server Key'), authMessage);
    this.state = 'client-final-sent';
    return Buffer.from(`${clientFinalWithoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  private verifyServerFinal(serverFinal: string): void {
    const attributes = parseAttributes(serverFinal);
    const error = attributes.get('e');
    if (error !== undefined) throw this.fail(`the server refused: ${error}`);
    const verifier = attributes.get('v');
    const expected = this.serverSignature;
    if (verifier === undefined || expected === null)
      throw this.fail('the server-final message has no signature');
    const received = Buffer.from(verifier, 'base64');
    if (received.length !== expected.length || !nodeCrypto().timingSafeEqual(received, expected)) {
      throw this.fail("the server's signature is wrong: it does not know the password");
    }
  }

  private fail(message: string): SaslAuthenticationError {
    this.state = 'done';
    return new SaslAuthenticationError(this.broker, this.name, 'server-verification', message);
  }
}

function hmac(hash: string, key: Uint8Array, data: string): Buffer {
  return nodeCrypto().createHmac(hash, key).update(data, 'utf8').digest();
}

/** Reads `k=v,k=v`; a value may itself contain `=` (base64 padding). Extensions are kept as they are. */
function parseAttributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) continue;
    const key = part[0]!;
    if (!out.has(key)) out.set(key, part.slice(2));
  }
  return out;
}
