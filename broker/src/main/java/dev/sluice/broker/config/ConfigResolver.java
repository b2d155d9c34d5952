package dev.sluice.broker.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Works out the value in force for a config key and where it comes from, in Kafka's order: a topic
 * override, then for each broker synonym in turn a dynamic override for this broker, a dynamic
 * cluster-wide default and the static server.properties value, and last the built-in default.
 * Broker synonyms in other units ({@code log.retention.hours}) are converted to the topic key's
 * unit. Immutable apart from the maps passed in per call.
 */
public final class ConfigResolver {
    /** Where a value comes from, numbered as DescribeConfigs reports it. */
    public enum Source {
        UNKNOWN(0), TOPIC_CONFIG(1), DYNAMIC_BROKER_CONFIG(2), DYNAMIC_DEFAULT_BROKER_CONFIG(3),
        STATIC_BROKER_CONFIG(4), DEFAULT_CONFIG(5);

        private final byte wireId;

        Source(int wireId) {
            this.wireId = (byte) wireId;
        }

        public byte wireId() {
            return wireId;
        }
    }

    /** A value in force, or one of the candidates it was chosen from. */
    public record Resolved(String name, String value, Source source) {
    }

    /** A key's value in force and every candidate in precedence order (the DescribeConfigs synonyms). */
    public record Resolution(ConfigDef def, Resolved effective, List<Resolved> synonyms) {
    }

    private final BrokerConfig staticConfig;

    public ConfigResolver(BrokerConfig staticConfig) {
        this.staticConfig = staticConfig;
    }

    public BrokerConfig staticConfig() {
        return staticConfig;
    }

    /** Resolves one topic key for a topic with {@code overrides}, given the dynamic broker configs. */
    public Resolution topic(TopicConfigKeys.TopicKey key, Map<String, String> overrides,
                            Map<String, String> dynamicBroker, Map<String, String> dynamicDefault) {
        List<Resolved> candidates = new ArrayList<>();
        String name = key.def().name();
        if (overrides.containsKey(name)) {
            candidates.add(new Resolved(name, overrides.get(name), Source.TOPIC_CONFIG));
        }
        for (String synonym : key.brokerSynonyms()) {
            candidates.addAll(brokerCandidates(synonym, dynamicBroker, dynamicDefault, name));
        }
        candidates.add(new Resolved(name, key.def().defaultValue(), Source.DEFAULT_CONFIG));
        return new Resolution(key.def(), candidates.get(0), candidates);
    }

    /** Every topic key resolved, in name order. */
    public Map<String, Resolution> allTopic(Map<String, String> overrides, Map<String, String> dynamicBroker,
                                            Map<String, String> dynamicDefault) {
        Map<String, Resolution> all = new LinkedHashMap<>();
        for (TopicConfigKeys.TopicKey key : TopicConfigKeys.all().values()) {
            all.put(key.def().name(), topic(key, overrides, dynamicBroker, dynamicDefault));
        }
        return all;
    }

    /** Resolves one broker key: dynamic per-broker, dynamic default, static, built-in default. */
    public Resolution broker(ConfigDef def, Map<String, String> dynamicBroker, Map<String, String> dynamicDefault) {
        List<Resolved> candidates = new ArrayList<>(brokerCandidates(def.name(), dynamicBroker, dynamicDefault, def.name()));
        candidates.add(new Resolved(def.name(), def.defaultValue(), Source.DEFAULT_CONFIG));
        return new Resolution(def, candidates.get(0), candidates);
    }

    private List<Resolved> brokerCandidates(String synonym, Map<String, String> dynamicBroker,
                                            Map<String, String> dynamicDefault, String targetKey) {
        List<Resolved> list = new ArrayList<>(3);
        if (dynamicBroker.containsKey(synonym)) {
            list.add(new Resolved(synonym, convert(synonym, targetKey, dynamicBroker.get(synonym)), Source.DYNAMIC_BROKER_CONFIG));
        }
        if (dynamicDefault.containsKey(synonym)) {
            list.add(new Resolved(synonym, convert(synonym, targetKey, dynamicDefault.get(synonym)),
                Source.DYNAMIC_DEFAULT_BROKER_CONFIG));
        }
        if (staticConfig.isSet(synonym)) {
            list.add(new Resolved(synonym, convert(synonym, targetKey, staticConfig.originals().get(synonym)),
                Source.STATIC_BROKER_CONFIG));
        }
        return list;
    }

    /** Converts a broker synonym's value into the unit of the topic key it stands in for. */
    private static String convert(String synonym, String targetKey, String value) {
        if (value == null || synonym.equals(targetKey)) {
            return value;
        }
        try {
            if (synonym.endsWith(".minutes")) {
                return Long.toString(Long.parseLong(value.trim()) * 60_000L);
            }
            if (synonym.endsWith(".hours")) {
                return Long.toString(Long.parseLong(value.trim()) * 3_600_000L);
            }
        } catch (NumberFormatException e) {
            return value;
        }
        return value.trim();
    }
}
