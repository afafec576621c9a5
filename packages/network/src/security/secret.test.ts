import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { saslMechanismOf } from './sasl-authenticator.js';
import { Secret } from './secret.js';

describe('Secret', () => {
  it('shows [redacted] to inspect, JSON, String and template strings, and the value only to reveal()', () => {
    const secret = new Secret('hunter2');
    const config = { sasl: { mechanism: 'PLAIN', username: 'alice', password: secret } };
    expect(inspect(config, { depth: 10, showHidden: true })).not.toContain('hunter2');
    expect(inspect(config)).toContain('Secret([redacted])');
    expect(JSON.stringify(config)).toBe(
      '{"sasl":{"mechanism":"PLAIN","username":"alice","password":"[redacted]"}}',
    );
    expect(String(secret)).toBe('[redacted]');
    expect(`${secret}`).toBe('[redacted]');
    expect(Object.keys(secret)).toEqual([]);
    expect(secret.reveal()).toBe('hunter2');
  });

  it('decodes bytes as UTF-8 for revealString, and from() keeps an existing Secret', () => {
    const secret = new Secret(Buffer.from('pässword', 'utf8'));
    expect(secret.revealString()).toBe('pässword');
    expect(Secret.from(secret)).toBe(secret);
    expect(Secret.from('x').revealString()).toBe('x');
  });

  it('keeps a plain-string password out of the inspect output of the mechanism built from it', () => {
    const mechanism = saslMechanismOf({ mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'hunter2' });
    expect(inspect(mechanism, { depth: 10, showHidden: true })).not.toContain('hunter2');
    expect(mechanism.name).toBe('SCRAM-SHA-256');
  });
});
