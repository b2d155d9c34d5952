package dev.sluice.broker.config;

import java.util.Map;

/**
 * The values Kafka's shipped {@code config/server.properties} sets where they differ from Kafka's
 * code defaults "for a better out-of-the-box experience for development and testing", applied
 * when Sluice runs without a configuration file: the zero-config broker ({@code java -jar
 * sluice.jar} with no properties file) and the embedded broker and cluster a test starts. A
 * broker given a {@code server.properties} keeps the code defaults, as Kafka does; a key set
 * explicitly always wins.
 *
 * <ul>
 *   <li>{@code group.initial.rebalance.delay.ms=0}: a classic group's first rebalance starts at
 *       once instead of waiting 3 s for more members, so a test's consumer gets its first
 *       records without that wait.</li>
 * </ul>
 *
 * The shipped file's other values (one replica for the internal topics, one partition per topic,
 * the socket buffers, retention) are Sluice's single-node values or Kafka's code defaults already.
 */
public final class DevelopmentDefaults {
    /** Key to value, in the order the list above gives them. */
    public static final Map<String, String> VALUES = Map.of(BrokerConfigKeys.GROUP_INITIAL_REBALANCE_DELAY_MS, "0");

    private DevelopmentDefaults() {
    }

    /** Adds each development value that {@code props} does not set. */
    public static void applyTo(Map<String, String> props) {
        VALUES.forEach(props::putIfAbsent);
    }
}
