// A consumer program written the way a user writes one, run with plain `node` on the BUILT package by
// test-support/user-process.ts. It holds no timer or socket of its own that could keep the process
// alive: whether it lives is up to the consumer. One JSON argument:
//   config            the consumer's options (a JSON-line logger is added)
//   assign | subscribe  [{ topic, partition }] | [topic]
//   api               'iterate' (default: for await) or 'run' (eachBatch)
//   stopAfter         close and end after this many records (default: never)
//   constructOnly     build the consumer and do nothing else
//   healthEveryMs     print health() this often (an unref'd timer)
//   closeTimeoutMs    close() timeout after SIGTERM or stopAfter (default 30 000)
// Prints one JSON object per line: ready, records, log, health, closed, done. An error thrown by the
// consumer is not caught: it ends the process through Node's own unhandled-rejection path.
import { Consumer } from '@runnel/consumer';
import { errorOf, logger, print } from './child-events.mjs';

const args = JSON.parse(process.argv[2] ?? '{}');

const consumer = new Consumer({ ...args.config, logger });
if (args.constructOnly) {
  print({ event: 'constructed' });
} else {
  await consume();
}

async function consume() {
  if (args.assign) consumer.assign(args.assign);
  else consumer.subscribe(args.subscribe);
  if (args.healthEveryMs) {
    setInterval(() => {
      const h = consumer.health();
      print({
        event: 'health',
        allBrokersDownSince: h.allBrokersDownSince,
        lastConnectionError: errorOf(h.lastConnectionError),
        fetchErrors: h.fetchErrors,
        preferredReadReplicas: consumer.lag().map((l) => l.preferredReadReplica),
        bufferedBytes: h.bufferedBytes,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        // How far the wall clock moved from the monotonic one since the start (a step, a paused VM):
        // health() reports times since an event as the wall clock now less the monotonic time since.
        wallClockDriftMs: Math.round(Date.now() - (performance.timeOrigin + performance.now())),
      });
    }, args.healthEveryMs).unref();
  }
  const closeTimeoutMs = args.closeTimeoutMs ?? 30_000;
  let closing = null;
  const close = (why) => {
    closing ??= (async () => {
      const started = Date.now();
      await consumer.close({ timeoutMs: closeTimeoutMs });
      print({ event: 'closed', why, ms: Date.now() - started });
    })();
    return closing;
  };
  process.once('SIGTERM', () => void close('SIGTERM'));
  print({ event: 'ready', pid: process.pid });

  let seen = 0;
  const onBatch = async (batch) => {
    print({ event: 'records', partition: batch.partition, offsets: batch.records.map((r) => r.offset) });
    seen += batch.records.length;
    // Not awaited: close waits for handlers in progress, this one included.
    if (args.stopAfter !== undefined && seen >= args.stopAfter) void close('stopAfter');
  };
  if (args.api === 'run') {
    await consumer.run({ eachBatch: onBatch });
  } else {
    for await (const batch of consumer) await onBatch(batch);
  }
  await closing;
  print({ event: 'done', records: seen });
}
