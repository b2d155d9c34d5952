package dev.sluice.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

/** Consumer groups on an in-process cluster: the group coordinator's internal topic and offsets. */
class ClusterGroupsTest {

    @Test
    void aBrokerThatIsNotTheControllerCreatesTheOffsetsTopicThroughIt() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3)
                .config("offsets.topic.replication.factor", "3").config("offsets.topic.num.partitions", "5").start()) {
            int controller = cluster.activeController();
            int other = cluster.running().stream().filter(id -> id != controller).findFirst().orElseThrow();
            assertNotEquals(controller, other);
            Properties adminProps = new Properties();
            adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
            try (Admin admin = Admin.create(adminProps)) {
                admin.createTopics(List.of(new NewTopic("orders", 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
                // FindCoordinator goes to the broker that is not the controller alone, so its own
                // coordinator must create the topic, through the controller.
                String group = "created-through-the-controller";
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                FindCoordinatorResponseData.Coordinator found;
                try (Socket socket = new Socket("localhost", cluster.broker(other).port())) {
                    socket.setSoTimeout(30_000);
                    do {
                        assertTrue(System.nanoTime() < deadline, "broker " + other + " found no coordinator");
                        Thread.sleep(50);
                        found = findCoordinator(socket, group);
                    } while (found.errorCode() != Errors.NONE.code());
                }
                assertEquals(cluster.leaderOf("__consumer_offsets", Utils.abs(group.hashCode()) % 5), found.nodeId(),
                    "the coordinator is the leader of the group's partition");
                Properties props = new Properties();
                props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
                props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
                TopicPartition tp = new TopicPartition("orders", 0);
                try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                    new StringDeserializer())) {
                    consumer.commitSync(Map.of(tp, new OffsetAndMetadata(7)), Duration.ofSeconds(30));
                    assertEquals(7, consumer.committed(Set.of(tp)).get(tp).offset());
                }
                TopicDescription offsets = admin.describeTopics(List.of("__consumer_offsets")).allTopicNames()
                    .get(10, TimeUnit.SECONDS).get("__consumer_offsets");
                assertTrue(offsets.isInternal());
                assertEquals(5, offsets.partitions().size());
                for (TopicPartitionInfo p : offsets.partitions()) {
                    assertEquals(3, p.replicas().size(), "offsets.topic.replication.factor replicas of " + p);
                }
            }
        }
    }

    /** One FindCoordinator v4 for {@code group}, written and read with kafka-clients' own serializers. */
    private static FindCoordinatorResponseData.Coordinator findCoordinator(Socket socket, String group) throws Exception {
        short version = 4;
        RequestHeader header = new RequestHeader(ApiKeys.FIND_COORDINATOR, version, "cluster-groups-test", 1);
        ByteBuffer frame = RequestUtils.serialize(header.data(), header.headerVersion(),
            new FindCoordinatorRequestData().setKeyType((byte) 0).setCoordinatorKeys(List.of(group)), version);
        DataOutputStream out = new DataOutputStream(socket.getOutputStream());
        out.writeInt(frame.remaining());
        out.write(frame.array(), frame.arrayOffset() + frame.position(), frame.remaining());
        out.flush();
        DataInputStream in = new DataInputStream(socket.getInputStream());
        byte[] response = new byte[in.readInt()];
        in.readFully(response);
        FindCoordinatorResponseData data = (FindCoordinatorResponseData) AbstractResponse
            .parseResponse(ByteBuffer.wrap(response), header).data();
        return data.coordinators().get(0);
    }
}
