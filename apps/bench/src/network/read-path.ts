/**
 * The socket read path of @runnel/network's Connection, alone: a client process reads large responses
 * from a server in another process, once with the socket reading into the frame decoder's buffers
 * (`onread`, the default) and once through `data` events (a socket factory that leaves `onread` out),
 * interleaved round by round. Only the client's CPU is measured (its own rusage), so the server's
 * work does not count.
 *
 * usage: node dist/network/read-path.js [--rounds N] [--responses N] [--response-kib K] [--out DIR]
 * Writes `<out>/<date>-read-path.{json,md}` (default apps/bench/results) and prints the summary.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection, type SocketFactory } from '@runnel/network';

const SELF = fileURLToPath(import.meta.url);
const MODES = ['onread', 'data'] as const;
type Mode = (typeof MODES)[number];

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : (process.argv[i + 1] ?? fallback);
}

/** Answers every request frame with one response of `bytes` bytes, correlation ids in order. */
function serve(bytes: number): void {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    let correlationId = 0;
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        pending = pending.subarray(4 + pending.readInt32BE(0));
        const response = Buffer.alloc(4 + bytes, 7);
        response.writeInt32BE(bytes, 0);
        response.writeInt32BE(correlationId++, 4);
        socket.write(response);
      }
    });
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`);
  });
}

/** Sends `responses` requests one after the other; prints the CPU it took, in ms. */
async function client(mode: Mode, port: number, responses: number, bytes: number): Promise<void> {
  const dataEvents: SocketFactory = ({ host, port }) => net.connect({ host, port });
  const connection = new Connection({
    host: '127.0.0.1',
    port,
    maxResponseSize: bytes + 1024,
    ...(mode === 'data' ? { socketFactory: dataEvents } : {}),
  });
  await connection.connect();
  const request = {
    apiKey: 1,
    apiVersion: 4,
    requestHeaderVersion: 1,
    responseHeaderVersion: 0,
    writeBody: () => {},
    readBody: (reader: { remaining: number }) => reader.remaining,
  };
  const started = process.cpuUsage();
  let received = 0;
  for (let i = 0; i < responses; i++) received += await connection.send(request);
  const used = process.cpuUsage(started);
  await connection.close();
  if (received !== responses * (bytes - 4)) throw new Error(`read ${received} bytes`);
  process.stdout.write(`${JSON.stringify({ mode, cpuMs: (used.user + used.system) / 1000 })}\n`);
}

function run(args: string[]): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [SELF, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolveRun(out) : reject(new Error(`client exited ${code}`))));
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const bytes = Number(option('--response-kib', '1024')) * 1024;
  const responses = Number(option('--responses', '1500'));
  if (process.argv[2] === '--serve') return serve(bytes);
  if (process.argv[2] === '--client') {
    return client(process.argv[3] as Mode, Number(option('--port', '0')), responses, bytes);
  }
  const rounds = Number(option('--rounds', '5'));
  const server = spawn(process.execPath, [SELF, '--serve', '--response-kib', String(bytes / 1024)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((ok) => server.stdout.once('data', (d: Buffer) => ok(Number(d))));
  const cpu: Record<Mode, number[]> = { onread: [], data: [] };
  const ratios: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      // Alternate which mode goes first, so neither always runs on a warmer machine.
      const order = round % 2 ? [...MODES].reverse() : MODES;
      const got: Partial<Record<Mode, number>> = {};
      for (const mode of order) {
        const args = ['--client', mode, '--port', String(port), '--responses', String(responses)];
        const line = await run([...args, '--response-kib', String(bytes / 1024)]);
        got[mode] = (JSON.parse(line) as { cpuMs: number }).cpuMs;
        cpu[mode].push(got[mode]);
      }
      ratios.push(got.onread! / got.data!);
    }
  } finally {
    server.kill();
  }
  const result = {
    node: process.version,
    responses,
    responseBytes: bytes,
    rounds,
    cpuMs: cpu,
    medianCpuMs: { onread: median(cpu.onread), data: median(cpu.data) },
    medianRatio: median(ratios),
  };
  const summary = [
    `Connection read path, Node ${process.version}: ${responses} responses of ${bytes / 1024} KiB, ${rounds} interleaved rounds`,
    '',
    '| socket reads | client CPU ms (median) |',
    '|---|---:|',
    `| into the decoder's buffers (onread) | ${result.medianCpuMs.onread.toFixed(0)} |`,
    `| data events | ${result.medianCpuMs.data.toFixed(0)} |`,
    '',
    `onread / data, median of the paired ratios: ${result.medianRatio.toFixed(2)}x`,
  ].join('\n');
  const out = resolve(option('--out', join(fileURLToPath(new URL('../../results', import.meta.url)))));
  await mkdir(out, { recursive: true });
  const stem = join(out, `${new Date().toISOString().slice(0, 10)}-read-path`);
  await writeFile(`${stem}.json`, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(`${stem}.md`, `${summary}\n`);
  process.stdout.write(`${summary}\n\n${stem}.{json,md}\n`);
}

await main();
