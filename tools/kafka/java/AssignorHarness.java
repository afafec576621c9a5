// Runs Java's built-in consumer assignors on cases read as JSON from stdin and prints their
// assignments as JSON, so that Runnel's assignors can be checked against them in one JVM run.
// Input:  {"cases": [{"assignor": "range", "members": [...], "topics": [...]}], "bench": {"warmup": 5, "iterations": 20}}
// Output: [{"assignment": {"memberId": [["topic", 0], ...]}} | {"error": "..."}], or with "bench",
//         [{"nanos": [run times of assign()]}] per case.
// A case with "kind": "subscription" or "assignment" instead checks the consumer protocol metadata:
// it returns Java's encoding of the case's fields at "version" (base64) and Java's reading of the
// case's "bytes" (base64, e.g. Runnel's encoding).
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupSubscription;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.consumer.StickyAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

public final class AssignorHarness {
    private static ConsumerPartitionAssignor assignor(String name) {
        switch (name) {
            case "range": return new RangeAssignor();
            case "roundrobin": return new RoundRobinAssignor();
            case "sticky": return new StickyAssignor();
            case "cooperative-sticky": return new CooperativeStickyAssignor();
            default: throw new IllegalArgumentException("unknown assignor " + name);
        }
    }

    private static Cluster cluster(JsonNode topics) {
        List<Node> nodes = new ArrayList<>();
        List<PartitionInfo> partitions = new ArrayList<>();
        int nextNodeId = 0;
        for (JsonNode t : topics) {
            String topic = t.get("topic").asText();
            for (JsonNode p : t.get("partitions")) {
                List<Node> replicas = new ArrayList<>();
                JsonNode racks = p.get("replicaRacks");
                if (racks != null) {
                    for (JsonNode r : racks) {
                        Node node = new Node(nextNodeId++, "localhost", 9092, r.isNull() ? null : r.asText());
                        nodes.add(node);
                        replicas.add(node);
                    }
                }
                Node[] replicaArray = replicas.toArray(new Node[0]);
                Node leader = replicaArray.length > 0 ? replicaArray[0] : null;
                partitions.add(new PartitionInfo(topic, p.get("partition").asInt(), leader, replicaArray, replicaArray));
            }
        }
        return new Cluster("harness", nodes, partitions, Collections.emptySet(), Collections.emptySet());
    }

    private static GroupSubscription subscriptions(JsonNode members) {
        Map<String, Subscription> map = new LinkedHashMap<>();
        for (JsonNode m : members) {
            List<String> topics = new ArrayList<>();
            for (JsonNode t : m.get("topics")) topics.add(t.asText());
            List<TopicPartition> owned = new ArrayList<>();
            JsonNode ownedNode = m.get("ownedPartitions");
            if (ownedNode != null) for (JsonNode tp : ownedNode) owned.add(new TopicPartition(tp.get("topic").asText(), tp.get("partition").asInt()));
            JsonNode userData = m.get("userData");
            ByteBuffer buffer = userData == null || userData.isNull() ? null : ByteBuffer.wrap(Base64.getDecoder().decode(userData.asText()));
            JsonNode generation = m.get("generationId");
            JsonNode rack = m.get("rackId");
            Subscription s = new Subscription(topics, buffer, owned,
                generation == null || generation.isNull() ? -1 : generation.asInt(),
                rack == null || rack.isNull() ? Optional.empty() : Optional.of(rack.asText()));
            JsonNode instance = m.get("groupInstanceId");
            if (instance != null && !instance.isNull()) s.setGroupInstanceId(Optional.of(instance.asText()));
            map.put(m.get("memberId").asText(), s);
        }
        return new GroupSubscription(map);
    }

    private static List<TopicPartition> partitions(JsonNode list) {
        List<TopicPartition> out = new ArrayList<>();
        if (list != null) for (JsonNode tp : list) out.add(new TopicPartition(tp.get("topic").asText(), tp.get("partition").asInt()));
        return out;
    }

    private static ByteBuffer bytes(JsonNode base64) {
        return base64 == null || base64.isNull() ? null : ByteBuffer.wrap(Base64.getDecoder().decode(base64.asText()));
    }

    private static String base64(ByteBuffer buffer) {
        if (buffer == null) return null;
        byte[] b = new byte[buffer.remaining()];
        buffer.duplicate().get(b);
        return Base64.getEncoder().encodeToString(b);
    }

    private static void writePartitions(ArrayNode array, List<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) array.addObject().put("topic", tp.topic()).put("partition", tp.partition());
    }

    private static void metadataCase(ObjectMapper mapper, String kind, JsonNode c, ObjectNode result) {
        short version = (short) c.get("version").asInt();
        try {
            if (kind.equals("subscription")) {
                List<String> topics = new ArrayList<>();
                for (JsonNode t : c.get("topics")) topics.add(t.asText());
                JsonNode rack = c.get("rackId");
                Subscription s = new Subscription(topics, bytes(c.get("userData")), partitions(c.get("ownedPartitions")),
                    c.get("generationId").asInt(), rack == null || rack.isNull() ? Optional.empty() : Optional.of(rack.asText()));
                result.put("encoded", base64(ConsumerProtocol.serializeSubscription(s, version)));
                Subscription d = ConsumerProtocol.deserializeSubscription(bytes(c.get("bytes")));
                ObjectNode decoded = result.putObject("decoded");
                ArrayNode dt = decoded.putArray("topics");
                for (String t : d.topics()) dt.add(t);
                decoded.put("userData", base64(d.userData()));
                writePartitions(decoded.putArray("ownedPartitions"), d.ownedPartitions());
                decoded.put("generationId", d.generationId().orElse(-1));
                decoded.put("rackId", d.rackId().orElse(null));
            } else {
                ConsumerPartitionAssignor.Assignment a = new ConsumerPartitionAssignor.Assignment(partitions(c.get("partitions")), bytes(c.get("userData")));
                result.put("encoded", base64(ConsumerProtocol.serializeAssignment(a, version)));
                ConsumerPartitionAssignor.Assignment d = ConsumerProtocol.deserializeAssignment(bytes(c.get("bytes")));
                ObjectNode decoded = result.putObject("decoded");
                writePartitions(decoded.putArray("partitions"), d.partitions());
                decoded.put("userData", base64(d.userData()));
            }
        } catch (RuntimeException e) {
            result.put("error", e.toString());
        }
    }

    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        JsonNode input = mapper.readTree(System.in);
        JsonNode bench = input.get("bench");
        ArrayNode out = mapper.createArrayNode();
        for (JsonNode c : input.get("cases")) {
            JsonNode kind = c.get("kind");
            if (kind != null && !kind.asText().equals("assign")) {
                metadataCase(mapper, kind.asText(), c, out.addObject());
                continue;
            }
            String name = c.get("assignor").asText();
            Cluster cluster = cluster(c.get("topics"));
            GroupSubscription group = subscriptions(c.get("members"));
            ObjectNode result = out.addObject();
            if (bench != null) {
                int warmup = bench.get("warmup").asInt();
                int iterations = bench.get("iterations").asInt();
                ArrayNode nanos = result.putArray("nanos");
                for (int i = 0; i < warmup + iterations; i++) {
                    // A fresh assignor per run: Java's sticky assignors keep state between calls.
                    ConsumerPartitionAssignor a = assignor(name);
                    long start = System.nanoTime();
                    a.assign(cluster, group);
                    long elapsed = System.nanoTime() - start;
                    if (i >= warmup) nanos.add(elapsed);
                }
                continue;
            }
            try {
                Map<String, ConsumerPartitionAssignor.Assignment> assignment = assignor(name).assign(cluster, group).groupAssignment();
                ObjectNode members = result.putObject("assignment");
                for (Map.Entry<String, ConsumerPartitionAssignor.Assignment> e : assignment.entrySet()) {
                    ArrayNode list = members.putArray(e.getKey());
                    for (TopicPartition tp : e.getValue().partitions()) list.addArray().add(tp.topic()).add(tp.partition());
                }
            } catch (RuntimeException e) {
                result.put("error", e.toString());
            }
        }
        // Kafka may log to stdout; the marker separates that from the result.
        System.out.println();
        System.out.println("@@RESULT@@");
        mapper.writeValue(System.out, out);
    }
}
