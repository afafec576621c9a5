import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.protocol.Errors;

/**
 * Prints Kafka's error table, one "code TAB name TAB retriable" line per entry of its Errors enum, for
 * tools/protocol-gen (run in source-file mode against the kafka-clients jar, no compile step).
 * Retriable means what it means to Kafka's clients: the error's exception is a RetriableException.
 */
public class KafkaErrors {
  public static void main(String[] args) {
    for (Errors error : Errors.values()) {
      boolean retriable = error.exception() instanceof RetriableException;
      System.out.println(error.code() + "\t" + error.name() + "\t" + retriable);
    }
  }
}
