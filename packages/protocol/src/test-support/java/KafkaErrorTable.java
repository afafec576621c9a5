import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.protocol.Errors;

/** Prints Kafka's error table, one "code TAB name TAB retriable" line per code, for error-table.int.test.ts. */
public class KafkaErrorTable {
  public static void main(String[] args) {
    for (Errors e : Errors.values()) {
      System.out.println(e.code() + "\t" + e.name() + "\t" + (e.exception() instanceof RetriableException));
    }
  }
}
