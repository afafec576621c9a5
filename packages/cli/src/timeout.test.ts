import { ConsumerTimeoutError } from '@runnel/consumer';
import { ConnectionError, DeadlineExceededError } from '@runnel/network';
import { describe, expect, it } from 'vitest';
import { CliTimeoutError } from './errors.js';
import { withTimeout } from './timeout.js';

const never = new Promise<never>(() => {});

describe('withTimeout', () => {
  it('gives what the work gives when it ends first', async () => {
    await expect(withTimeout('reading', Promise.resolve(7), 1000, () => null)).resolves.toBe(7);
    await expect(
      withTimeout('reading', Promise.reject(new TypeError('bad')), 1000, () => null),
    ).rejects.toThrow(TypeError);
  });

  it('fails with a CliTimeoutError carrying the last error seen when the time runs out', async () => {
    const refused = new ConnectionError('k:1', 'network', 'connection refused');
    const error = await withTimeout('reading metadata', never, 20, () => refused).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliTimeoutError);
    expect((error as Error).message).toBe('reading metadata did not finish within 20 ms');
    expect((error as Error).cause).toBe(refused);
  });

  it("reports the clients' own deadlines the same way, with their cause", async () => {
    const refused = new ConnectionError('k:1', 'network', 'connection refused');
    for (const deadline of [
      new DeadlineExceededError('Metadata', 900, { cause: refused }),
      new ConsumerTimeoutError('ListOffsets', 900, { cause: refused }),
    ]) {
      const error = await withTimeout('looking up offsets', Promise.reject(deadline), 1000, () => null).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CliTimeoutError);
      expect((error as Error).message).toBe('looking up offsets did not finish within 1000 ms');
      expect((error as Error).cause).toBe(refused);
    }
  });
});
