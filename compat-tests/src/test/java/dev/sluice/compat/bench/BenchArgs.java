package dev.sluice.compat.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * A benchmark's command line: the bootstrap servers, then {@code name=value} settings of the
 * benchmark's own (each with a default), and {@code consumer.<key>=<value>} and
 * {@code producer.<key>=<value>} settings passed to every consumer or producer it makes. An
 * unknown name is an error, so a typo never silently runs the default.
 */
final class BenchArgs {
    final String bootstrap;
    private final Map<String, String> settings;
    final Properties consumer = new Properties();
    final Properties producer = new Properties();

    private BenchArgs(String bootstrap, Map<String, String> settings) {
        this.bootstrap = bootstrap;
        this.settings = settings;
    }

    /** Parses {@code args} against {@code defaults}; exits with {@code usage} when they do not fit. */
    static BenchArgs parse(String[] args, Map<String, String> defaults, String usage) {
        if (args.length == 0 || args[0].contains("=")) {
            System.err.println(usage);
            System.exit(2);
        }
        Map<String, String> settings = new LinkedHashMap<>(defaults);
        BenchArgs parsed = new BenchArgs(args[0], settings);
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            String name = eq < 0 ? args[i] : args[i].substring(0, eq);
            if (eq > 0 && name.startsWith("consumer.")) {
                parsed.consumer.put(name.substring("consumer.".length()), args[i].substring(eq + 1));
            } else if (eq > 0 && name.startsWith("producer.")) {
                parsed.producer.put(name.substring("producer.".length()), args[i].substring(eq + 1));
            } else if (eq > 0 && settings.containsKey(name)) {
                settings.put(name, args[i].substring(eq + 1));
            } else {
                System.err.println("unknown argument '" + args[i] + "'\n" + usage);
                System.exit(2);
            }
        }
        return parsed;
    }

    String get(String name) {
        return settings.get(name);
    }

    int getInt(String name) {
        return Integer.parseInt(settings.get(name));
    }

    /** Prints every setting, and every consumer and producer override, as {@code prefix_name=value} lines. */
    void print(String prefix) {
        System.out.printf("%s_bootstrap=%s%n", prefix, bootstrap);
        settings.forEach((k, v) -> System.out.printf("%s_%s=%s%n", prefix, k, v));
        consumer.forEach((k, v) -> System.out.printf("%s_consumer.%s=%s%n", prefix, k, v));
        producer.forEach((k, v) -> System.out.printf("%s_producer.%s=%s%n", prefix, k, v));
    }
}
