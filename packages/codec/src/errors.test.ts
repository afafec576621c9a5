import { describe, expect, it } from 'vitest';
import { DecodeError, EncodeError, RunnelError } from './errors.js';

describe('RunnelError', () => {
  it('carries a stable code and the subclass name', () => {
    const e = new DecodeError('bad length', 7);
    expect(e.code).toBe('ERR_DECODE');
    expect(e.name).toBe('DecodeError');
    expect(e.offset).toBe(7);
    expect(e).toBeInstanceOf(RunnelError);
    expect(e).toBeInstanceOf(DecodeError);
    expect(e).not.toBeInstanceOf(EncodeError);
    expect(new Error('x')).not.toBeInstanceOf(RunnelError);
  });

  it('recognises an error branded by another copy of the class', () => {
    // A second, structurally identical class hierarchy stands in for a duplicate install.
    class RunnelErrorCopy extends Error {}
    const foreign = new RunnelErrorCopy('other copy');
    Object.defineProperty(foreign, Symbol.for('runnel.error.kinds'), {
      value: new Set(['DecodeError', 'RunnelError']),
    });
    expect(foreign).toBeInstanceOf(DecodeError);
    expect(foreign).toBeInstanceOf(RunnelError);
    expect(foreign).not.toBeInstanceOf(EncodeError);
  });
});
