// A share consumer program written the way a user writes one, run with plain `node` on the BUILT package
// by test-support/user-process.ts. It holds no timer or socket of its own that could keep the process
// alive: whether it lives is up to the share consumer. One JSON argument:
//   config          the share consumer's options (a JSON-line logger is added)
//   subscribe       [topic]
//   api             'iterate' (default: for await) or 'run' (eachRecord)
//   hold            never finish a batch: keep the records acquired (explicit mode), as a stuck worker does
//   constructOnly   build the consumer and do nothing else
//   healthEveryMs   print health() this often (an unref'd timer)
//   closeTimeoutMs  close() timeout after SIGTERM (default 30 000)
// Prints one JSON object per line: ready, records, log, health, closed, done. An error thrown by the
// share consumer is not caught: it ends the process through Node's own unhandled-rejection path.
import { ShareConsumer } from '@runnel/consumer';
import { errorOf, logger, print } from './child-events.mjs';

const args = JSON.parse(process.argv[2] ?? '{}');

const consumer = new ShareConsumer({ ...args.config, logger });
if (args.constructOnly) {
  print({ event: 'constructed' });
} else {
  await consume();
}

async function consume() {
  consumer.subscribe(args.subscribe);
  if (args.healthEveryMs) {
    setInterval(() => {
      const h = consumer.health();
      print({
        event: 'health',
        memberState: h.memberState,
        assigned: h.assigned,
        allBrokersDownSince: h.allBrokersDownSince,
        lastConnectionError: errorOf(h.lastConnectionError),
      });
    }, args.healthEveryMs).unref();
  }
  let closing = null;
  const close = (why) => {
    closing ??= (async () => {
      const started = Date.now();
      await consumer.close({ timeoutMs: args.closeTimeoutMs ?? 30_000 });
      print({ event: 'closed', why, ms: Date.now() - started });
    })();
    return closing;
  };
  process.once('SIGTERM', () => void close('SIGTERM'));
  print({ event: 'ready', pid: process.pid, memberId: consumer.health().memberId });

  let seen = 0;
  const report = (records) => {
    print({ event: 'records', records: records.map((r) => [r.partition, r.offset, r.deliveryCount]) });
    seen += records.length;
  };
  if (args.api === 'run') {
    await consumer.run({ eachRecord: (record) => report([record]) });
  } else {
    for await (const batch of consumer) {
      report(batch.records);
      // A stuck worker, busy on its own timer: it never asks for more, so nothing is acknowledged or
      // released until the process dies.
      if (args.hold) await new Promise(() => setInterval(() => {}, 1_000));
    }
  }
  await closing;
  print({ event: 'done', records: seen });
}
