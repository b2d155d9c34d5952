package dev.sluice.broker.metrics;

import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataListener;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.PartitionImage;
import dev.sluice.broker.metadata.TopicImage;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

/**
 * The replication meters an operator acts on, Kafka's broker and controller health metrics under
 * Sluice's names: partitions this broker leads that lack replicas in their ISR, or are at or under
 * {@code min.insync.replicas}; partitions without a leader (counted by the active controller);
 * leaderships; ISR shrinks and expansions; followers' lag; whether this node is the controller.
 *
 * <p>Gauges read the current metadata image when scraped. The ISR counters count changes of the
 * ISR of partitions this broker leads as the metadata publishes them, whoever proposed them (the
 * leader after {@code replica.lag.time.max.ms}, or the controller when it fences a broker), and
 * only while leadership stays here: a new leader's ISR is no shrink.
 *
 * <p>Threading: {@link #onChange} runs on the metadata thread; the gauges run on the scraping
 * thread and read only the published image and thread-safe counters.
 */
public final class ReplicationMetrics implements MetadataListener {
    private final int nodeId;
    private final MetadataView view;
    private final Partitions partitions;
    private final AtomicLong shrinks = new AtomicLong();
    private final AtomicLong expands = new AtomicLong();

    public ReplicationMetrics(int nodeId, MetadataView view, Partitions partitions) {
        this.nodeId = nodeId;
        this.view = view;
        this.partitions = partitions;
    }

    /**
     * Registers the meters.
     *
     * @param leaderCount partitions this broker leads
     * @param maxLag the largest lag of a partition this broker follows, in messages
     * @param activeController whether this node is the active controller now
     */
    public void register(MeterRegistry registry, IntSupplier leaderCount, LongSupplier maxLag,
                         BooleanSupplier activeController) {
        gauge(registry, "sluice.partitions.under.replicated", this::underReplicated,
            "Partitions this broker leads whose ISR lacks some of their replicas");
        gauge(registry, "sluice.partitions.under.min.isr", this::underMinIsr,
            "Partitions this broker leads whose ISR is smaller than min.insync.replicas: acks=all produce fails");
        gauge(registry, "sluice.partitions.at.min.isr", this::atMinIsr,
            "Partitions this broker leads whose ISR is exactly min.insync.replicas: one more loss stops acks=all");
        Gauge.builder("sluice.partitions.offline", () -> activeController.getAsBoolean() ? offline(view.image()) : 0)
            .strongReference(true).description("Partitions without a leader; counted by the active controller only")
            .register(registry);
        Gauge.builder("sluice.partitions.led", leaderCount::getAsInt).strongReference(true)
            .description("Partitions this broker leads").register(registry);
        Gauge.builder("sluice.replica.fetch.max.lag", maxLag::getAsLong).strongReference(true).baseUnit("messages")
            .description("Largest lag, in messages, of a partition this broker follows behind its leader's high watermark")
            .register(registry);
        Gauge.builder("sluice.controller.active", () -> activeController.getAsBoolean() ? 1 : 0).strongReference(true)
            .description("1 on the active controller, 0 elsewhere").register(registry);
        FunctionCounter.builder("sluice.isr.shrinks", shrinks, AtomicLong::get)
            .description("ISR shrinks of partitions this broker leads").register(registry);
        FunctionCounter.builder("sluice.isr.expands", expands, AtomicLong::get)
            .description("ISR expansions of partitions this broker leads").register(registry);
    }

    private void gauge(MeterRegistry registry, String name, ToIntFunction<MetadataImage> count, String description) {
        Gauge.builder(name, () -> count.applyAsInt(view.image())).strongReference(true).description(description)
            .register(registry);
    }

    @Override
    public void onChange(MetadataImage previous, MetadataImage next) {
        for (TopicImage topic : next.topics()) {
            TopicImage before = previous.topic(topic.id()).orElse(null);
            if (before == null || before == topic) {
                continue;
            }
            int n = Math.min(before.partitions().size(), topic.partitions().size());
            for (int i = 0; i < n; i++) {
                PartitionImage was = before.partitions().get(i);
                PartitionImage is = topic.partitions().get(i);
                if (was.leader() != nodeId || is.leader() != nodeId) {
                    continue;
                }
                if (is.isr().size() < was.isr().size()) {
                    shrinks.incrementAndGet();
                } else if (is.isr().size() > was.isr().size()) {
                    expands.incrementAndGet();
                }
            }
        }
    }

    /**
     * Partitions led here with fewer in-sync replicas than replicas. While a reassignment adds
     * replicas, only the replicas it keeps count, as in Kafka: a replica still copying is not missing.
     */
    int underReplicated(MetadataImage image) {
        int count = 0;
        for (TopicImage topic : image.topics()) {
            for (PartitionImage p : topic.partitions()) {
                if (p.leader() == nodeId && p.isr().size() < p.replicas().size() - p.addingReplicas().size()) {
                    count++;
                }
            }
        }
        return count;
    }

    private int underMinIsr(MetadataImage image) {
        return countByMinIsr(image, false);
    }

    private int atMinIsr(MetadataImage image) {
        return countByMinIsr(image, true);
    }

    private int countByMinIsr(MetadataImage image, boolean at) {
        int count = 0;
        for (TopicImage topic : image.topics()) {
            for (PartitionImage p : topic.partitions()) {
                if (p.leader() != nodeId) {
                    continue;
                }
                int min = partitions.get(topic.name(), p.partition()).map(Partition::minInsyncReplicas).orElse(1);
                if (at ? p.isr().size() == min : p.isr().size() < min) {
                    count++;
                }
            }
        }
        return count;
    }

    private static int offline(MetadataImage image) {
        int count = 0;
        for (TopicImage topic : image.topics()) {
            for (PartitionImage p : topic.partitions()) {
                if (p.leader() < 0) {
                    count++;
                }
            }
        }
        return count;
    }
}
