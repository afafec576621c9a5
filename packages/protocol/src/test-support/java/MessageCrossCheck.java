import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.ObjectSerializationCache;

/**
 * Cross-checks Runnel's protocol codecs against Kafka's generated message classes. Reads one command
 * per stdin line, tab-separated, and answers one line each:
 *   encode NAME VERSION JSON  -> hex of Kafka's serialization of the message built from JSON
 *   reencode NAME VERSION HEX -> hex of Kafka's serialization after decoding HEX
 *   range NAME 0 -            -> "LOWEST HIGHEST": the versions Kafka's class supports
 * NAME is a message name such as FetchRequest; errors answer "error <text>".
 */
public class MessageCrossCheck {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) continue;
      String[] parts = line.split("\t", 4);
      try {
        System.out.println(handle(parts[0], parts[1], Short.parseShort(parts[2]), parts[3]));
      } catch (Throwable t) {
        Throwable root = t.getCause() != null ? t.getCause() : t;
        System.out.println("error " + root.getClass().getSimpleName() + ": " + String.valueOf(root.getMessage()).replace('\n', ' '));
      }
      System.out.flush();
    }
  }

  private static String handle(String command, String name, short version, String payload) throws Exception {
    Class<?> data = dataClass(name);
    if (command.equals("range")) {
      Message m = (Message) data.getConstructor().newInstance();
      return m.lowestSupportedVersion() + " " + m.highestSupportedVersion();
    }
    Message message;
    if (command.equals("encode")) {
      Class<?> converter = Class.forName(data.getName() + "JsonConverter");
      Method read = converter.getMethod("read", JsonNode.class, short.class);
      message = (Message) read.invoke(null, MAPPER.readTree(payload), version);
    } else if (command.equals("reencode")) {
      ByteBuffer buffer = ByteBuffer.wrap(hexToBytes(payload));
      message = (Message) data.getConstructor(org.apache.kafka.common.protocol.Readable.class, short.class)
          .newInstance(new ByteBufferAccessor(buffer), version);
      if (buffer.hasRemaining()) throw new IllegalStateException(buffer.remaining() + " bytes left after decoding");
    } else {
      throw new IllegalArgumentException("unknown command " + command);
    }
    ObjectSerializationCache cache = new ObjectSerializationCache();
    ByteBuffer out = ByteBuffer.allocate(message.size(cache, version));
    message.write(new ByteBufferAccessor(out), cache, version);
    if (out.hasRemaining()) throw new IllegalStateException("size and write disagree");
    return bytesToHex(out.array());
  }

  /** Requests, responses and headers are generated as NAME + "Data"; data messages keep their name. */
  private static Class<?> dataClass(String name) throws ClassNotFoundException {
    try {
      return Class.forName("org.apache.kafka.common.message." + name + "Data");
    } catch (ClassNotFoundException e) {
      return Class.forName("org.apache.kafka.common.message." + name);
    }
  }

  private static byte[] hexToBytes(String hex) {
    byte[] out = new byte[hex.length() / 2];
    for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
    return out;
  }

  private static String bytesToHex(byte[] bytes) {
    StringBuilder sb = new StringBuilder(bytes.length * 2);
    for (byte b : bytes) sb.append(String.format("%02x", b & 0xff));
    return sb.toString();
  }
}
