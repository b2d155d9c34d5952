package dev.sluice.broker.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.config.ConfigResolver.Resolution;
import dev.sluice.broker.config.ConfigResolver.Source;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** How values, sources and synonyms are chosen; the expectations are what Kafka 4.1 reports. */
class ConfigResolverTest {
    private static ConfigResolver resolver(Map<String, String> serverProperties) {
        return new ConfigResolver(BrokerConfig.parse(serverProperties));
    }

    private static String synonyms(Resolution r) {
        return r.synonyms().stream().map(s -> s.source() + ":" + s.name() + "=" + s.value())
            .collect(Collectors.joining(", "));
    }

    private static Resolution topic(ConfigResolver resolver, String key, Map<String, String> overrides,
                                    Map<String, String> dynamicBroker, Map<String, String> dynamicDefault) {
        return resolver.topic(TopicConfigKeys.find(key).orElseThrow(), overrides, dynamicBroker, dynamicDefault);
    }

    @Test
    void aStrongerLayerWinsWhateverItsUnit() {
        ConfigResolver resolver = resolver(Map.of("log.retention.ms", "5000"));
        Map<String, String> dynamic = Map.of("log.retention.minutes", "2");
        Resolution retention = topic(resolver, "retention.ms", Map.of(), Map.of(), dynamic);
        assertEquals("120000", retention.value(), "a dynamic value in minutes beats a static one in ms");
        // Kafka reports from the first candidate named log.retention.ms, so the source looks static.
        assertEquals(Source.STATIC_BROKER_CONFIG, retention.source());
        assertEquals("STATIC_BROKER_CONFIG:log.retention.ms=5000, DEFAULT_CONFIG:log.retention.hours=168",
            synonyms(retention));
    }

    @Test
    void withinALayerTheFinestUnitWins() {
        ConfigResolver resolver = resolver(Map.of("log.retention.hours", "1", "log.retention.minutes", "30"));
        Resolution retention = topic(resolver, "retention.ms", Map.of(), Map.of(), Map.of());
        assertEquals("1800000", retention.value());
        assertEquals(Source.DEFAULT_CONFIG, retention.source(), "no candidate is named log.retention.ms");
        assertEquals("", synonyms(retention));

        Resolution minutes = resolver.broker("log.retention.minutes", Map.of(), Map.of());
        assertEquals("30", minutes.value());
        assertEquals("STATIC_BROKER_CONFIG:log.retention.minutes=30, STATIC_BROKER_CONFIG:log.retention.hours=1, "
            + "DEFAULT_CONFIG:log.retention.hours=168", synonyms(minutes));
    }

    @Test
    void topicOverridesComeFirstAndAreNormalized() {
        ConfigResolver resolver = resolver(Map.of());
        Resolution policy = topic(resolver, "cleanup.policy", Map.of("cleanup.policy", "compact, delete"),
            Map.of("log.cleanup.policy", "compact"), Map.of());
        assertEquals("compact,delete", policy.value());
        assertEquals(Source.TOPIC_CONFIG, policy.source());
        assertEquals("TOPIC_CONFIG:cleanup.policy=compact,delete, DYNAMIC_BROKER_CONFIG:log.cleanup.policy=compact, "
            + "DEFAULT_CONFIG:log.cleanup.policy=delete", synonyms(policy));

        Resolution segmentMs = topic(resolver, "segment.ms", Map.of(), Map.of(), Map.of());
        assertEquals("604800000", segmentMs.value(), "log.roll.hours=168 converted");
        Resolution flushMs = topic(resolver, "flush.ms", Map.of(), Map.of(), Map.of());
        assertEquals(Long.toString(Long.MAX_VALUE), flushMs.value(), "from log.flush.scheduler.interval.ms");
    }

    @Test
    void brokerKeysReportNullWhenNothingSetsThemAndHideUnknownValues() {
        ConfigResolver resolver = resolver(Map.of("plugin.secret", "hunter2"));
        Resolution ms = resolver.broker("log.retention.ms", Map.of(), Map.of());
        assertNull(ms.value());
        assertEquals(Source.DEFAULT_CONFIG, ms.source());
        assertTrue(ms.synonyms().isEmpty());

        Map<String, Resolution> all = resolver.allBroker(Map.of("other.plugin.key", "x"), Map.of()).stream()
            .collect(Collectors.toMap(Resolution::name, r -> r));
        Resolution secret = all.get("plugin.secret");
        assertTrue(secret.sensitive());
        assertNull(secret.value());
        assertEquals(Source.STATIC_BROKER_CONFIG, secret.source());
        assertNull(secret.synonyms().get(0).value());
        assertEquals(Source.DYNAMIC_BROKER_CONFIG, all.get("other.plugin.key").source());
        assertFalse(all.get("log.retention.hours").sensitive());
    }

    @Test
    void theClusterDefaultShowsOnlyWhatIsSetForAllBrokers() {
        ConfigResolver resolver = resolver(Map.of("log.segment.bytes", "2000000"));
        List<Resolution> defaults = resolver.allClusterDefault(Map.of("log.segment.bytes", "3000000"));
        assertEquals(1, defaults.size());
        assertEquals("3000000", defaults.get(0).value());
        assertEquals("DYNAMIC_DEFAULT_BROKER_CONFIG:log.segment.bytes=3000000", synonyms(defaults.get(0)));
        assertTrue(resolver.allClusterDefault(Map.of()).isEmpty());
    }
}
