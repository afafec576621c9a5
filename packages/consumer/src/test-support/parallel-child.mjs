// A consumer program that processes records with run({ ordering, maxInFlight }), run with plain `node`
// on the BUILT package by test-support/user-process.ts (the parallel-processing restart test kills it).
// One JSON argument:
//   config        the consumer's options
//   assign        [{ topic, partition }]
//   ordering      'key' or 'none'
//   maxInFlight   records in flight at most
//   maxDelayMs    each handler sleeps a random 0..maxDelayMs ms
// Prints one JSON object per line: ready, then done { o: offset } as each record's handler finishes
// (stdout to a pipe is written synchronously on Linux, so a line printed is a record done).
import { Consumer } from '@runnel/consumer';

const args = JSON.parse(process.argv[2] ?? '{}');
const print = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const consumer = new Consumer(args.config);
consumer.assign(args.assign);
process.once('SIGTERM', () => void consumer.close());
print({ event: 'ready', pid: process.pid });
await consumer.run({
  ordering: args.ordering,
  maxInFlight: args.maxInFlight,
  eachRecord: async (record) => {
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * (args.maxDelayMs + 1))));
    print({ event: 'done', o: record.offset });
  },
});
