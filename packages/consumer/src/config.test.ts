import { inspect } from 'node:util';
import { RangeAssignor } from '@runnel/assignors';
import { Secret } from '@runnel/network';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, resolveConfig, resolveSecurity } from './config.js';
import { configErrorOf as configError } from './test-support/config-error.js';

describe('resolveConfig', () => {
  it('fills in the documented defaults when only brokers are given', () => {
    const c = resolveConfig({ brokers: 'localhost:9092' });
    expect(c.brokers).toEqual(['localhost:9092']);
    expect(c.clientId).toBe('runnel');
    expect(c.groupId).toBeNull();
    expect(c.sessionTimeoutMs).toBe(45_000);
    expect(c.heartbeatIntervalMs).toBe(3_000);
    expect(c.maxPollIntervalMs).toBe(300_000);
    expect(c.rebalanceTimeoutMs).toBe(300_000);
    expect(c.autoCommit).toBe(true);
    expect(c.autoCommitIntervalMs).toBe(5_000);
    expect(c.autoOffsetReset).toBe('latest');
    expect(c.isolationLevel).toBe('read_committed');
    expect(c.fetchMinBytes).toBe(1);
    expect(c.fetchMaxBytes).toBe(52_428_800);
    expect(c.fetchMaxWaitMs).toBe(500);
    expect(c.maxPartitionFetchBytes).toBe(1_048_576);
    expect(c.maxBufferedBytes).toBe(DEFAULTS.maxBufferedBytes);
    expect(c.checkCrcs).toBe(true);
    expect(c.releaseBatchMemory).toBe(false);
    expect(c.assignors.map((a) => a.name)).toEqual(['range', 'cooperative-sticky']);
    expect(c.groupProtocol).toBe('classic');
    expect(c.groupRemoteAssignor).toBeNull();
  });

  it('takes the consumer group protocol with a broker-side assignor and keeps the classic-only options', () => {
    const c = resolveConfig({
      brokers: 'a:1',
      groupId: 'g',
      groupProtocol: 'consumer',
      groupRemoteAssignor: 'uniform',
      sessionTimeoutMs: 10_000,
    });
    expect(c.groupProtocol).toBe('consumer');
    expect(c.groupRemoteAssignor).toBe('uniform');
    // Accepted and unused under 'consumer', as Java does: the broker sets the session timeout.
    expect(c.sessionTimeoutMs).toBe(10_000);
  });

  it('splits a comma-separated broker list and keeps a list as given', () => {
    expect(resolveConfig({ brokers: 'a:1, b:2' }).brokers).toEqual(['a:1', 'b:2']);
    expect(resolveConfig({ brokers: ['[::1]:9092', 'c:3'] }).brokers).toEqual(['[::1]:9092', 'c:3']);
  });

  it('takes autoCommit as a boolean or an interval', () => {
    expect(resolveConfig({ brokers: 'a:1', autoCommit: false }).autoCommit).toBe(false);
    const c = resolveConfig({ brokers: 'a:1', autoCommit: { intervalMs: 250 } });
    expect([c.autoCommit, c.autoCommitIntervalMs]).toEqual([true, 250]);
  });

  it('takes the decompression cap, the reconnect backoff and the give-up time, all off or Java’s by default', () => {
    const defaults = resolveConfig({ brokers: 'a:1' });
    expect([
      defaults.maxDecompressedSize,
      defaults.reconnectBackoffMs,
      defaults.reconnectBackoffMaxMs,
    ]).toEqual([64 * 1024 * 1024, 50, 1_000]);
    expect(defaults.allBrokersDownTimeoutMs).toBeNull();
    const c = resolveConfig({
      brokers: 'a:1',
      maxDecompressedSize: 1_000_000,
      reconnectBackoffMs: 10,
      reconnectBackoffMaxMs: 5_000,
      allBrokersDownTimeoutMs: 30_000,
    });
    expect([
      c.maxDecompressedSize,
      c.reconnectBackoffMs,
      c.reconnectBackoffMaxMs,
      c.allBrokersDownTimeoutMs,
    ]).toEqual([1_000_000, 10, 5_000, 30_000]);
    expect(
      resolveConfig({ brokers: 'a:1', allBrokersDownTimeoutMs: null }).allBrokersDownTimeoutMs,
    ).toBeNull();
  });

  it('says why a NaN cap is refused instead of switching the cap off', () => {
    expect(
      configError(() => resolveConfig({ brokers: 'a:1', maxDecompressedSize: Number.NaN })).message,
    ).toBe('maxDecompressedSize: must be an integer, got NaN');
  });

  it('defaults the rebalance timeout to the max poll interval', () => {
    expect(resolveConfig({ brokers: 'a:1', maxPollIntervalMs: 9_000 }).rebalanceTimeoutMs).toBe(9_000);
  });

  it.each([
    [{}, 'brokers'],
    [{ brokers: '' }, 'brokers'],
    [{ brokers: 'no-port' }, 'brokers'],
    [{ brokers: 'h:70000' }, 'brokers'],
    [{ brokers: [42] }, 'brokers'],
    [{ brokers: 'a:1', sessionTimeoutMs: 0 }, 'sessionTimeoutMs'],
    [{ brokers: 'a:1', sessionTimeoutMs: 1.5 }, 'sessionTimeoutMs'],
    [{ brokers: 'a:1', fetchMaxBytes: '1' }, 'fetchMaxBytes'],
    [{ brokers: 'a:1', heartbeatIntervalMs: 50_000 }, 'heartbeatIntervalMs'],
    [{ brokers: 'a:1', autoOffsetReset: 'smallest' }, 'autoOffsetReset'],
    [{ brokers: 'a:1', isolationLevel: 'committed' }, 'isolationLevel'],
    [{ brokers: 'a:1', autoCommit: 'yes' }, 'autoCommit'],
    [{ brokers: 'a:1', autoCommit: { intervalMs: -1 } }, 'autoCommit.intervalMs'],
    [{ brokers: 'a:1', autoCommit: { intervalMs: Number.NaN } }, 'autoCommit.intervalMs'],
    [{ brokers: 'a:1', groupId: '   ' }, 'groupId'],
    [{ brokers: 'a:1', groupId: 'g', groupInstanceId: '\t' }, 'groupInstanceId'],
    [{ brokers: 'a:1', maxDecompressedSize: Number.NaN }, 'maxDecompressedSize'],
    [{ brokers: 'a:1', maxDecompressedSize: Number.POSITIVE_INFINITY }, 'maxDecompressedSize'],
    [{ brokers: 'a:1', maxDecompressedSize: -1 }, 'maxDecompressedSize'],
    [{ brokers: 'a:1', maxDecompressedSize: 1024.5 }, 'maxDecompressedSize'],
    [{ brokers: 'a:1', maxDecompressedSize: 0 }, 'maxDecompressedSize'],
    [{ brokers: 'a:1', allBrokersDownTimeoutMs: 0 }, 'allBrokersDownTimeoutMs'],
    [{ brokers: 'a:1', reconnectBackoffMs: 500, reconnectBackoffMaxMs: 100 }, 'reconnectBackoffMaxMs'],
    [{ brokers: 'a:1', checkCrcs: 1 }, 'checkCrcs'],
    [{ brokers: 'a:1', releaseBatchMemory: 'yes' }, 'releaseBatchMemory'],
    [{ brokers: 'a:1', groupId: '' }, 'groupId'],
    [{ brokers: 'a:1', groupInstanceId: 'x' }, 'groupInstanceId'],
    [{ brokers: 'a:1', assignors: [] }, 'assignors'],
    [{ brokers: 'a:1', groupProtocol: 'CONSUMER' }, 'groupProtocol'],
    [{ brokers: 'a:1', groupProtocol: 'consumer', groupRemoteAssignor: '' }, 'groupRemoteAssignor'],
    [{ brokers: 'a:1', groupRemoteAssignor: 'uniform' }, 'groupRemoteAssignor'],
    [{ brokers: 'a:1', assignors: [{ name: 'x' }] }, 'assignors'],
    [{ brokers: 'a:1', assignors: [new RangeAssignor(), new RangeAssignor()] }, 'assignors'],
    [{ brokers: 'a:1', logger: console.log }, 'logger'],
    [{ brokers: 'a:1', fetchMaxWaitMs: 40_000 }, 'requestTimeoutMs'],
    [{ brokers: 'a:1', 'group.id': 'g' }, 'group.id'],
    [{ brokers: 'a:1', tls: 'yes' }, 'tls'],
    [{ brokers: 'a:1', tls: { ca: 'x', rejectUnauthorised: false } }, 'tls'],
    [{ brokers: 'a:1', tls: { cert: 'c' } }, 'tls'],
    [{ brokers: 'a:1', sasl: 'PLAIN' }, 'sasl'],
    [{ brokers: 'a:1', sasl: { mechanism: 'GSSAPI', username: 'u', password: 'p' } }, 'sasl'],
    [{ brokers: 'a:1', sasl: { mechanism: 'SCRAM-SHA-512', username: '', password: 'p' } }, 'sasl'],
    [{ brokers: 'a:1', sasl: { mechanism: 'PLAIN', username: 'u', password: 42 } }, 'sasl'],
    [{ brokers: 'a:1', sasl: { mechanism: 'OAUTHBEARER' } }, 'sasl'],
    [{ brokers: 'a:1', sasl: { mechanism: { name: 'X' } } }, 'sasl'],
  ])('rejects %j with a ConfigError naming %s', (input, key) => {
    const error = configError(() => resolveConfig(input as never));
    expect(error.key).toBe(key);
    expect(error.code).toBe('ERR_CONSUMER_CONFIG');
  });

  describe('security options', () => {
    it('names the security protocol and mechanism without keeping the credentials', () => {
      const c = resolveConfig({
        brokers: 'a:1',
        tls: true,
        sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'hunter2-pw' },
      });
      expect([c.securityProtocol, c.saslMechanism]).toEqual(['SASL_SSL', 'SCRAM-SHA-512']);
      expect(inspect(c, { depth: 10 })).not.toContain('hunter2-pw');
      expect(resolveConfig({ brokers: 'a:1' }).securityProtocol).toBe('PLAINTEXT');
      expect(resolveConfig({ brokers: 'a:1', tls: false }).securityProtocol).toBe('PLAINTEXT');
      expect(resolveConfig({ brokers: 'a:1', tls: {} }).securityProtocol).toBe('SSL');
      const plain = resolveConfig({
        brokers: 'a:1',
        sasl: { mechanism: 'PLAIN', username: 'u', password: new Secret('p') },
      });
      expect([plain.securityProtocol, plain.saslMechanism]).toEqual(['SASL_PLAINTEXT', 'PLAIN']);
    });

    it('wraps a plain-string password and private key in a Secret that reveals the original', () => {
      const { tls, sasl } = resolveSecurity({
        brokers: 'a:1',
        tls: { ca: 'CA-PEM', cert: 'CERT-PEM', key: 'KEY-PEM-private', passphrase: 'pass-phrase' },
        sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-pw' },
      });
      if (tls === undefined || sasl === undefined) throw new Error('expected tls and sasl options');
      expect(tls.ca).toBe('CA-PEM');
      expect(tls.key).toBeInstanceOf(Secret);
      expect((tls.key as Secret).revealString()).toBe('KEY-PEM-private');
      expect((tls.passphrase as Secret).revealString()).toBe('pass-phrase');
      expect(sasl.mechanism).toBe('PLAIN');
      const password = (sasl as { password: Secret }).password;
      expect(password.revealString()).toBe('alice-pw');
      const shown = inspect({ tls, sasl }, { depth: 10 });
      for (const secret of ['KEY-PEM-private', 'pass-phrase', 'alice-pw'])
        expect(shown).not.toContain(secret);
    });

    it('turns tls: true into default TLS options and leaves unset options undefined', () => {
      expect(resolveSecurity({ brokers: 'a:1', tls: true })).toEqual({ tls: {}, sasl: undefined });
      expect(resolveSecurity({ brokers: 'a:1', tls: false })).toEqual({ tls: undefined, sasl: undefined });
    });

    it('passes an OAUTHBEARER provider and a custom mechanism through unchanged', () => {
      const tokenProvider = async () => ({ token: 't' });
      const custom = { name: 'AWS_MSK_IAM', start: () => ({}) as never };
      const oauth = resolveSecurity({ brokers: 'a:1', sasl: { mechanism: 'OAUTHBEARER', tokenProvider } });
      expect(oauth.sasl).toEqual({ mechanism: 'OAUTHBEARER', tokenProvider });
      const other = resolveConfig({ brokers: 'a:1', sasl: { mechanism: custom } });
      expect(other.saslMechanism).toBe('AWS_MSK_IAM');
    });
  });
});
