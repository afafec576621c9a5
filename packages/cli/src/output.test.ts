import { EventEmitter } from 'node:events';
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { colorsWanted, Output, type OutputStream } from './io.js';
import { cliLogger } from './logger.js';
import { oneLine } from './main.js';
import { ProgressLine, progressText } from './progress.js';
import { renderFields, renderTable } from './table.js';

/** A stream that keeps what is written; `full` makes write() report a full buffer. */
class FakeStream extends EventEmitter implements OutputStream {
  text = '';
  full = false;
  constructor(readonly isTTY = false) {
    super();
  }
  write(chunk: string, callback?: (error?: Error | null) => void): boolean {
    this.text += chunk;
    if (callback) queueMicrotask(() => callback());
    return !this.full;
  }
}

describe('colors', () => {
  it('colors a terminal only, never with NO_COLOR or TERM=dumb; FORCE_COLOR wins', () => {
    const tty = new FakeStream(true);
    const pipe = new FakeStream(false);
    expect(colorsWanted(tty, {})).toBe(true);
    expect(colorsWanted(pipe, {})).toBe(false);
    expect(colorsWanted(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colorsWanted(tty, { NO_COLOR: '' })).toBe(true);
    expect(colorsWanted(tty, { TERM: 'dumb' })).toBe(false);
    expect(colorsWanted(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorsWanted(tty, { FORCE_COLOR: '0', NO_COLOR: '1' })).toBe(false);
  });
});

describe('Output', () => {
  it('waits for drain when the stream is full, and stops writing once the reader went away', async () => {
    const stream = new FakeStream();
    const out = new Output(stream);
    stream.full = true;
    await out.write('a');
    expect(stream.text).toBe('a');
    stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(out.closed).toBe(true);
    await out.write('b');
    expect(stream.text).toBe('a');
  });
});

describe('tables', () => {
  it('pads columns two spaces apart, numbers on the right, and colors only the heading', () => {
    const text = renderTable(
      [{ header: 'TOPIC' }, { header: 'LAG', align: 'right' }, { header: 'MEMBER' }],
      [
        ['orders', '5', 'm-1'],
        ['payments-eu', '1200', '-'],
      ],
      pc.createColors(false),
    );
    expect(text).toBe('TOPIC         LAG  MEMBER\norders          5  m-1\npayments-eu  1200  -\n');
    expect(
      renderFields(
        [
          ['group', 'g'],
          ['total lag', '3'],
        ],
        pc.createColors(false),
      ),
    ).toBe('group      g\ntotal lag  3\n');
  });
});

describe('progress', () => {
  it('shows records, MB, rate and what is left', () => {
    expect(progressText({ records: 12_000, bytes: 1_200_000, remaining: 3000 }, 1500)).toBe(
      '12,000 records  1.20 MB  8,000/s  3,000 to go',
    );
    expect(progressText({ records: 0, bytes: 0, remaining: null }, 0)).toBe('0 records  0.00 MB  0/s');
  });

  it('redraws in place on a terminal and writes nothing when disabled', () => {
    let now = 0;
    const tty = new FakeStream(true);
    const line = new ProgressLine(tty, true, pc.createColors(false), () => now);
    now = 1000;
    line.draw({ records: 10, bytes: 100, remaining: 5 });
    line.clear();
    line.finish({ records: 10, bytes: 100, remaining: null });
    expect(tty.text).toBe(
      '\r\x1b[2K10 records  0.00 MB  10/s  5 to go\r\x1b[2K10 records, 0.00 MB in 1.0 s\n',
    );
    const pipe = new FakeStream(false);
    const off = new ProgressLine(pipe, false, pc.createColors(false), () => now);
    off.draw({ records: 1, bytes: 1, remaining: 0 });
    off.finish({ records: 1, bytes: 1, remaining: null });
    expect(pipe.text).toBe('');
  });
});

describe('errors and logs', () => {
  it('puts an error and the causes it does not repeat on one line', () => {
    const root = new Error('connect ECONNREFUSED 127.0.0.1:1');
    const middle = new Error('connection refused', { cause: root });
    const top = new Error('reading metadata did not finish within 2000 ms\n(retrying)', { cause: middle });
    expect(oneLine(top)).toBe(
      'reading metadata did not finish within 2000 ms (retrying): connection refused: connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(oneLine(new Error('a: b', { cause: new Error('b') }))).toBe('a: b');
    expect(oneLine('plain')).toBe('plain');
  });

  it('logs on stderr only under --debug, and always remembers the last error', () => {
    const stderr = new FakeStream();
    const quiet = cliLogger(false, stderr, () => 0);
    const refused = new Error('refused');
    quiet.warn({ err: refused, attempt: 2 }, 'retrying');
    expect(quiet.lastError).toBe(refused);
    expect(stderr.text).toBe('');
    const loud = cliLogger(true, stderr, () => 0);
    loud.debug({ err: refused, offset: 5n }, 'fetch');
    expect(stderr.text).toBe('1970-01-01T00:00:00.000Z debug fetch err="Error: refused" offset="5"\n');
  });
});
