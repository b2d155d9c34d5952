package dev.sluice.broker.metrics;

import dev.sluice.broker.log.Partition;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataListener;
import dev.sluice.broker.metadata.TopicImage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Per-topic traffic counters: {@code sluice.topic.bytes.in} and {@code sluice.topic.records.in}
 * (what the log accepted, counted after each successful append, so a retried batch the producer
 * state recognises as a duplicate is not counted twice) and {@code sluice.topic.bytes.out} and
 * {@code sluice.topic.records.out} (what Fetch responses carried), each tagged {@code topic}.
 *
 * <p>A topic's four counters are created on its first traffic and cached, so the hot paths cost
 * one map lookup and two counter increments. They are removed from the registry when the topic is
 * deleted. Creation and removal hold the same lock and creation checks that the topic still
 * exists, so a fetch racing with a deletion cannot leave a deleted topic's series behind.
 *
 * <p>Thread-safe: appends report from partition writers, fetches from request threads, deletions
 * from the metadata log's applying thread.
 */
public final class TopicMetrics implements Partition.AppendListener, MetadataListener {
    private static final TopicMeters NONE = new TopicMeters(null, null, null, null);

    private final MeterRegistry registry;
    private final Predicate<String> topicExists;
    private final Map<String, TopicMeters> byTopic = new ConcurrentHashMap<>();

    /**
     * @param topicExists whether a topic of that name is in the current metadata image; asked only
     *     when a topic's meters are first needed
     */
    public TopicMetrics(MeterRegistry registry, Predicate<String> topicExists) {
        this.registry = registry;
        this.topicExists = topicExists;
    }

    private record TopicMeters(Counter bytesIn, Counter recordsIn, Counter bytesOut, Counter recordsOut) {
    }

    @Override
    public void appended(Partition partition, int bytes, int records) {
        TopicMeters m = meters(partition.topic());
        if (m != NONE) {
            m.bytesIn.increment(bytes);
            m.recordsIn.increment(records);
        }
    }

    /** Counts the records one Fetch response carries for a partition of {@code topic}. */
    public void fetched(String topic, int bytes, int records) {
        TopicMeters m = meters(topic);
        if (m != NONE) {
            m.bytesOut.increment(bytes);
            m.recordsOut.increment(records);
        }
    }

    private TopicMeters meters(String topic) {
        TopicMeters m = byTopic.get(topic);
        return m != null ? m : create(topic);
    }

    private synchronized TopicMeters create(String topic) {
        TopicMeters m = byTopic.get(topic);
        if (m != null) {
            return m;
        }
        if (!topicExists.test(topic)) {
            return NONE;
        }
        m = new TopicMeters(
            counter("sluice.topic.bytes.in", topic, "bytes", "Bytes of record batches appended to the topic's log"),
            counter("sluice.topic.records.in", topic, "records", "Records appended to the topic's log"),
            counter("sluice.topic.bytes.out", topic, "bytes", "Bytes of record batches sent in Fetch responses"),
            counter("sluice.topic.records.out", topic, "records", "Records sent in Fetch responses"));
        byTopic.put(topic, m);
        return m;
    }

    private Counter counter(String name, String topic, String unit, String description) {
        // No baseUnit: Micrometer would append it to the Prometheus name (…_bytes_in_bytes_total).
        return Counter.builder(name).tag("topic", topic).description(description + " (" + unit + ")")
            .register(registry);
    }

    @Override
    public void onChange(MetadataImage previous, MetadataImage next) {
        for (TopicImage old : previous.topics()) {
            TopicImage now = next.topic(old.name()).orElse(null);
            if (now == null || !now.id().equals(old.id())) {
                remove(old.name());
            }
        }
    }

    private synchronized void remove(String topic) {
        TopicMeters m = byTopic.remove(topic);
        if (m != null) {
            registry.remove(m.bytesIn);
            registry.remove(m.recordsIn);
            registry.remove(m.bytesOut);
            registry.remove(m.recordsOut);
        }
    }
}
