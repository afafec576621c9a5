import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Java side of @runnel/codec's interoperability test.
 *
 * create-topics BOOTSTRAP TOPIC...               creates single-partition topics (kept forever) with the Admin client
 * produce BOOTSTRAP COUNT TOPIC:COMPRESSION...  writes COUNT records (keys, headers) to each topic
 * produce-tx BOOTSTRAP TOPIC                     one committed transaction of 3 records, one aborted of 2
 * consume BOOTSTRAP COUNT TOPIC...               prints COUNT records of each topic as JSON lines
 */
public final class CodecInterop {
  private static final HexFormat HEX = HexFormat.of();

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "produce" -> {
        for (int t = 3; t < args.length; t++) {
          String[] topicAndCompression = args[t].split(":");
          produce(args[1], topicAndCompression[0], topicAndCompression[1], Integer.parseInt(args[2]));
        }
      }
      case "create-topics" -> createTopics(args[1], Arrays.asList(args).subList(2, args.length));
      case "produce-tx" -> produceTransactions(args[1], args[2]);
      case "consume" -> {
        for (int t = 3; t < args.length; t++) consume(args[1], args[t], Integer.parseInt(args[2]));
      }
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
  }

  static void createTopics(String bootstrap, List<String> topics) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(props)) {
      // The records carry 2023 timestamps, far past the default 7-day retention: without this the
      // broker's retention check (every 5 minutes) may delete a segment before the test reads it.
      Map<String, String> configs = Map.of("retention.ms", "-1");
      List<NewTopic> newTopics =
          topics.stream().map(t -> new NewTopic(t, 1, (short) 1).configs(configs)).toList();
      admin.createTopics(newTopics).all().get();
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static ProducerRecord<byte[], byte[]> record(String topic, int i) {
    List<Header> headers = List.of(new RecordHeader("trace", utf8("t-" + i)), new RecordHeader("empty", null));
    byte[] value = utf8(("value " + i + " ").repeat(1 + i % 5));
    return new ProducerRecord<>(topic, 0, 1_700_000_000_000L + i, utf8("key-" + i), value, headers);
  }

  static Properties producerProps(String bootstrap) {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("key.serializer", ByteArraySerializer.class.getName());
    props.put("value.serializer", ByteArraySerializer.class.getName());
    props.put("linger.ms", "200");
    props.put("batch.size", "1048576");
    return props;
  }

  static void produce(String bootstrap, String topic, String compression, int count) throws Exception {
    Properties props = producerProps(bootstrap);
    props.put("compression.type", compression);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      for (int i = 0; i < count; i++) producer.send(record(topic, i));
      producer.flush();
    }
  }

  static void produceTransactions(String bootstrap, String topic) throws Exception {
    Properties props = producerProps(bootstrap);
    props.put("transactional.id", "runnel-codec-interop-" + topic);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      producer.initTransactions();
      producer.beginTransaction();
      for (int i = 0; i < 3; i++) producer.send(record(topic, i));
      producer.commitTransaction();
      producer.beginTransaction();
      for (int i = 3; i < 5; i++) producer.send(record(topic, i));
      producer.flush();
      producer.abortTransaction();
    }
  }

  static String hexOrNull(byte[] bytes) {
    return bytes == null ? "null" : "\"" + HEX.formatHex(bytes) + "\"";
  }

  static void consume(String bootstrap, String topic, int count) {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    props.put("enable.auto.commit", "false");
    TopicPartition partition = new TopicPartition(topic, 0);
    int seen = 0;
    long deadline = System.currentTimeMillis() + 60_000;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.assign(Collections.singletonList(partition));
      consumer.seekToBeginning(Collections.singletonList(partition));
      while (seen < count && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          StringBuilder headers = new StringBuilder();
          for (Header h : r.headers()) {
            if (headers.length() > 0) headers.append(',');
            headers.append("[\"").append(h.key()).append("\",").append(hexOrNull(h.value())).append(']');
          }
          System.out.println("{\"topic\":\"" + topic + "\",\"offset\":" + r.offset() + ",\"timestamp\":" + r.timestamp()
              + ",\"key\":" + hexOrNull(r.key()) + ",\"value\":" + hexOrNull(r.value())
              + ",\"headers\":[" + headers + "]}");
          seen++;
        }
      }
    }
  }
}
