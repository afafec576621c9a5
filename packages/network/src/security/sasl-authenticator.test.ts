import { Reader, Writer } from '@runnel/codec';
import {
  ErrorCode,
  SaslAuthenticate,
  type SaslAuthenticateResponse,
  SaslHandshake,
  type SaslHandshakeResponse,
} from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import { BrokerConnection, type ConnectionLike } from '../broker-connection.js';
import type { RequestSpec } from '../connection.js';
import { SaslAuthenticationError } from './errors.js';
import { authenticateSasl } from './sasl-authenticator.js';
import type { SaslMechanism } from './sasl-mechanism.js';

interface Script {
  handshake?: Partial<SaslHandshakeResponse>;
  /** One answer per SaslAuthenticate request, in order; the last one repeats. */
  authenticate?: Array<Partial<SaslAuthenticateResponse>>;
  saslVersions?: { handshake: number; authenticate: number };
}

/** A connection that answers SaslHandshake and SaslAuthenticate from a script and records requests. */
function scriptedConnection(script: Script) {
  const mechanisms: string[] = [];
  const authBytes: string[] = [];
  let round = 0;
  const raw: ConnectionLike = {
    broker: '127.0.0.1:9092',
    state: 'ready',
    inFlightCount: 0,
    queuedCount: 0,
    lastActivityAt: 0,
    connect: async () => {},
    close: async () => {},
    onClose: () => () => {},
    async send<T>(spec: RequestSpec<T>): Promise<T> {
      const writer = new Writer(64);
      spec.writeBody(writer);
      const body = new Reader(writer.finish());
      const out = new Writer(64);
      if (spec.apiKey === SaslHandshake.apiKey) {
        mechanisms.push(SaslHandshake.request.decode(body, spec.apiVersion).mechanism);
        SaslHandshake.response.write(
          out,
          { errorCode: 0, mechanisms: ['PLAIN'], ...script.handshake },
          spec.apiVersion,
        );
      } else {
        authBytes.push(
          Buffer.from(SaslAuthenticate.request.decode(body, spec.apiVersion).authBytes).toString(),
        );
        const answers = script.authenticate ?? [{}];
        const answer = answers[Math.min(round++, answers.length - 1)];
        SaslAuthenticate.response.write(
          out,
          {
            errorCode: 0,
            errorMessage: null,
            authBytes: new Uint8Array(0),
            sessionLifetimeMs: 0n,
            ...answer,
          },
          spec.apiVersion,
        );
      }
      return spec.readBody!(new Reader(out.finish()));
    },
  };
  const versions = script.saslVersions ?? { handshake: 1, authenticate: 2 };
  const connection = new BrokerConnection(
    { nodeId: 1, host: '127.0.0.1', port: 9092, rack: null },
    'default',
    raw,
    new Map([
      [SaslHandshake.apiKey, { minVersion: 0, maxVersion: versions.handshake }],
      [SaslAuthenticate.apiKey, { minVersion: 0, maxVersion: versions.authenticate }],
    ]),
  );
  return { connection, mechanisms, authBytes };
}

/** A mechanism that sends `client-<n>` until the server has answered `rounds` times. */
function countingMechanism(rounds: number): SaslMechanism {
  return {
    name: 'PLAIN',
    start: () => {
      let n = 0;
      return {
        initialResponse: () => Buffer.from('client-0'),
        evaluate: () => (++n >= rounds ? null : Buffer.from(`client-${n}`)),
      };
    },
  };
}

async function failure(promise: Promise<unknown>): Promise<SaslAuthenticationError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SaslAuthenticationError);
  return error as SaslAuthenticationError;
}

describe('authenticateSasl', () => {
  it('sends the handshake, then each message of the exchange, and returns the session lifetime', async () => {
    const { connection, mechanisms, authBytes } = scriptedConnection({
      authenticate: [{ authBytes: Buffer.from('challenge') }, { sessionLifetimeMs: 7000n }],
    });
    const session = await authenticateSasl(connection, countingMechanism(2));
    expect(mechanisms).toEqual(['PLAIN']);
    expect(authBytes).toEqual(['client-0', 'client-1']);
    expect(session).toEqual({ mechanism: 'PLAIN', sessionLifetimeMs: 7000 });
  });

  it('reports a mechanism the listener does not enable, with the ones it does', async () => {
    const { connection } = scriptedConnection({
      handshake: { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['SCRAM-SHA-512', 'GSSAPI'] },
    });
    const error = await failure(authenticateSasl(connection, countingMechanism(1)));
    expect(error.reason).toBe('unsupported-mechanism');
    expect(error.enabledMechanisms).toEqual(['SCRAM-SHA-512', 'GSSAPI']);
    expect(error.code).toBe('ERR_SASL_AUTHENTICATION');
  });

  it('reports a listener that does not expect SASL (ILLEGAL_SASL_STATE) as not-sasl', async () => {
    const { connection } = scriptedConnection({
      handshake: { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] },
    });
    expect((await failure(authenticateSasl(connection, countingMechanism(1)))).reason).toBe('not-sasl');
  });

  it("surfaces the broker's error message and code when it refuses the credentials", async () => {
    const { connection } = scriptedConnection({
      authenticate: [
        { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: 'Invalid username or password' },
      ],
    });
    const error = await failure(authenticateSasl(connection, countingMechanism(1)));
    expect(error.reason).toBe('rejected');
    expect(error.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    expect(error.message).toBe('SASL PLAIN: Invalid username or password (broker 127.0.0.1:9092)');
  });

  it('needs SaslHandshake v1 (tokens framed in SaslAuthenticate)', async () => {
    const { connection, mechanisms } = scriptedConnection({
      saslVersions: { handshake: 0, authenticate: 0 },
    });
    expect((await failure(authenticateSasl(connection, countingMechanism(1)))).reason).toBe('not-sasl');
    expect(mechanisms).toEqual([]);
  });

  it('stops an exchange that never ends after 16 rounds', async () => {
    const { connection, authBytes } = scriptedConnection({
      authenticate: [{ authBytes: Buffer.from('more') }],
    });
    const error = await failure(authenticateSasl(connection, countingMechanism(1000)));
    expect(error.reason).toBe('server-verification');
    expect(authBytes).toHaveLength(16);
  });

  it('sends through the given send function when re-authenticating, and tells the mechanism', async () => {
    const { connection } = scriptedConnection({});
    const sent: number[] = [];
    let reauthentication: boolean | undefined;
    const mechanism: SaslMechanism = {
      name: 'PLAIN',
      start: (context) => {
        reauthentication = context.reauthentication;
        return { initialResponse: () => new Uint8Array(1), evaluate: () => null };
      },
    };
    await authenticateSasl(connection, mechanism, {
      reauthentication: true,
      send: (spec) => {
        sent.push(spec.apiKey);
        return connection.connection.send(spec);
      },
    });
    expect(sent).toEqual([SaslHandshake.apiKey, SaslAuthenticate.apiKey]);
    expect(reauthentication).toBe(true);
  });
});
