import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { hasGnuTime, parseGnuTimeUsage, parseProcStatCpuMs, parseVmHwmKiB, runMeasured } from './measure.js';

describe('parseGnuTimeUsage', () => {
  it('reads wall, user plus system CPU and max RSS, after the notes GNU time adds on failure', () => {
    const text = 'Command exited with non-zero status 1\nrunnel-usage 8.36 3.10 0.30 196792\n';
    expect(parseGnuTimeUsage(text)).toEqual({
      wallMs: 8360,
      cpuMs: 3400,
      peakRssKiB: 196_792,
      source: 'rusage',
    });
  });

  it('finds nothing in other text', () => {
    expect(parseGnuTimeUsage('')).toBeUndefined();
    expect(parseGnuTimeUsage('runnel-usage 1 2')).toBeUndefined();
  });
});

describe('parseProcStatCpuMs', () => {
  it('adds utime and stime in clock ticks, counting fields after a command name with spaces and parentheses', () => {
    const stat =
      '4242 (node (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 37 0 0 20 0 11 0 1000 1000000 5000';
    expect(parseProcStatCpuMs(stat)).toBe(2870);
  });

  it('finds nothing in a line that is not a stat line', () => {
    expect(parseProcStatCpuMs('')).toBeUndefined();
    expect(parseProcStatCpuMs('1 (x) S 1')).toBeUndefined();
  });
});

describe('parseVmHwmKiB', () => {
  it('reads the peak resident set size', () => {
    expect(parseVmHwmKiB('Name:\tnode\nVmPeak:\t  900 kB\nVmHWM:\t   51234 kB\nVmRSS:\t 40000 kB\n')).toBe(
      51_234,
    );
  });

  it('finds nothing for a process without memory figures', () => {
    expect(parseVmHwmKiB('Name:\tzombie\nState:\tZ (zombie)\n')).toBeUndefined();
  });
});

// Burns 300 ms of CPU however loaded the machine is, and holds about 64 MiB. On a loaded machine that
// takes seconds of wall time, hence the longer test timeouts below.
const BURN = `const keep = Buffer.alloc(64 * 1024 * 1024, 1); while (process.cpuUsage().user < 300000) {} console.log(keep[0]);`;

describe('runMeasured', () => {
  it.runIf(hasGnuTime())(
    'measures CPU time and peak RSS of a child exactly through GNU time',
    async () => {
      const run = await runMeasured(process.execPath, ['-e', BURN], { timeoutMs: 60_000 });
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe('1');
      expect(run.usage?.source).toBe('rusage');
      expect(run.usage!.cpuMs).toBeGreaterThanOrEqual(290);
      expect(run.usage!.peakRssKiB).toBeGreaterThan(64 * 1024);
    },
    60_000,
  );

  it('measures by polling /proc when asked to', async () => {
    const run = await runMeasured(process.execPath, ['-e', BURN], { timeoutMs: 60_000, forceProc: true });
    expect(run.code).toBe(0);
    expect(run.usage?.source).toBe('proc');
    // Polling misses at most the last interval.
    expect(run.usage!.cpuMs).toBeGreaterThanOrEqual(200);
    expect(run.usage!.peakRssKiB).toBeGreaterThan(64 * 1024);
  }, 60_000);

  it('reports a failing child with its status and stderr', async () => {
    const run = await runMeasured(process.execPath, ['-e', 'console.error("boom"); process.exit(3)'], {
      timeoutMs: 60_000,
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('boom');
    expect(run.timedOut).toBe(false);
  });

  it('kills the client itself, not only GNU time in front of it, when the time limit passes', async () => {
    const run = await runMeasured(
      process.execPath,
      ['-e', 'console.log(process.pid); setInterval(() => {}, 1000)'],
      { timeoutMs: 1000 },
    );
    expect(run.timedOut).toBe(true);
    const pid = Number(run.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    // Killed means gone, or a zombie waiting for init to reap it.
    const state = await readFile(`/proc/${pid}/stat`, 'utf8').then(
      (stat) => stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3),
      () => 'gone',
    );
    expect(['gone', 'Z']).toContain(state);
  });

  it('kills a child that runs past its time limit', async () => {
    const run = await runMeasured(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      timeoutMs: 300,
      forceProc: true,
    });
    expect(run.timedOut).toBe(true);
    expect(run.signal).toBe('SIGKILL');
  });
});
