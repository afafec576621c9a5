import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AckedRecords, type ProducerEvent, parseProducerEvent } from '@runnel/delivery-checker';
import { type KafkaClusterInfo, type PropertyValue, renderProperties, spawnJava } from '@runnel/kafka-local';

const VERIFIABLE_PRODUCER = 'org.apache.kafka.tools.VerifiableProducer';

export interface ProducerOptions {
  readonly topic: string;
  /** Records to send; -1 sends until stopped. */
  readonly maxMessages: number;
  /** Records per second. */
  readonly throughput: number;
  /** Producer properties (a `--producer.config` file), e.g. `max.request.size`. */
  readonly props?: Readonly<Record<string, PropertyValue>>;
  /** Where to write the properties file. */
  readonly dir: string;
  /** Keys 0..N-1 in turn (`--repeating-keys`), so every partition gets records; default: no keys. */
  readonly repeatingKeys?: number;
}

/**
 * Kafka's VerifiableProducer as a child process (acks=all): what it saw acknowledged is the truth the
 * checker holds the consumers to.
 */
export class ProducerProcess {
  /** The acknowledged sends, in the order acknowledged. */
  readonly events: Extract<ProducerEvent, { name: 'producer_send_success' }>[] = [];
  /** When each of `events` was acknowledged (the producer's Date.now()), by index. */
  readonly ackedAt: number[] = [];
  /** Sends that failed (not acknowledged; the record may or may not be in the log). */
  failed = 0;
  stderr = '';
  private exitCode: number | null | undefined;
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    let pending = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
        const event = parseProducerEvent(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        if (event?.name === 'producer_send_success') {
          this.events.push(event);
          // The producer's own stamp: its output may reach us late on a loaded machine.
          this.ackedAt.push(event.timestamp || Date.now());
        } else if (event?.name === 'producer_send_error') this.failed++;
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-8192);
    });
    this.exited = new Promise((done) =>
      child.once('close', (code) => {
        this.exitCode = code;
        done();
      }),
    );
  }

  /**
   * Starts VerifiableProducer against `cluster` (its PLAINTEXT listener: faults on the proxied one
   * never touch it).
   *
   * @returns the running producer.
   */
  static async start(cluster: KafkaClusterInfo, options: ProducerOptions): Promise<ProducerProcess> {
    const config = join(options.dir, `producer-${options.topic}.properties`);
    await writeFile(config, renderProperties({ 'delivery.timeout.ms': 180_000, ...options.props }));
    const child = await spawnJava({
      version: cluster.version,
      mainClass: VERIFIABLE_PRODUCER,
      args: [
        '--bootstrap-server',
        cluster.bootstrap,
        '--topic',
        options.topic,
        '--max-messages',
        String(options.maxMessages),
        '--throughput',
        String(options.throughput),
        '--acks',
        '-1',
        '--producer.config',
        config,
        ...(options.repeatingKeys === undefined ? [] : ['--repeating-keys', String(options.repeatingKeys)]),
      ],
    });
    return new ProducerProcess(child);
  }

  /** How many sends were acknowledged so far. */
  get acked(): number {
    return this.events.length;
  }

  /** @returns the acknowledged records, for the checker. */
  ackedRecords(): AckedRecords {
    return AckedRecords.from(this.events);
  }

  /**
   * Waits for the producer to send everything and exit.
   *
   * @throws Error when it exits non-zero or does not exit within `timeoutMs` (it is then killed).
   */
  async done(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exited;
      throw new Error(`VerifiableProducer did not finish within ${timeoutMs} ms\n${this.stderr}`);
    }
    if (this.exitCode !== 0)
      throw new Error(`VerifiableProducer exited with ${this.exitCode}\n${this.stderr}`);
  }

  /** Stops it (SIGTERM: it flushes and exits) and waits for the exit. */
  async stop(): Promise<void> {
    if (this.exitCode === undefined) this.child.kill('SIGTERM');
    await this.exited;
  }
}
