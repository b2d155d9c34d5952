package dev.sluice.broker.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Works out the value in force for a config key, where it comes from and what else could have
 * supplied it, the way a Kafka broker reports them in DescribeConfigs.
 *
 * <p>Broker values come in layers, strongest first: a dynamic override for this broker, a dynamic
 * cluster-wide default, the static server.properties value, the built-in default. Keys that set the
 * same thing in other units ({@link BrokerConfigKeys#synonyms}) share the layers: a value in a
 * stronger layer wins whatever its unit, and within one layer the finest unit wins. So
 * {@code log.retention.hours} set dynamically beats {@code log.retention.ms} in server.properties,
 * while both in server.properties give {@code log.retention.ms}. A topic override beats them all.
 *
 * <p>The synonyms reported are the candidates in that order, each under its own name and with its
 * value as written, starting at the first candidate that carries the described key's own name. This
 * follows Kafka to the letter, including its odd corner: {@code retention.ms} of a topic without an
 * override reports no synonyms and source DEFAULT_CONFIG unless some layer sets
 * {@code log.retention.ms} itself, even when {@code log.retention.hours} supplies the value.
 *
 * <p>Immutable; the dynamic overrides are passed in per call, from the metadata image at hand.
 */
public final class ConfigResolver {
    /** Where a value comes from, numbered as DescribeConfigs reports it. */
    public enum Source {
        UNKNOWN(0), TOPIC_CONFIG(1), DYNAMIC_BROKER_CONFIG(2), DYNAMIC_DEFAULT_BROKER_CONFIG(3),
        STATIC_BROKER_CONFIG(4), DEFAULT_CONFIG(5), GROUP_CONFIG(8);

        private final byte wireId;

        Source(int wireId) {
            this.wireId = (byte) wireId;
        }

        public byte wireId() {
            return wireId;
        }
    }

    /** One candidate value of a key: a DescribeConfigs synonym. {@code value} is null when sensitive. */
    public record Resolved(String name, String value, Source source) {
    }

    /**
     * A key as DescribeConfigs reports it.
     *
     * @param def       the key's definition; null for a key neither Sluice nor this resolver knows
     * @param value     the value in force in its text form; null when there is none or it is sensitive
     * @param synonyms  the candidates in precedence order, the first being where {@code value} comes from
     * @param sensitive whether the value must not be shown (passwords, and keys of unknown type)
     */
    public record Resolution(String name, ConfigDef def, String value, Source source, List<Resolved> synonyms,
                             boolean sensitive) {
        /** The key's DescribeConfigs type id; 0 (unknown) for a key without a definition. */
        public byte typeId() {
            return def == null ? 0 : def.type().wireId();
        }

        public Optional<String> documentation() {
            return def == null ? Optional.empty() : Optional.ofNullable(def.documentation());
        }
    }

    private final BrokerConfig staticConfig;

    public ConfigResolver(BrokerConfig staticConfig) {
        this.staticConfig = staticConfig;
    }

    public BrokerConfig staticConfig() {
        return staticConfig;
    }

    // ------------------------------------------------------------------ topics

    /** Resolves one topic key for a topic with {@code overrides}, given the dynamic broker configs. */
    public Resolution topic(TopicConfigKeys.TopicKey key, Map<String, String> overrides,
                            Map<String, String> dynamicBroker, Map<String, String> dynamicDefault) {
        ConfigDef def = key.def();
        String name = def.name();
        List<Resolved> synonyms = new ArrayList<>();
        String value;
        if (overrides.containsKey(name)) {
            value = normalize(def, overrides.get(name));
            synonyms.add(new Resolved(name, value, Source.TOPIC_CONFIG));
        } else {
            value = null;
        }
        if (!key.brokerSynonyms().isEmpty()) {
            String brokerKey = key.brokerSynonyms().get(0);
            List<Resolved> layered = layered(BrokerConfigKeys.synonyms(brokerKey), dynamicBroker, dynamicDefault, false);
            if (value == null && !layered.isEmpty()) {
                Resolved winner = layered.get(0);
                value = normalize(def, convert(winner.name(), name, winner.value()));
            }
            synonyms.addAll(fromFirstNamed(layered, brokerKey));
        }
        if (value == null) {
            value = def.defaultValue() == null ? null : normalize(def, def.defaultValue());
        }
        Source source = synonyms.isEmpty() ? Source.DEFAULT_CONFIG : synonyms.get(0).source();
        return new Resolution(name, def, value, source, List.copyOf(synonyms), false);
    }

    /** Every topic key resolved, in name order. */
    public List<Resolution> allTopic(Map<String, String> overrides, Map<String, String> dynamicBroker,
                                     Map<String, String> dynamicDefault) {
        List<Resolution> all = new ArrayList<>();
        for (TopicConfigKeys.TopicKey key : TopicConfigKeys.all().values()) {
            all.add(topic(key, overrides, dynamicBroker, dynamicDefault));
        }
        return all;
    }

    // ------------------------------------------------------------------ brokers

    /**
     * Resolves a broker key as this broker has it: its own dynamic overrides, the cluster-wide
     * ones, server.properties and the default. {@code name} may be a key Sluice does not define.
     */
    public Resolution broker(String name, Map<String, String> dynamicBroker, Map<String, String> dynamicDefault) {
        ConfigDef def = BrokerConfigKeys.find(name).orElse(null);
        boolean sensitive = sensitive(name, def);
        List<Resolved> synonyms = fromFirstNamed(
            layered(BrokerConfigKeys.synonyms(name), dynamicBroker, dynamicDefault, sensitive), name);
        String value = null;
        if (!synonyms.isEmpty() && !sensitive) {
            value = def == null ? synonyms.get(0).value() : normalize(def, synonyms.get(0).value());
        }
        Source source = synonyms.isEmpty() ? Source.DEFAULT_CONFIG : synonyms.get(0).source();
        return new Resolution(name, def, value, source, synonyms, sensitive);
    }

    /**
     * Every broker key as this broker has it, in name order: all keys Sluice defines (with a null
     * value where nothing sets one), plus any other key set in server.properties or dynamically.
     */
    public List<Resolution> allBroker(Map<String, String> dynamicBroker, Map<String, String> dynamicDefault) {
        TreeMap<String, Resolution> all = new TreeMap<>();
        for (String name : BrokerConfigKeys.all().keySet()) {
            all.put(name, broker(name, dynamicBroker, dynamicDefault));
        }
        for (Map<String, String> source : List.of(staticConfig.originals(), dynamicBroker, dynamicDefault)) {
            for (String name : source.keySet()) {
                if (!all.containsKey(name)) {
                    all.put(name, broker(name, dynamicBroker, dynamicDefault));
                }
            }
        }
        return List.copyOf(all.values());
    }

    /**
     * Resolves a key of the cluster-wide default resource (broker name ""), which shows only what
     * is set dynamically for all brokers: the value as written and only dynamic-default synonyms.
     */
    public Resolution clusterDefault(String name, Map<String, String> dynamicDefault) {
        ConfigDef def = BrokerConfigKeys.find(name).orElse(null);
        boolean sensitive = sensitive(name, def);
        List<Resolved> synonyms = fromFirstNamed(
            layered(BrokerConfigKeys.synonyms(name), Map.of(), dynamicDefault, sensitive), name).stream()
            .filter(r -> r.source() == Source.DYNAMIC_DEFAULT_BROKER_CONFIG).toList();
        String value = sensitive ? null : dynamicDefault.get(name);
        Source source = synonyms.isEmpty() ? Source.DEFAULT_CONFIG : synonyms.get(0).source();
        return new Resolution(name, def, value, source, synonyms, sensitive);
    }

    /** Every key set dynamically for all brokers, in name order. */
    public List<Resolution> allClusterDefault(Map<String, String> dynamicDefault) {
        return new TreeMap<>(dynamicDefault).keySet().stream().map(name -> clusterDefault(name, dynamicDefault)).toList();
    }

    // ------------------------------------------------------------------ machinery

    /** Keys whose values are never shown: passwords, and keys of unknown type, which might be. */
    private static boolean sensitive(String name, ConfigDef def) {
        if (def == null) {
            return !BrokerConfigKeys.IGNORED_KAFKA_KEYS.contains(name);
        }
        return def.type() == ConfigType.PASSWORD;
    }

    /** The candidates for a group of synonyms, layer by layer, each layer in the group's order. */
    private List<Resolved> layered(List<String> names, Map<String, String> dynamicBroker,
                                   Map<String, String> dynamicDefault, boolean sensitive) {
        List<Resolved> list = new ArrayList<>();
        for (String name : names) {
            add(list, name, dynamicBroker.get(name), Source.DYNAMIC_BROKER_CONFIG, sensitive);
        }
        for (String name : names) {
            add(list, name, dynamicDefault.get(name), Source.DYNAMIC_DEFAULT_BROKER_CONFIG, sensitive);
        }
        for (String name : names) {
            add(list, name, staticConfig.originals().get(name), Source.STATIC_BROKER_CONFIG, sensitive);
        }
        for (String name : names) {
            add(list, name, BrokerConfigKeys.find(name).map(ConfigDef::defaultValue).orElse(null),
                Source.DEFAULT_CONFIG, sensitive);
        }
        return list;
    }

    private static void add(List<Resolved> list, String name, String value, Source source, boolean sensitive) {
        if (value != null) {
            list.add(new Resolved(name, sensitive ? null : value, source));
        }
    }

    /** Drops candidates before the first one named {@code name} (stronger values of other units). */
    private static List<Resolved> fromFirstNamed(List<Resolved> candidates, String name) {
        for (int i = 0; i < candidates.size(); i++) {
            if (candidates.get(i).name().equals(name)) {
                return List.copyOf(candidates.subList(i, candidates.size()));
            }
        }
        return List.of();
    }

    /** A value as its key's type prints it ("a, b" becomes "a,b"); as given if it does not parse. */
    static String normalize(ConfigDef def, String text) {
        if (text == null) {
            return null;
        }
        try {
            Object parsed = def.parse(text);
            if (parsed instanceof List<?> list) {
                return String.join(",", list.stream().map(String::valueOf).toList());
            }
            return parsed == null ? null : String.valueOf(parsed);
        } catch (ConfigException e) {
            return text;
        }
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
