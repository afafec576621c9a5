import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes the records Runnel's integration tests read back, with Kafka's own Java producer.
 *
 *   create BOOTSTRAP PARTITIONS TOPIC...        create topics (replication factor 1)
 *   produce BOOTSTRAP COUNT (TOPIC CODEC)...    COUNT records into each TOPIC: key k-i, value
 *                                               v-i-CODEC-padding, headers idx=i and codec=CODEC;
 *                                               prints "acked TOPIC p=n ..." from the producer's acks
 *   big BOOTSTRAP TOPIC SIZE COUNT              COUNT records of SIZE bytes into partition 0, one per batch
 *   keyed BOOTSTRAP TOPIC COUNT KEYS            COUNT records into partition 0: key key-(i % KEYS), value i
 *   transactions BOOTSTRAP TOPIC TXNS PER_TXN   TXNS transactions of PER_TXN records; even ones commit,
 *                                               odd ones abort; value txn-t-r, header outcome
 *
 * Prints one line "done <what> <count>" on success.
 */
public final class RunnelTestProducer {
  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Properties producerProps(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    return p;
  }

  public static void main(String[] args) throws Exception {
    String command = args[0];
    String bootstrap = args[1];
    switch (command) {
      case "create": {
        int partitions = Integer.parseInt(args[2]);
        List<NewTopic> topics = new ArrayList<>();
        for (int i = 3; i < args.length; i++) topics.add(new NewTopic(args[i], partitions, (short) 1));
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(p)) {
          admin.createTopics(topics).all().get();
        }
        System.out.println("done create " + topics.size());
        break;
      }
      case "produce": {
        // produce BOOTSTRAP COUNT TOPIC CODEC [TOPIC CODEC]...
        int count = Integer.parseInt(args[2]);
        String padding = "x".repeat(200);
        for (int a = 3; a + 1 < args.length; a += 2) {
          String topic = args[a];
          String codec = args[a + 1];
          Properties p = producerProps(bootstrap);
          p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
          Map<Integer, Integer> perPartition = new TreeMap<>();
          try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (int i = 0; i < count; i++) {
              ProducerRecord<byte[], byte[]> r =
                  new ProducerRecord<>(topic, bytes("k-" + i), bytes("v-" + i + "-" + codec + "-" + padding));
              r.headers().add("idx", bytes(Integer.toString(i)));
              r.headers().add("codec", bytes(codec));
              acks.add(producer.send(r));
            }
            producer.flush();
            for (Future<RecordMetadata> ack : acks) perPartition.merge(ack.get().partition(), 1, Integer::sum);
          }
          StringBuilder line = new StringBuilder("acked " + topic);
          for (Map.Entry<Integer, Integer> e : perPartition.entrySet()) line.append(' ').append(e.getKey()).append('=').append(e.getValue());
          System.out.println(line);
        }
        System.out.println("done produce " + count);
        break;
      }
      case "keyed": {
        // keyed BOOTSTRAP TOPIC COUNT KEYS: COUNT records into partition 0 over KEYS keys, value i
        String topic = args[2];
        int count = Integer.parseInt(args[3]);
        int keys = Integer.parseInt(args[4]);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(bootstrap))) {
          for (int i = 0; i < count; i++)
            producer.send(new ProducerRecord<>(topic, 0, bytes("key-" + (i % keys)), bytes(Integer.toString(i))));
          producer.flush();
        }
        System.out.println("done keyed " + count);
        break;
      }
      case "big": {
        // big BOOTSTRAP TOPIC SIZE COUNT: COUNT records of SIZE bytes each into partition 0
        String topic = args[2];
        int size = Integer.parseInt(args[3]);
        int count = Integer.parseInt(args[4]);
        Properties p = producerProps(bootstrap);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(size * 2 + 1024));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
          for (int i = 0; i < count; i++) {
            byte[] value = new byte[size];
            java.util.Arrays.fill(value, (byte) ('a' + i % 26));
            producer.send(new ProducerRecord<>(topic, 0, bytes("big-" + i), value)).get();
          }
        }
        System.out.println("done big " + count);
        break;
      }
      case "transactions": {
        String topic = args[2];
        int txns = Integer.parseInt(args[3]);
        int perTxn = Integer.parseInt(args[4]);
        Properties p = producerProps(bootstrap);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "runnel-test-" + topic);
        int committed = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
          producer.initTransactions();
          for (int t = 0; t < txns; t++) {
            boolean commit = t % 2 == 0;
            producer.beginTransaction();
            for (int r = 0; r < perTxn; r++) {
              ProducerRecord<byte[], byte[]> rec =
                  new ProducerRecord<>(topic, bytes("k-" + t + "-" + r), bytes("txn-" + t + "-" + r));
              rec.headers().add("outcome", bytes(commit ? "commit" : "abort"));
              producer.send(rec);
            }
            producer.flush();
            if (commit) {
              producer.commitTransaction();
              committed += perTxn;
            } else {
              producer.abortTransaction();
            }
          }
        }
        System.out.println("done transactions " + committed);
        break;
      }
      default:
        throw new IllegalArgumentException("unknown command " + command);
    }
  }
}
