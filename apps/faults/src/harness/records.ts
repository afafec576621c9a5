import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type KafkaClusterInfo, runJava } from '@runnel/kafka-local';

/**
 * Moves the log start of each given partition up to `offsets` (Kafka's DeleteRecordsCommand), as
 * retention would: a committed offset below it is then out of range.
 *
 * @throws Error when the tool fails.
 */
export async function deleteRecordsBefore(
  cluster: KafkaClusterInfo,
  dir: string,
  topic: string,
  offsets: ReadonlyMap<number, number>,
): Promise<void> {
  const file = join(dir, `delete-${topic}.json`);
  const partitions = [...offsets].map(([partition, offset]) => ({ topic, partition, offset }));
  await writeFile(file, JSON.stringify({ version: 1, partitions }));
  const result = await runJava({
    version: cluster.version,
    mainClass: 'org.apache.kafka.tools.DeleteRecordsCommand',
    args: ['--bootstrap-server', cluster.bootstrap, '--offset-json-file', file],
    timeoutMs: 120_000,
  });
  if (result.code !== 0)
    throw new Error(`DeleteRecordsCommand failed (${result.code}): ${result.stdout}${result.stderr}`);
}
