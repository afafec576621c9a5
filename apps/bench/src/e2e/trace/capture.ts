import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lastLines } from '../exec.js';
import type { Packet } from './frames.js';

/*
 * Loopback capture with Wireshark's command-line tools (Debian: `apt-get install -y tshark`): dumpcap
 * records the broker port's packets to a file while one client starts, tshark then prints each
 * packet's time, connection, ports, flags, sequence number and payload as tab-separated fields.
 */

const FIELDS = [
  'frame.time_epoch',
  'tcp.stream',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.flags.syn',
  'tcp.flags.ack',
  'tcp.seq_raw',
  'tcp.payload',
];

/** @returns why loopback capture cannot work here, or undefined when dumpcap and tshark are installed. */
export function captureUnavailable(): string | undefined {
  for (const tool of ['/usr/bin/dumpcap', '/usr/bin/tshark']) {
    if (!existsSync(tool)) return `${tool} is missing (Debian: apt-get install -y tshark)`;
  }
  return undefined;
}

/** A capture in progress. */
export interface Capture {
  /**
   * Stops capturing and waits until the file is complete. It first gives dumpcap a second to drain
   * the kernel's buffer: stopped at once, it loses the last packets of a client that just exited.
   */
  stop(): Promise<void>;
}

/**
 * Starts dumpcap on the loopback interface with a capture filter on the broker's port, writing `file`.
 *
 * @returns the capture, once dumpcap says it is capturing.
 * @throws Error when dumpcap exits first or does not start within 30 s (e.g. without CAP_NET_RAW).
 */
export async function startCapture(port: number, file: string): Promise<Capture> {
  const child: ChildProcess = spawn(
    '/usr/bin/dumpcap',
    ['-i', 'lo', '-f', `tcp port ${port}`, '-B', '64', '-w', file],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dumpcap did not start: ${stderr.trim()}`)), 30_000);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      // dumpcap names the interface once the capture runs.
      if (/Capturing on/.test(stderr)) {
        clearTimeout(timer);
        // The line can come before the kernel filter is live: give it a moment (the caller still
        // checks that every connection's SYN is in the capture).
        setTimeout(resolve, 1000);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`dumpcap exited: ${lastLines(stderr, 5)}`));
    });
  });
  return {
    async stop() {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      child.kill('SIGINT');
      await exited;
    },
  };
}

/**
 * Reads a capture file with tshark.
 *
 * @returns tshark's tab-separated field lines (its stdout; its notes on stderr are left out).
 * @throws Error when tshark fails.
 */
export async function readCapture(file: string): Promise<string> {
  const args = [
    '-r',
    file,
    '-n',
    '-o',
    'tcp.desegment_tcp_streams:FALSE',
    '-T',
    'fields',
    '-E',
    'separator=/t',
  ];
  for (const field of FIELDS) args.push('-e', field);
  const child = spawn('/usr/bin/tshark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4096)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`tshark failed (exit ${code}): ${lastLines(stderr, 5)}`);
  return Buffer.concat(stdout).toString('utf8');
}

function flag(text: string | undefined): boolean {
  return text === '1' || text === 'True' || text === 'true';
}

/** @returns the capture time of a `frame.time_epoch` value (`1796417921.310939001`) in ms since the epoch. */
function epochMs(text: string): number {
  const [seconds, fraction = ''] = text.split('.');
  return Number(seconds) * 1000 + Number(`0.${fraction.padEnd(9, '0').slice(0, 9)}`) * 1000;
}

/**
 * Parses the lines `readCapture` returns (fields in the order of FIELDS). Lines that are not TCP
 * packets (tshark's notes) are skipped.
 *
 * @returns the packets in capture order.
 */
export function parseCaptureFields(text: string): Packet[] {
  const packets: Packet[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split('\t');
    if (fields.length < 7 || !/^\d+\.\d+$/.test(fields[0]!)) continue;
    const [time, stream, src, dst, syn, ack, seq, payload = ''] = fields;
    packets.push({
      timeMs: epochMs(time!),
      stream: Number(stream),
      srcPort: Number(src),
      dstPort: Number(dst),
      syn: flag(syn),
      ack: flag(ack),
      seq: Number(seq),
      payload: Buffer.from(payload.replace(/:/g, ''), 'hex'),
    });
  }
  return packets;
}
