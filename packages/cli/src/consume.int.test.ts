import { spawn } from 'node:child_process';
import { createTopic, producePerf } from '@runnel/kafka-local';
import { type TestKafkaCluster, testCluster } from '@runnel/kafka-local/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BIN,
  produceRecords,
  requireFreshBuild,
  runCli,
  runInTerminal,
  startCli,
} from './test-support/run-cli.js';

const run = `${Date.now()}`;
const FORMATS = `cli-formats-${run}`;
const TIMES = `cli-times-${run}`;
const MANY = `cli-many-${run}`;
const FOLLOW = `cli-follow-${run}`;
const MANY_RECORDS = 300;
/** Any SGR escape (colors, bold, dim). */
const SGR = new RegExp(`${String.fromCharCode(27)}\\[\\d+(;\\d+)*m`);

let kafka: TestKafkaCluster;
let b: string[];
let timeBetween = 0;

const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const json = (text: string) => lines(text).map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  requireFreshBuild();
  kafka = testCluster();
  b = ['-b', kafka.bootstrap];
  await Promise.all([FORMATS, TIMES, FOLLOW].map((topic) => createTopic(kafka, { topic, partitions: 1 })));
  await createTopic(kafka, { topic: MANY, partitions: 3 });
  await produceRecords(
    kafka,
    FORMATS,
    [0, 1, 2, 3, 4].map((i) => ({ key: `k${i}`, value: `{"n":${i}}`, headers: [`h:v${i}`, `i:${i}`] })),
  );
  await produceRecords(
    kafka,
    TIMES,
    [0, 1, 2].map((i) => ({ key: `early${i}`, value: 'a' })),
  );
  timeBetween = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await produceRecords(
    kafka,
    TIMES,
    [0, 1].map((i) => ({ key: `late${i}`, value: 'b' })),
  );
  await produceRecords(
    kafka,
    FOLLOW,
    [0, 1, 2, 3, 4].map((i) => ({ key: `old${i}`, value: 'x' })),
  );
  const summary = await producePerf(kafka, { topic: MANY, numRecords: MANY_RECORDS, recordSize: 20 });
  expect(summary.records).toBe(MANY_RECORDS);
}, 240_000);

describe('runnel consume, piped', () => {
  it('prints a readable line per record without colors, and exits at the end offsets read at start', async () => {
    const r = await runCli(['consume', FORMATS, ...b]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(SGR);
    const printed = lines(r.stdout);
    expect(printed).toHaveLength(5);
    printed.forEach((line, i) => {
      expect(line).toMatch(
        new RegExp(
          `^${FORMATS} \\[0\\] @${i} \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z k${i}: \\{"n":${i}\\} \\[h=v${i},i=${i}\\]$`,
        ),
      );
    });
  });

  it('prints one JSON object per line, the value embedded as JSON with --value-format json', async () => {
    const r = await runCli([
      'consume',
      FORMATS,
      ...b,
      '--json',
      '--value-format',
      'json',
      '--key-format',
      'hex',
    ]);
    expect(r.code).toBe(0);
    const records = json(r.stdout);
    expect(records.map((x) => x.offset)).toEqual([0, 1, 2, 3, 4]);
    expect(records[2]).toMatchObject({
      topic: FORMATS,
      partition: 0,
      key: Buffer.from('k2').toString('hex'),
      value: { n: 2 },
      timestampType: 'CreateTime',
      headers: [
        { key: 'h', value: 'v2' },
        { key: 'i', value: '2' },
      ],
    });
    expect(typeof records[2]!.timestamp).toBe('number');
  });

  it('fills a kcat template, with base64 values', async () => {
    const r = await runCli([
      'consume',
      FORMATS,
      ...b,
      '-f',
      '%t:%p:%o %k %s %K/%S %h\\n',
      '--value-format',
      'base64',
    ]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual(
      [0, 1, 2, 3, 4].map(
        (i) => `${FORMATS}:0:${i} k${i} ${Buffer.from(`{"n":${i}}`).toString('base64')} 2/7 h=v${i},i=${i}`,
      ),
    );
  });

  it('fails with exit 1 and one line naming the record when a value is not the JSON asked for', async () => {
    const r = await runCli(['consume', TIMES, ...b, '--value-format', 'json']);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr.startsWith(`runnel: the value of ${TIMES}-0@0 is not JSON (`)).toBe(true);
  });

  it.each([
    [
      ['--from', '3'],
      [3, 4],
    ],
    [
      ['--from', '-2'],
      [3, 4],
    ],
    [['--from', '99'], []],
    [['--from', 'latest'], []],
    [
      ['--from', 'earliest', '-n', '2'],
      [0, 1],
    ],
  ])('starts where --from says: %j', async (args, offsets) => {
    const r = await runCli(['consume', FORMATS, ...b, '--json', ...args]);
    expect(r.code).toBe(0);
    expect(json(r.stdout).map((x) => x.offset)).toEqual(offsets);
  });

  it('starts at the first record at or after a time (--from @ms and ISO 8601)', async () => {
    for (const from of [`@${timeBetween}`, new Date(timeBetween).toISOString()]) {
      const r = await runCli(['consume', TIMES, ...b, '--json', '--from', from]);
      expect(r.code).toBe(0);
      expect(json(r.stdout).map((x) => x.key)).toEqual(['late0', 'late1']);
    }
  });

  it('reads the partitions -p names, and stops after -n records', async () => {
    const ends = JSON.parse((await runCli(['topics', 'describe', MANY, ...b, '--json'])).stdout) as {
      partitions: { partition: number; latest: number }[];
    };
    const [r1, rn] = await Promise.all([
      runCli(['consume', MANY, ...b, '--json', '-p', '1']),
      runCli(['consume', MANY, ...b, '--json', '-n', '7']),
    ]);
    expect(r1.code).toBe(0);
    const one = json(r1.stdout);
    expect(one.every((x) => x.partition === 1)).toBe(true);
    expect(one).toHaveLength(ends.partitions.find((p) => p.partition === 1)!.latest);
    expect(rn.code).toBe(0);
    expect(json(rn.stdout)).toHaveLength(7);
  });

  it('in a group, commits exactly what it printed: a second run prints the rest', async () => {
    const group = `cli-consume-group-${run}`;
    const first = await runCli(['consume', MANY, ...b, '-g', group, '-n', '10', '-f', '%p:%o\\n']);
    expect(first.code).toBe(0);
    expect(lines(first.stdout)).toHaveLength(10);
    const lag = JSON.parse((await runCli(['lag', group, ...b, '--json'])).stdout) as {
      partitions: { committed: number | null }[];
    };
    expect(lag.partitions.reduce((sum, p) => sum + (p.committed ?? 0), 0)).toBe(10);
    const second = await runCli(['consume', MANY, ...b, '-g', group, '-f', '%p:%o\\n']);
    expect(second.code).toBe(0);
    const seen = [...lines(first.stdout), ...lines(second.stdout)];
    expect(seen).toHaveLength(MANY_RECORDS);
    expect(new Set(seen).size).toBe(MANY_RECORDS);
  });

  it('follows: --follow -n waits for new records and exits once it has them', async () => {
    const cli = startCli(['consume', FOLLOW, ...b, '--follow', '-n', '7', '-f', '%k\\n']);
    await cli.waitForOutput(/old4\n/);
    await produceRecords(kafka, FOLLOW, [
      { key: 'new0', value: 'y' },
      { key: 'new1', value: 'y' },
    ]);
    const r = await cli.done;
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual(['old0', 'old1', 'old2', 'old3', 'old4', 'new0', 'new1']);
  });

  it('tail prints only records written after it started, until SIGINT (130) or SIGTERM (143)', async () => {
    const tail = startCli(['tail', FOLLOW, ...b, '-f', '%k\\n']);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await produceRecords(kafka, FOLLOW, [
      { key: 'tail0', value: 'z' },
      { key: 'tail1', value: 'z' },
    ]);
    await tail.waitForOutput(/tail1\n/);
    tail.child.kill('SIGINT');
    const r = await tail.done;
    expect(r.code).toBe(130);
    expect(lines(r.stdout)).toEqual(['tail0', 'tail1']);
    expect(r.stderr).toBe('');
    const term = startCli(['tail', FOLLOW, ...b]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    term.child.kill('SIGTERM');
    expect((await term.done).code).toBe(143);
  });

  it('ends quietly with 0 when the reader of stdout goes away (| head)', async () => {
    const shell = spawn('bash', [
      '-c',
      `"${process.execPath}" "${BIN}" consume ${MANY} -b ${kafka.bootstrap} | head -n 2; echo "rc=\${PIPESTATUS[0]}" >&2`,
    ]);
    let out = '';
    let err = '';
    shell.stdout.on('data', (c: Buffer) => (out += c.toString()));
    shell.stderr.on('data', (c: Buffer) => (err += c.toString()));
    await new Promise((resolve) => shell.on('close', resolve));
    expect(lines(out)).toHaveLength(2);
    expect(err).toBe('rc=0\n');
  });

  it('fails with exit 1 and one line for a topic that does not exist', async () => {
    const r = await runCli(['consume', `no-such-topic-${run}`, ...b]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`runnel: topic "no-such-topic-${run}" does not exist\n`);
  });
});

describe('runnel consume in a terminal', () => {
  it('colors the records and ends with a summary line', async () => {
    const r = await runInTerminal(['consume', FORMATS, ...b]);
    expect(r.code).toBe(0);
    const shown = r.stdout.split('\r\n');
    expect(shown[0]).toMatch(SGR);
    expect(shown[0]).toContain(`\x1b[36mk0\x1b[39m`);
    expect(shown.some((l) => /5 records, [\d.]+ MB in [\d.]+ s/.test(l))).toBe(true);
  });

  it('shows no colors with NO_COLOR', async () => {
    const r = await runInTerminal(['consume', FORMATS, ...b], { env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(SGR);
    expect(r.stdout).toContain(`${FORMATS} [0] @4 `);
  });

  it('draws a progress line on stderr, redrawn in place, when stderr is the terminal', async () => {
    const r = await runInTerminal(['tail', FOLLOW, ...b], {
      shellPrefix: 'timeout --preserve-status -s INT 3',
      shellSuffix: '>/dev/null',
    });
    expect(r.code).toBe(130);
    expect(r.stdout).toContain('\r\x1b[2K');
    expect(r.stdout).toMatch(/0 records {2}0\.00 MB {2}0\/s/);
  });

  it('draws no progress line when stderr is piped', async () => {
    const r = await runInTerminal(['consume', FORMATS, ...b], { shellSuffix: '2>/dev/null' });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\x1b[2K');
    expect(r.stdout).not.toContain('records,');
  });
});
