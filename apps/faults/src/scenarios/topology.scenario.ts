/** The topic changes under the group: partitions added while it consumes. */
import { addPartitions } from '@runnel/kafka-local';
import { slowestResume } from '../harness/checks.js';
import { scenarioSuite } from '../harness/suite.js';
import { pause } from '../harness/wait.js';

/** The members' metadata.max.age.ms: new partitions must show up within it (plus a rebalance). */
const METADATA_MAX_AGE_MS = 5_000;
const PICKUP_LIMIT_MS = METADATA_MAX_AGE_MS + 20_000;

scenarioSuite('topology changes', [
  {
    name: 'partitions-added',
    partitions: 3,
    records: 9_000,
    memberProps: { 'metadata.max.age.ms': METADATA_MAX_AGE_MS },
    // The producer must see the new partitions soon too, or there is nothing in them to consume.
    producerProps: { 'metadata.max.age.ms': 1_000 },
    ci: ['classic-eager'],
    async fault(run) {
      await pause(5_000);
      await addPartitions(run.cluster.kafka, run.topic, 6);
      run.mark('added');
      run.partitions = 6;
      await run.waitStable(PICKUP_LIMIT_MS).then(
        () => run.log(`6 partitions assigned ${Date.now() - run.markOf('added')} ms after adding them`),
        (e: Error) => run.fail(`new partitions not assigned in time: ${e.message}`),
      );
    },
    verify(run) {
      // Every partition, the new ones included, is consumed within the limit; the checker has
      // already held the new ones to their first offset (reset earliest: nothing skipped).
      const slowest = slowestResume(run, run.markOf('added'));
      return slowest <= PICKUP_LIMIT_MS + 5_000
        ? []
        : [
            `a partition was first consumed ${slowest} ms after the partitions were added (limit ${PICKUP_LIMIT_MS + 5_000} ms)`,
          ];
    },
  },
]);
