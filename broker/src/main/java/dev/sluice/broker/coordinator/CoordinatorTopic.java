package dev.sluice.broker.coordinator;

import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataListener;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.PartitionImage;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.wire.message.ErrorCode;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A coordinator's internal topic as the metadata shows it: which partition a key (a group id, a
 * transactional id) lives on, which broker leads it, loading and unloading the runtime's
 * partitions as this broker's leadership changes, creating the topic the first time a client
 * looks for a coordinator, and answering FindCoordinator.
 *
 * <p>Threading: any thread.
 */
public final class CoordinatorTopic implements MetadataListener {
    private static final Logger log = LoggerFactory.getLogger(CoordinatorTopic.class);
    /** How long FindCoordinator waits for a partition of this broker to finish loading. */
    static final long LOAD_WAIT_MS = 5_000;

    /**
     * Kafka's placement for transactional ids and share-partition keys: the absolute value of the
     * key's hash, with {@code Integer.MIN_VALUE} taken as 0.
     */
    public static int absoluteHash(String key) {
        int h = key.hashCode();
        return h == Integer.MIN_VALUE ? 0 : Math.abs(h);
    }

    /** Where a key's coordinator is: NONE and the coordinating broker's id, or why none is known. */
    public record Located(ErrorCode error, int nodeId) {
    }

    private final String topic;
    private final MetadataView view;
    private final Controller controller;
    private final Partitions partitions;
    private final CoordinatorRuntime<?> runtime;
    private final ToIntFunction<String> hash;
    private final int defaultPartitions;
    private final int nodeId;
    private CompletableFuture<Void> creating;

    /**
     * @param hash              the key's hash, made non-negative, before the modulo (Kafka's
     *                          placement differs between coordinators)
     * @param defaultPartitions the partition count before the topic exists
     */
    public CoordinatorTopic(String topic, MetadataView view, Controller controller, Partitions partitions,
                            CoordinatorRuntime<?> runtime, ToIntFunction<String> hash, int defaultPartitions) {
        this.topic = topic;
        this.view = view;
        this.controller = controller;
        this.partitions = partitions;
        this.runtime = runtime;
        this.hash = hash;
        this.defaultPartitions = defaultPartitions;
        this.nodeId = partitions.nodeId();
    }

    public String name() {
        return topic;
    }

    public boolean exists() {
        return view.image().topic(topic).isPresent();
    }

    /** Loads the partitions this broker leads now; later ones load as they appear. */
    public void start() {
        onChange(MetadataImage.empty(view.image().clusterId()), view.image());
    }

    @Override
    public void onChange(MetadataImage previous, MetadataImage next) {
        TopicImage before = previous.topic(topic).orElse(null);
        TopicImage now = next.topic(topic).orElse(null);
        if (before != null && (now == null || !now.id().equals(before.id()))) {
            for (PartitionImage p : before.partitions()) {
                runtime.unload(topic, p.partition(), p.leaderEpoch());
            }
        }
        if (now == null) {
            return;
        }
        // The runtime ignores a partition already loaded at this epoch, so every change may repeat
        // this; in a cluster the replica manager also announces leadership to the runtime.
        for (PartitionImage p : now.partitions()) {
            if (p.leader() == nodeId) {
                partitions.get(topic, p.partition()).ifPresent(partition -> runtime.load(partition, p.leaderEpoch()));
            } else {
                runtime.unload(topic, p.partition(), p.leaderEpoch());
            }
        }
    }

    /** The partition {@code key} lives on. */
    public int partitionFor(String key) {
        int count = view.image().topic(topic).map(t -> t.partitions().size()).orElse(defaultPartitions);
        return hash.applyAsInt(key) % count;
    }

    /** The broker leading {@code partition} in the image, or -1. */
    public int leaderOf(int partition) {
        return view.image().topic(topic).filter(t -> partition < t.partitions().size())
            .map(t -> t.partitions().get(partition).leader()).orElse(-1);
    }

    /** The leader epoch of {@code partition} in the image, or -1. */
    public int leaderEpochOf(int partition) {
        return view.image().topic(topic).filter(t -> partition < t.partitions().size())
            .map(t -> t.partitions().get(partition).leaderEpoch()).orElse(-1);
    }

    /** NONE when this broker serves {@code key} now, else COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS. */
    public ErrorCode status(String key) {
        return exists() ? runtime.status(partitionFor(key)) : ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }

    /**
     * FindCoordinator: creates the topic when it does not exist yet (as Kafka does). Another
     * broker leading the key's partition is named at once; this broker is named once its
     * partition has loaded, waiting up to {@link #LOAD_WAIT_MS} (some clients treat
     * COORDINATOR_LOAD_IN_PROGRESS as fatal), and anyway after that, as Kafka's does.
     */
    public CompletableFuture<Located> locate(String key, Supplier<Controller.NewTopic> creation) {
        CompletableFuture<Void> created = exists() ? CompletableFuture.completedFuture(null) : create(creation);
        return created.handle((v, failure) -> null).thenCompose(v -> {
            if (!exists()) {
                return CompletableFuture.completedFuture(new Located(ErrorCode.COORDINATOR_NOT_AVAILABLE, -1));
            }
            int partition = partitionFor(key);
            int leader = leaderOf(partition);
            if (leader >= 0 && leader != nodeId) {
                return CompletableFuture.completedFuture(new Located(ErrorCode.NONE, leader));
            }
            if (runtime.status(partition) != ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) {
                return CompletableFuture.completedFuture(located(partition));
            }
            return runtime.whenLoaded(partition).completeOnTimeout(null, LOAD_WAIT_MS, TimeUnit.MILLISECONDS)
                .thenApply(loaded -> located(partition));
        });
    }

    private Located located(int partition) {
        return switch (runtime.status(partition)) {
            case NONE, COORDINATOR_LOAD_IN_PROGRESS -> new Located(ErrorCode.NONE, nodeId);
            default -> new Located(ErrorCode.COORDINATOR_NOT_AVAILABLE, -1);
        };
    }

    private synchronized CompletableFuture<Void> create(Supplier<Controller.NewTopic> creation) {
        if (creating != null && !creating.isDone()) {
            return creating;
        }
        Controller.NewTopic wanted = creation.get();
        creating = controller.createTopics(List.of(wanted), false).thenAccept(outcomes -> {
            Controller.TopicOutcome o = outcomes.get(0);
            if (o.error() == ErrorCode.NONE) {
                log.info("Created {} with {} partitions", topic, wanted.numPartitions());
            } else if (o.error() != ErrorCode.TOPIC_ALREADY_EXISTS) {
                log.error("Cannot create {}: {} {}", topic, o.error(), o.message());
            }
        });
        return creating;
    }

    /**
     * Runs {@code submit} on the key's partition, or answers COORDINATOR_NOT_AVAILABLE before the
     * topic exists; the runtime's refusals become the client error {@code onError} answers.
     */
    public <T> CompletableFuture<T> route(String key, Function<Integer, CompletableFuture<T>> submit,
                                          Function<ErrorCode, T> onError) {
        if (!exists()) {
            return CompletableFuture.completedFuture(onError.apply(ErrorCode.COORDINATOR_NOT_AVAILABLE));
        }
        return answer(submit.apply(partitionFor(key)), onError);
    }

    /** Turns the runtime's refusals (not loaded here, loading, the write failed) into {@code onError}'s answer. */
    public static <T> CompletableFuture<T> answer(CompletableFuture<T> outcome, Function<ErrorCode, T> onError) {
        return outcome.exceptionally(failure -> {
            if (CoordinatorException.of(failure).isPresent()) {
                return onError.apply(CoordinatorException.clientError(failure));
            }
            throw failure instanceof CompletionException c ? c : new CompletionException(failure);
        });
    }
}
