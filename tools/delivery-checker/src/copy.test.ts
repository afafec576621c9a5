import { describe, expect, it } from 'vitest';
import { checkCopy } from './copy.js';

const input = ['0', '1', '2', '3'];
const at = (offset: number, value: string, partition = 0) => ({ partition, offset, value });

describe('checkCopy', () => {
  it('passes an output holding every input value once, counting a redelivered offset apart', () => {
    const report = checkCopy(input, [at(0, '0'), at(1, '1'), at(0, '2', 1), at(1, '3', 1), at(1, '1')]);
    expect(report).toMatchObject({
      expected: 4,
      copied: 4,
      duplicateCopies: 0,
      redeliveries: 1,
      missing: 0,
      verdict: 'PASS',
    });
  });

  it('fails when an input value is missing', () => {
    const report = checkCopy(input, [at(0, '0'), at(1, '1'), at(2, '2')]);
    expect(report).toMatchObject({ missing: 1, samples: { missing: ['3'] }, verdict: 'FAIL' });
  });

  it('fails when a value was copied twice (two offsets)', () => {
    const report = checkCopy(input, [at(0, '0'), at(1, '1'), at(2, '2'), at(3, '3'), at(4, '2')]);
    expect(report).toMatchObject({ duplicateCopies: 1, verdict: 'FAIL' });
  });

  it('fails when a record that was never input is read (an aborted one, say)', () => {
    const report = checkCopy(input, [at(0, '0'), at(1, '1'), at(2, '2'), at(3, '3'), at(4, 'aborted')]);
    expect(report).toMatchObject({ unexpected: 1, samples: { unexpected: ['aborted'] }, verdict: 'FAIL' });
  });
});
