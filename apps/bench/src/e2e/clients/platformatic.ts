/**
 * The @platformatic/kafka client of the end-to-end benchmark: group consumption from the earliest
 * offset, auto-commit off, read_uncommitted (its default is read_committed), the shared fetch sizes.
 */
import { finish, loadPeer, main, readSpec, sizeOf, Tally, watchdog } from './child.js';

/** The little of @platformatic/kafka's API this program uses. */
interface Platformatic {
  Consumer: new (
    options: Record<string, unknown>,
  ) => {
    consume(options: Record<string, unknown>): Promise<MessagesStream>;
    close(force?: boolean): Promise<void>;
  };
}
interface MessagesStream {
  on(event: 'data', listener: (message: { key: unknown; value: unknown }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  close(): Promise<void>;
}

/** `FetchIsolationLevels.READ_UNCOMMITTED` */
const READ_UNCOMMITTED = 0;

main(async () => {
  const spec = readSpec();
  const { Consumer } = await loadPeer<Platformatic>(spec, '@platformatic/kafka');
  const tally = new Tally(spec.records);
  const cancel = watchdog(spec.timeoutMs, tally);
  const fetch = {
    minBytes: spec.fetch.fetchMinBytes,
    maxBytes: spec.fetch.fetchMaxBytes,
    maxBytesPerPartition: spec.fetch.maxPartitionFetchBytes,
    maxWaitTime: spec.fetch.fetchMaxWaitMs,
    isolationLevel: READ_UNCOMMITTED,
    autocommit: false,
  };
  const consumer = new Consumer({
    clientId: 'platformatic-bench',
    bootstrapBrokers: spec.brokers.split(','),
    groupId: spec.groupId,
    ...fetch,
  });
  const stream = await consumer.consume({ topics: [spec.topic], mode: 'earliest', ...fetch });
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('data', (message) => {
      if (tally.add(1, sizeOf(message.key) + sizeOf(message.value))) resolve();
    });
  });
  cancel();
  await finish(tally.report('platformatic'), async () => {
    await stream.close();
    await consumer.close(true);
  });
});
