package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The Prometheus endpoint after real traffic from the official clients: per-API request series,
 * per-topic traffic counters that agree with the log's size and the records sent and read, broker
 * gauges, and a deleted topic's series disappearing.
 */
@SluiceTest(config = "sluice.metrics.port=0")
class MetricsTest {
    private static final int RECORDS = 40;

    SluiceBroker broker;

    /** One scrape: each series (name plus its labels as written) and its value. */
    record Scrape(Map<String, Double> series) {
        /** Sum over the series named {@code name} whose labels include every one of {@code labels}. */
        double sum(String name, String... labels) {
            double total = 0;
            boolean found = false;
            for (Map.Entry<String, Double> e : series.entrySet()) {
                String key = e.getKey();
                int brace = key.indexOf('{');
                String seriesName = brace < 0 ? key : key.substring(0, brace);
                if (!seriesName.equals(name)) {
                    continue;
                }
                boolean all = true;
                for (String label : labels) {
                    all &= key.contains(label);
                }
                if (all) {
                    total += e.getValue();
                    found = true;
                }
            }
            assertTrue(found, () -> "no series " + name + " with " + List.of(labels) + " in\n" + String.join("\n",
                series.keySet()));
            return total;
        }

        boolean mentions(String text) {
            return series.keySet().stream().anyMatch(k -> k.contains(text));
        }
    }

    private Scrape scrape() throws Exception {
        int port = broker.metricsPort().orElseThrow();
        HttpResponse<String> response = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertEquals(200, response.statusCode());
        Map<String, Double> series = new LinkedHashMap<>();
        for (String line : response.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return new Scrape(series);
    }

    private Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        return Admin.create(props);
    }

    @Test
    void perApiAndPerTopicSeriesFollowTheTraffic() throws Exception {
        String topic = "metered";
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();

            Properties producerProps = new Properties();
            producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            producerProps.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps)) {
                for (int i = 0; i < RECORDS; i++) {
                    producer.send(new ProducerRecord<>(topic, 0, null, ("record-" + i).getBytes(StandardCharsets.UTF_8)));
                    if (i % 10 == 9) {
                        producer.flush(); // several batches, so counts come from more than one header
                    }
                }
            }

            Properties consumerProps = new Properties();
            consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps)) {
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (read.size() < RECORDS && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(read::add);
                }
                assertEquals(1, scrape().sum("sluice_fetch_sessions"), "the consumer's incremental fetch session");
            }
            assertEquals(RECORDS, read.size());

            long logBytes = admin.describeLogDirs(List.of(broker.nodeId())).allDescriptions().get()
                .get(broker.nodeId()).values().iterator().next().replicaInfos().get(tp).size();
            Scrape after = scrape();
            String byTopic = "topic=\"" + topic + "\"";
            assertEquals(RECORDS, after.sum("sluice_topic_records_in_total", byTopic));
            assertEquals(logBytes, after.sum("sluice_topic_bytes_in_total", byTopic), "bytes in = size of the log");
            assertEquals(RECORDS, after.sum("sluice_topic_records_out_total", byTopic));
            assertEquals(logBytes, after.sum("sluice_topic_bytes_out_total", byTopic), "each batch fetched once");

            assertTrue(after.sum("sluice_requests_total", "api=\"Produce\"") >= RECORDS / 10.0);
            assertTrue(after.sum("sluice_requests_total", "api=\"Fetch\"") >= 1);
            assertTrue(after.sum("sluice_request_latency_seconds_count", "api=\"Fetch\"") >= 1);
            assertTrue(after.sum("sluice_request_bytes_total", "api=\"Produce\"") > logBytes,
                "produce frames carry the batches and more");
            assertTrue(after.sum("sluice_response_bytes_total", "api=\"Fetch\"") > logBytes,
                "fetch responses carry the batches and more");
            assertTrue(after.sum("sluice_requests_total", "api=\"ApiVersions\"") >= 3, "one per client connection");
            assertEquals(1, after.sum("sluice_topics"));
            assertEquals(1, after.sum("sluice_partitions"));
            assertEquals(logBytes, after.sum("sluice_log_size_bytes"));
            assertTrue(after.sum("sluice_connections") >= 1, "the admin client is still connected");
            assertEquals(0, after.sum("sluice_fetch_waiting"));
            assertEquals(0, after.sum("sluice_fetch_sessions"), "a closing consumer ends its fetch session");
            // One node: it leads the one partition with its only replica, and is the controller.
            assertEquals(1, after.sum("sluice_partitions_led"));
            assertEquals(0, after.sum("sluice_partitions_under_replicated"));
            assertEquals(0, after.sum("sluice_partitions_under_min_isr"));
            assertEquals(1, after.sum("sluice_partitions_at_min_isr"), "one replica, min.insync.replicas 1");
            assertEquals(0, after.sum("sluice_partitions_offline"));
            assertEquals(0, after.sum("sluice_replica_fetch_max_lag_messages"));
            assertEquals(1, after.sum("sluice_controller_active"));
            assertEquals(0, after.sum("sluice_isr_shrinks_total") + after.sum("sluice_isr_expands_total"));

            admin.deleteTopics(List.of(topic)).all().get();
        }
        Scrape deleted = scrape();
        assertFalse(deleted.mentions("topic=\"metered\""), "a deleted topic's series are removed");
        assertEquals(0, deleted.sum("sluice_partitions"));
    }
}
