import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The Java peer of Runnel's end-to-end benchmark: Kafka's own KafkaConsumer in the loop that
 * ConsumerPerformance runs (poll(100 ms), sum key and value sizes), plus the one figure that tool does
 * not report, the time from creating the consumer to holding the first record. It prints one JSON line,
 * as every client of the benchmark does. Its clock starts after kafka-clients' classes are loaded.
 *
 * usage: BenchConsumer BOOTSTRAP TOPIC GROUP|- RECORDS FETCH_MAX_BYTES MAX_PARTITION_FETCH_BYTES
 *        FETCH_MIN_BYTES FETCH_MAX_WAIT_MS TIMEOUT_MS [GROUP_PROTOCOL]
 * A group of "-" assigns every partition of the topic by hand instead of joining a group.
 */
public final class BenchConsumer {
  public static void main(String[] args) {
    if (args.length < 9) {
      System.err.println("usage: BenchConsumer BOOTSTRAP TOPIC GROUP|- RECORDS FETCH_MAX_BYTES"
          + " MAX_PARTITION_FETCH_BYTES FETCH_MIN_BYTES FETCH_MAX_WAIT_MS TIMEOUT_MS [GROUP_PROTOCOL]");
      System.exit(2);
    }
    String topic = args[1];
    String group = args[2];
    long target = Long.parseLong(args[3]);
    long timeoutMs = Long.parseLong(args[8]);
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("client.id", "java-bench");
    props.put("enable.auto.commit", "false");
    props.put("auto.offset.reset", "earliest");
    props.put("isolation.level", "read_uncommitted");
    props.put("fetch.max.bytes", args[4]);
    props.put("max.partition.fetch.bytes", args[5]);
    props.put("fetch.min.bytes", args[6]);
    props.put("fetch.max.wait.ms", args[7]);
    // The other clients leave the socket receive buffer to the OS; Java's default pins it to 64 KiB.
    props.put("receive.buffer.bytes", "-1");
    if (!group.equals("-")) {
      props.put("group.id", group);
      if (args.length > 9) props.put("group.protocol", args[9]);
    }

    // Java loads classes on first use: building and closing a consumer first (no network happens before
    // poll) loads kafka-clients, as importing a package does for the Node clients, whose clocks also
    // start after their imports.
    new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer()).close(Duration.ZERO);

    Instant startedAt = Instant.now();
    long start = System.nanoTime();
    long deadline = start + timeoutMs * 1_000_000L;
    long count = 0;
    long bytes = 0;
    long first = -1;
    long last = -1;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      if (group.equals("-")) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(topic)) {
          partitions.add(new TopicPartition(topic, info.partition()));
        }
        consumer.assign(partitions);
      } else {
        consumer.subscribe(List.of(topic));
      }
      while (count < target) {
        if (System.nanoTime() > deadline) {
          System.err.printf("java: timed out after %d of %d records%n", count, target);
          System.exit(1);
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
        if (records.isEmpty()) continue;
        if (first < 0) first = System.nanoTime();
        for (ConsumerRecord<byte[], byte[]> record : records) {
          count++;
          if (record.key() != null) bytes += record.key().length;
          if (record.value() != null) bytes += record.value().length;
        }
        last = System.nanoTime();
      }
    }
    double startedAtMs = startedAt.getEpochSecond() * 1000.0 + startedAt.getNano() / 1e6;
    System.out.println(String.format(Locale.ROOT,
        "{\"client\":\"java\",\"records\":%d,\"bytes\":%d,\"firstRecordMs\":%.3f,\"consumeMs\":%.3f,"
            + "\"totalMs\":%.3f,\"startedAtMs\":%.3f}",
        count, bytes, (first - start) / 1e6, (last - first) / 1e6, (last - start) / 1e6, startedAtMs));
    System.exit(0);
  }
}
