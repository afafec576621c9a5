/**
 * The Runnel client of the share-group benchmark: a ShareConsumer of the run spec's group (its
 * `share.auto.offset.reset` set to earliest beforehand), implicit acknowledgement as Java's default,
 * the shared fetch settings, counting key and value bytes of every record until the spec's count.
 */
import { ShareConsumer } from '@runnel/consumer';
import { finish, main, readSpec, sizeOf, Tally, watchdog } from './child.js';

main(async () => {
  const spec = readSpec();
  const tally = new Tally(spec.records);
  const cancel = watchdog(spec.timeoutMs, tally);
  const consumer = new ShareConsumer({
    brokers: spec.brokers,
    groupId: spec.groupId,
    clientId: 'runnel-share-bench',
    fetchMaxBytes: spec.fetch.fetchMaxBytes,
    fetchMinBytes: spec.fetch.fetchMinBytes,
    fetchMaxWaitMs: spec.fetch.fetchMaxWaitMs,
  });
  consumer.subscribe([spec.topic]);
  for await (const batch of consumer) {
    let bytes = 0;
    for (const record of batch.records) bytes += sizeOf(record.key) + sizeOf(record.value);
    if (tally.add(batch.records.length, bytes)) break;
  }
  cancel();
  await finish(tally.report('runnel'), () => consumer.close({ timeoutMs: 5000 }));
});
