import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCluster } from '@runnel/kafka-local/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireFreshBuild, runCli } from './test-support/run-cli.js';

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

beforeAll(() => requireFreshBuild());

describe('runnel --help', () => {
  it('lists the commands, the connection options, the environment and the exit statuses', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const command of [
      'consume [options] <topic...>',
      'tail [options] <topic...>',
      'groups',
      'lag [options] <group>',
      'offsets',
      'topics',
    ]) {
      expect(r.stdout).toContain(`  ${command}`);
    }
    expect(r.stdout).toContain('KAFKA_BROKERS');
    expect(r.stdout).toContain('KAFKA_SASL_PASSWORD');
    expect(r.stdout).toContain('NO_COLOR');
    expect(r.stdout).toMatch(/Exit status:\n {2}0 done, 1 failed .*\n {2}2 usage error/);
    expect(r.stdout).toContain('130 / 143 stopped by SIGINT / SIGTERM');
  });

  it('describes consume: positions, formats, template fields and the connection options', async () => {
    const r = await runCli(['consume', '--help']);
    expect(r.code).toBe(0);
    for (const text of [
      'Usage: runnel consume [options] <topic...>',
      '--from <position>',
      '-g, --group <id>',
      '-p, --partition <n,...>',
      '-n, --count <n>',
      '-f, --format <template>',
      '--json',
      '--key-format <format>',
      '--isolation <level>',
      '--follow',
      'Connection options:',
      '-b, --brokers <host:port,...>',
      '--config <file>',
      '--sasl-mechanism <name>',
      '--timeout <ms>',
      '%k  key',
      '%s  value',
      'or -N: N records before the end',
    ]) {
      expect(r.stdout).toContain(text);
    }
  });

  it.each([
    [['tail', '--help'], 'Usage: runnel tail [options] <topic...>'],
    [['groups', '--help'], 'describe [options] <group>'],
    [['groups', 'describe', '--help'], 'Usage: runnel groups describe [options] <group>'],
    [['lag', '--help'], '--watch'],
    [['offsets', 'reset', '--help'], '--to <position>'],
    [['topics', 'list', '--help'], '--all'],
    [['help', 'consume'], 'Usage: runnel consume [options] <topic...>'],
  ])('%j shows its help', async (args, text) => {
    const r = await runCli(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(text);
    // Commands that run take the connection options; `groups` alone only lists its commands.
    if (args[0] !== 'groups' || args.length > 2) expect(r.stdout).toContain('--brokers');
  });

  it('prints the version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('usage errors', () => {
  it('runnel alone shows the help on stderr and exits 2', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: runnel [options] [command]');
  });

  it.each([
    [
      ['consume', 't', '-b', 'k:1', '--frm', '3'],
      "runnel: unknown option '--frm' (did you mean --from?) (see runnel consume --help)",
    ],
    [['consume', '-b', 'k:1'], "runnel: missing required argument 'topic' (see runnel consume --help)"],
    [['consum', 't'], "runnel: unknown command 'consum' (did you mean consume?) (see runnel --help)"],
    [
      ['consume', 't', '-b', 'k:1', '--from', 'soon'],
      'runnel: --from: expected earliest, latest, an offset, a time',
    ],
    [
      ['consume', 't', '-b', 'k:1', '--json', '-f', '%s'],
      'runnel: --format: --json and --format cannot be used together',
    ],
    [['consume', 't', '-b', 'k:1', '-g', 'g', '-p', '0'], 'runnel: --partition: cannot be used with --group'],
    [
      ['consume', 't', '-b', 'k:1', '-g', 'g', '--from', '5'],
      'runnel: --from: with --group takes earliest or latest',
    ],
    [['consume', 't', '-b', 'k:1', '-n', '0'], 'runnel: --count: expected a positive integer, got "0"'],
    [['consume', 't', '-b', 'k:1', '-f', '%q'], 'runnel: --format: unknown field %q in the template'],
    [
      ['consume', 't', '-b', 'k:1', '--isolation', 'dirty'],
      "runnel: option '--isolation <level>' argument 'dirty' is invalid.",
    ],
    [
      ['consume', 't'],
      'runnel: --brokers: no brokers: give --brokers host:port[,host:port...] or set KAFKA_BROKERS',
    ],
    [['consume', 't', '-b', 'localhost'], 'runnel: --brokers: entry "localhost" is not host:port'],
    [['consume', 't', '-b', 'k:1', '--timeout', 'soon'], 'runnel: --timeout: expected a positive integer'],
    [
      ['offsets', 'reset', 'g', '--to', 'earliest', '-b', 'k:1'],
      "runnel: required option '--topic <topic...>' not specified",
    ],
    [
      ['offsets', 'reset', 'g', '--topic', 't', '--to', '-5', '-b', 'k:1'],
      'runnel: --to: -N is not taken here',
    ],
    [['groups', 'describe', 'g', 'extra', '-b', 'k:1'], 'runnel: too many arguments for'],
  ])('%j exits 2 with one line', async (args, start) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr.startsWith(start)).toBe(true);
  });

  it('names the property of a --config file that is wrong, and exits 2', async () => {
    const file = join(tmpdir(), `runnel-cli-${process.pid}.properties`);
    writeFileSync(file, 'bootstrap.servers=localhost:9092\ninterceptor.classes=com.example.Audit\n');
    const r = await runCli(['topics', 'list', '--config', file]);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(
      new RegExp(`^runnel: interceptor\\.classes: is not a consumer property .* \\(in ${file}\\)`),
    );
  });
});

describe('brokers that cannot be reached', () => {
  let closedPort: number;
  let silent: Server;
  let silentPort: number;
  const held: Socket[] = [];

  beforeAll(async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    // Accepts connections and never answers: only the command's own deadline ends the wait.
    silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it.each([
    [['consume', 't']],
    [['tail', 't']],
    [['groups', 'list']],
    [['groups', 'describe', 'g']],
    [['lag', 'g']],
    [['offsets', 'reset', 'g', '--topic', 't', '--to', 'latest']],
    [['topics', 'list']],
    [['topics', 'describe', 't']],
  ])('%j ends with exit 1 and one line within --timeout, refused or unanswered', async (args) => {
    for (const port of [closedPort, silentPort]) {
      const r = await runCli([...args, '-b', `127.0.0.1:${port}`, '--timeout', '1500']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(/^runnel: .* did not finish within 1500 ms/);
      if (port === closedPort) expect(r.stderr).toContain('ECONNREFUSED');
      // The limit plus the start of a Node process on a busy machine.
      expect(r.elapsedMs).toBeLessThan(1500 + 6000);
    }
  });

  it('adds the stack and the client log with --debug', async () => {
    const r = await runCli([
      'topics',
      'list',
      '-b',
      `127.0.0.1:${closedPort}`,
      '--timeout',
      '800',
      '--debug',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^runnel: listing topics from 127\.0\.0\.1:\d+ did not finish within 800 ms/m);
    expect(r.stderr).toContain('CliTimeoutError: listing topics');
    expect(r.stderr).toContain('caused by:');
    expect(r.stderr).toMatch(/ debug retrying request api="Metadata" attempt=1 .*connection refused/);
  });

  it('still answers once a broker is given (the same command succeeds against the test cluster)', async () => {
    const r = await runCli([
      'topics',
      'list',
      '-b',
      `127.0.0.1:${closedPort},${testCluster().bootstrap}`,
      '--timeout',
      '8000',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^TOPIC +PARTITIONS +REPLICATION$/m);
  });
});
