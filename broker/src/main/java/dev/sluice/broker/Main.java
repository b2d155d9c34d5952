package dev.sluice.broker;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.ConfigException;
import dev.sluice.broker.config.DevelopmentDefaults;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar sluice.jar [server.properties] [--override key=value]...}
 *
 * <p>With no arguments: a single-node broker on {@code localhost:9092} with data in
 * {@code ./sluice-data}, with Kafka's shipped development values ({@link DevelopmentDefaults})
 * where no properties file is given. Overrides win over the file. SIGTERM (or Ctrl-C) answers requests in
 * flight, closes files and exits 0; a configuration or start-up error exits 1 with one line that
 * names the problem.
 */
public final class Main {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) {
        Map<String, String> props;
        try {
            props = parseArguments(args);
        } catch (IllegalArgumentException | IOException e) {
            log.error("{}", e.getMessage());
            log.error("usage: java -jar sluice.jar [server.properties] [--override key=value]...");
            System.exit(1);
            return;
        }
        AutoCloseable broker;
        try {
            BrokerConfig config = BrokerConfig.parse(props);
            broker = SluiceController.isControllerOnly(config) ? SluiceController.start(config)
                : SluiceBroker.start(config);
        } catch (ConfigException e) {
            log.error("cannot start: {}", e.getMessage());
            System.exit(1);
            return;
        } catch (IllegalStateException e) {
            // Expected refusals (directory in use, node id mismatch) say all there is in their message.
            log.error("cannot start: {}", e.getMessage());
            System.exit(1);
            return;
        } catch (RuntimeException e) {
            log.error("cannot start: {}", e.getMessage(), e);
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                broker.close();
            } catch (Exception e) {
                log.error("stopping failed: {}", e.toString());
            }
            stopped.countDown();
            // A signal-initiated JVM exit reports 128 + signal; a clean stop reports success instead.
            Runtime.getRuntime().halt(0);
        }, "sluice-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static Map<String, String> parseArguments(String[] args) throws IOException {
        Map<String, String> props = new LinkedHashMap<>();
        Map<String, String> overrides = new LinkedHashMap<>();
        boolean fileGiven = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--override")) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--override needs key=value");
                }
                String kv = args[++i];
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--override needs key=value, got '" + kv + "'");
                }
                overrides.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
            } else if (arg.startsWith("--")) {
                throw new IllegalArgumentException("unknown option " + arg);
            } else {
                if (fileGiven) {
                    throw new IllegalArgumentException("only one properties file may be given");
                }
                fileGiven = true;
                Path file = Path.of(arg);
                if (!Files.isRegularFile(file)) {
                    throw new IllegalArgumentException("no such properties file: " + file);
                }
                Properties p = new Properties();
                try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    p.load(in);
                }
                for (String key : p.stringPropertyNames()) {
                    props.put(key, p.getProperty(key).trim());
                }
            }
        }
        props.putAll(overrides);
        if (!fileGiven) {
            DevelopmentDefaults.applyTo(props);
        }
        return props;
    }
}
