package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.AlterConfigsRequestData;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Config requests the Kafka 4 Admin client cannot send: legacy AlterConfigs (every version), a
 * resource named twice, other brokers' ids, unknown resource types and operations. Written and read
 * with kafka-clients' serializers; checked against what a Kafka 4.1.2 broker answers.
 */
@SluiceTest(lifecycle = SluiceTest.Lifecycle.PER_TEST)
class RawConfigRequestsTest {
    private static final byte TOPIC = 2;
    private static final byte BROKER = 4;

    private SluiceBroker broker;
    private Admin admin;
    private RawKafkaConnection raw;
    private String nodeId;

    @BeforeEach
    void start() throws Exception {
        admin = KafkaClients.admin(broker);
        raw = new RawKafkaConnection("localhost", broker.port());
        nodeId = Integer.toString(broker.nodeId());
        admin.createTopics(List.of(new NewTopic("legacy", 1, (short) 1)
            .configs(Map.of("retention.ms", "1000", "cleanup.policy", "compact")))).all().get();
    }

    @AfterEach
    void stop() throws Exception {
        raw.close();
        admin.close();
    }

    private static AlterConfigsRequestData.AlterConfigsResource legacyResource(byte type, String name,
                                                                                 String... keyValues) {
        AlterConfigsRequestData.AlterConfigsResource r = new AlterConfigsRequestData.AlterConfigsResource()
            .setResourceType(type).setResourceName(name);
        for (int i = 0; i < keyValues.length; i += 2) {
            r.configs().add(new AlterConfigsRequestData.AlterableConfig().setName(keyValues[i]).setValue(keyValues[i + 1]));
        }
        return r;
    }

    private List<AlterConfigsResponseData.AlterConfigsResourceResponse> legacy(int version, boolean validateOnly,
            AlterConfigsRequestData.AlterConfigsResource... resources) throws Exception {
        AlterConfigsRequestData request = new AlterConfigsRequestData().setValidateOnly(validateOnly);
        for (AlterConfigsRequestData.AlterConfigsResource r : resources) {
            request.resources().add(r);
        }
        AlterConfigsResponseData response = raw.send(ApiKeys.ALTER_CONFIGS, version, request);
        return response.responses();
    }

    private Config topicConfig() throws Exception {
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "legacy");
        return admin.describeConfigs(List.of(topic)).all().get().get(topic);
    }

    @Test
    void legacyAlterConfigsReplacesTheWholeSetAtEveryVersion() throws Exception {
        for (int version = 0; version <= 2; version++) {
            String segmentMs = Integer.toString(100_000 + version);
            List<AlterConfigsResponseData.AlterConfigsResourceResponse> result =
                legacy(version, false, legacyResource(TOPIC, "legacy", "segment.ms", segmentMs));
            assertEquals(Errors.NONE.code(), result.get(0).errorCode(), "v" + version);
            Config config = topicConfig();
            assertEquals(segmentMs, config.get("segment.ms").value());
            assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, config.get("retention.ms").source(),
                "keys left out go back to their defaults");
            assertEquals("delete", config.get("cleanup.policy").value());
        }

        assertEquals(Errors.NONE.code(), legacy(2, true, legacyResource(TOPIC, "legacy", "segment.ms", "5")).get(0).errorCode());
        assertEquals("100002", topicConfig().get("segment.ms").value(), "validate_only changes nothing");

        List<AlterConfigsResponseData.AlterConfigsResourceResponse> broker = legacy(2, false,
            legacyResource(BROKER, nodeId, "log.retention.bytes", "1000000"));
        assertEquals(Errors.NONE.code(), broker.get(0).errorCode());
        assertEquals("1000000", topicConfig().get("retention.bytes").value());
        legacy(2, false, legacyResource(BROKER, nodeId));
        assertEquals("-1", topicConfig().get("retention.bytes").value(), "an empty set clears the broker's overrides");
    }

    @Test
    void legacyAlterConfigsErrorsPerResource() throws Exception {
        List<AlterConfigsResponseData.AlterConfigsResourceResponse> results = legacy(2, false,
            legacyResource(TOPIC, "legacy", "no.such.key", "1"),
            legacyResource(TOPIC, "missing", "segment.ms", "1"),
            legacyResource(TOPIC, "bad/name", "segment.ms", "1"),
            legacyResource(BROKER, nodeId, "num.partitions", "3"),
            legacyResource(BROKER, "", "log.retention.ms", "oops"),
            legacyResource(BROKER, "99", "log.retention.ms", "3"),
            legacyResource((byte) 8, nodeId, "root", "INFO"),
            legacyResource((byte) 1, "x", "a", "1"));
        assertEquals(List.of(Errors.INVALID_CONFIG, Errors.UNKNOWN_TOPIC_OR_PARTITION, Errors.INVALID_TOPIC_EXCEPTION,
                Errors.INVALID_REQUEST, Errors.INVALID_REQUEST, Errors.INVALID_REQUEST, Errors.INVALID_REQUEST,
                Errors.INVALID_REQUEST),
            results.stream().map(r -> Errors.forCode(r.errorCode())).toList());
        assertEquals("compact", topicConfig().get("cleanup.policy").value(), "a failed resource changes nothing");

        List<AlterConfigsResponseData.AlterConfigsResourceResponse> nullValue = legacy(2, false,
            legacyResource(TOPIC, "legacy", "retention.ms", null));
        assertEquals(Errors.INVALID_REQUEST.code(), nullValue.get(0).errorCode());
    }

    @Test
    void aResourceNamedTwiceIsRefusedAtEveryMention() throws Exception {
        List<AlterConfigsResponseData.AlterConfigsResourceResponse> legacyResults = legacy(2, false,
            legacyResource(TOPIC, "legacy", "retention.ms", "5000"),
            legacyResource(BROKER, nodeId, "log.retention.bytes", "1000"),
            legacyResource(TOPIC, "legacy", "retention.ms", "6000"));
        assertEquals(List.of(Errors.INVALID_REQUEST, Errors.NONE, Errors.INVALID_REQUEST),
            legacyResults.stream().map(r -> Errors.forCode(r.errorCode())).toList());
        assertEquals("1000", topicConfig().get("retention.ms").value());

        IncrementalAlterConfigsRequestData request = new IncrementalAlterConfigsRequestData();
        for (int i = 0; i < 2; i++) {
            IncrementalAlterConfigsRequestData.AlterConfigsResource r = new IncrementalAlterConfigsRequestData
                .AlterConfigsResource().setResourceType(TOPIC).setResourceName("legacy");
            r.configs().add(new IncrementalAlterConfigsRequestData.AlterableConfig().setName("retention.ms")
                .setValue("7000").setConfigOperation((byte) 0));
            request.resources().add(r);
        }
        IncrementalAlterConfigsResponseData response = raw.send(ApiKeys.INCREMENTAL_ALTER_CONFIGS, 1, request);
        assertEquals(2, response.responses().size());
        response.responses().forEach(r -> assertEquals(Errors.INVALID_REQUEST.code(), r.errorCode()));
        assertEquals("1000", topicConfig().get("retention.ms").value());
    }

    @Test
    void incrementalRequestsAdminCannotSend() throws Exception {
        IncrementalAlterConfigsRequestData request = new IncrementalAlterConfigsRequestData();
        String[][] cases = {{"4", "99"}, {"4", "abc"}, {"8", nodeId}, {"2", "legacy"}};
        for (String[] c : cases) {
            IncrementalAlterConfigsRequestData.AlterConfigsResource r = new IncrementalAlterConfigsRequestData
                .AlterConfigsResource().setResourceType(Byte.parseByte(c[0])).setResourceName(c[1]);
            // Operation 7 does not exist; only the last resource gets as far as looking at it.
            r.configs().add(new IncrementalAlterConfigsRequestData.AlterableConfig().setName("log.retention.ms")
                .setValue("1").setConfigOperation(c[0].equals("2") ? (byte) 7 : (byte) 0));
            request.resources().add(r);
        }
        IncrementalAlterConfigsResponseData response = raw.send(ApiKeys.INCREMENTAL_ALTER_CONFIGS, 0, request);
        for (IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse r : response.responses()) {
            assertEquals(Errors.INVALID_REQUEST.code(), r.errorCode(), r.resourceName());
            assertTrue(r.errorMessage() != null && !r.errorMessage().isEmpty(), r.resourceName());
        }
    }

    @Test
    void describeConfigsAtEveryVersionWithFiltersAndErrors() throws Exception {
        for (int version = 1; version <= 4; version++) {
            DescribeConfigsRequestData request = new DescribeConfigsRequestData().setIncludeSynonyms(true)
                .setIncludeDocumentation(version >= 3);
            request.resources().add(new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType(TOPIC)
                .setResourceName("legacy").setConfigurationKeys(List.of("retention.ms", "no.such.key")));
            request.resources().add(new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType(TOPIC)
                .setResourceName("legacy").setConfigurationKeys(List.of()));
            request.resources().add(new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType(BROKER)
                .setResourceName("99").setConfigurationKeys(null));
            request.resources().add(new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType(BROKER)
                .setResourceName("abc").setConfigurationKeys(null));
            request.resources().add(new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType((byte) 32)
                .setResourceName("group").setConfigurationKeys(null));
            DescribeConfigsResponseData response = raw.send(ApiKeys.DESCRIBE_CONFIGS, version, request);
            List<DescribeConfigsResponseData.DescribeConfigsResult> results = response.results();
            assertEquals(5, results.size());

            DescribeConfigsResponseData.DescribeConfigsResult filtered = results.get(0);
            assertEquals(Errors.NONE.code(), filtered.errorCode());
            assertEquals(1, filtered.configs().size(), "unknown names in the filter are skipped");
            DescribeConfigsResponseData.DescribeConfigsResourceResult retention = filtered.configs().get(0);
            assertEquals("1000", retention.value());
            assertEquals(1, retention.synonyms().size());
            assertEquals(version >= 3 ? 5 : 0, retention.configType(), "type LONG from v3");
            if (version >= 3) {
                assertTrue(retention.documentation() != null && !retention.documentation().isEmpty());
            }
            assertEquals(33, results.get(1).configs().size(), "an empty filter means every key");
            for (int i = 2; i < 4; i++) {
                assertEquals(Errors.INVALID_REQUEST.code(), results.get(i).errorCode(), "resource " + i + " v" + version);
                assertTrue(results.get(i).configs().isEmpty());
            }
            assertEquals(Errors.NONE.code(), results.get(4).errorCode(), "a GROUP resource, v" + version);
            assertEquals(27, results.get(4).configs().size(), "every group key, v" + version);
        }
    }
}
