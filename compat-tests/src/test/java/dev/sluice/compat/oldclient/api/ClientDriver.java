package dev.sluice.compat.oldclient.api;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * What a test can ask of a Kafka Java client release loaded on a class loader of its own (see
 * {@code IsolatedKafkaClient}). Everything here is made of JDK types and of the records below,
 * the only classes both sides of the class-loader boundary share, so that no type of the
 * {@code kafka-clients} on the test classpath ever meets one of the isolated release.
 *
 * <p>Keys and values are strings; the driver sets the serializers itself.
 */
public interface ClientDriver {

    /** The release of the loaded client as it reports itself (its {@code AppInfoParser}). */
    String version();

    /**
     * The newest version of every API the loaded client sends, by API name ({@code "JoinGroup"}),
     * when the broker serves it: versions a release marks unstable are left out.
     */
    Map<String, Short> latestApiVersions();

    /** A producer with {@code config} plus the driver's string serializers. */
    Producer producer(Properties config);

    /** A consumer with {@code config} plus the driver's string deserializers. */
    Consumer consumer(Properties config);

    /** A topic-partition, on this side of the boundary. */
    record Partition(String topic, int partition) {
    }

    /** One record as a consumer returned it. */
    record Consumed(Partition partition, long offset, String key, String value) {
    }

    /** A {@code KafkaProducer} of the loaded release. Not thread-safe beyond what the producer is. */
    interface Producer extends AutoCloseable {
        /**
         * Sends {@code values} (with null keys) to one partition, then waits for every
         * acknowledgement; returns their offsets in order.
         */
        List<Long> send(String topic, int partition, List<String> values);

        @Override
        void close();
    }

    /** A {@code KafkaConsumer} of the loaded release. Single-threaded, like the consumer itself. */
    interface Consumer extends AutoCloseable {
        void subscribe(Collection<String> topics);

        void assign(Collection<Partition> partitions);

        Set<Partition> assignment();

        List<Consumed> poll(Duration timeout);

        /** Commits the positions of everything the last polls returned. */
        void commitSync();

        /** The group's committed offsets of {@code partitions}; a partition without one is absent. */
        Map<Partition, Long> committed(Set<Partition> partitions);

        @Override
        void close();
    }
}
