package dev.sluice.broker.handler;

import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.wire.message.AlterReplicaLogDirsRequest;
import dev.sluice.wire.message.AlterReplicaLogDirsRequest.AlterReplicaLogDir;
import dev.sluice.wire.message.AlterReplicaLogDirsRequest.AlterReplicaLogDirTopic;
import dev.sluice.wire.message.AlterReplicaLogDirsResponse;
import dev.sluice.wire.message.AlterReplicaLogDirsResponse.AlterReplicaLogDirPartitionResult;
import dev.sluice.wire.message.AlterReplicaLogDirsResponse.AlterReplicaLogDirTopicResult;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * AlterReplicaLogDirs (key 34), v1-2: moves replicas held by this broker between its log
 * directories. Sluice keeps every partition in one directory (the first of {@code log.dirs}), so
 * the only destination there is is where each replica already lives: that answers NONE and moves
 * nothing, as Kafka answers it. Each partition is decided as Kafka decides it, in Kafka's order:
 * a name too long for a moving replica's directory (INVALID_TOPIC_EXCEPTION), a path that is not
 * the directory exactly as DescribeLogDirs names it (LOG_DIR_NOT_FOUND; the other entries of
 * {@code log.dirs} too, since Sluice does not use them), an offline replica (KAFKA_STORAGE_ERROR),
 * a partition held by other brokers only (REPLICA_NOT_AVAILABLE) or by none
 * (UNKNOWN_TOPIC_OR_PARTITION). A partition named twice takes its last destination. Needs ALTER
 * on the cluster (the dispatcher's check). Served by each broker for itself, never forwarded.
 */
public final class AlterReplicaLogDirsHandler extends ApiHandler<AlterReplicaLogDirsRequest, AlterReplicaLogDirsResponse> {
    /** The longest topic name plus partition number whose moving replica's directory name fits in 255 characters. */
    private static final int MAX_NAME_AND_PARTITION = 214;

    private final MetadataView view;
    private final Partitions partitions;

    public AlterReplicaLogDirsHandler(MetadataView view, Partitions partitions) {
        super(ApiKey.ALTER_REPLICA_LOG_DIRS, 1, 2);
        this.view = view;
        this.partitions = partitions;
    }

    @Override
    public CompletableFuture<AlterReplicaLogDirsResponse> handle(RequestContext context,
                                                                  AlterReplicaLogDirsRequest request) {
        Map<Partitions.Key, String> destinations = new LinkedHashMap<>();
        for (AlterReplicaLogDir dir : request.dirs()) {
            for (AlterReplicaLogDirTopic topic : dir.topics()) {
                for (int p : topic.partitions()) {
                    Partitions.Key key = new Partitions.Key(topic.name(), p);
                    destinations.remove(key);
                    destinations.put(key, dir.path());
                }
            }
        }
        String logDir = DescribeLogDirsHandler.logDir(partitions);
        Map<String, List<AlterReplicaLogDirPartitionResult>> byTopic = new LinkedHashMap<>();
        destinations.forEach((key, path) -> byTopic.computeIfAbsent(key.topic(), t -> new ArrayList<>()).add(
            new AlterReplicaLogDirPartitionResult().setPartitionIndex(key.partition())
                .setErrorCode(decide(key, path, logDir).code())));
        List<AlterReplicaLogDirTopicResult> results = new ArrayList<>();
        byTopic.forEach((topic, list) -> results.add(new AlterReplicaLogDirTopicResult().setTopicName(topic)
            .setPartitions(list)));
        return CompletableFuture.completedFuture(new AlterReplicaLogDirsResponse().setResults(results));
    }

    private ErrorCode decide(Partitions.Key key, String path, String logDir) {
        if (key.topic().length() + Integer.toString(key.partition()).length() > MAX_NAME_AND_PARTITION) {
            return ErrorCode.INVALID_TOPIC_EXCEPTION;
        }
        if (!logDir.equals(path)) {
            return ErrorCode.LOG_DIR_NOT_FOUND;
        }
        Optional<Partition> held = partitions.get(key.topic(), key.partition());
        if (held.isPresent()) {
            // Already in the destination: nothing to move.
            return held.get().isOffline() ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.NONE;
        }
        boolean exists = view.image().topic(key.topic())
            .map(t -> key.partition() >= 0 && key.partition() < t.partitions().size()).orElse(false);
        return exists ? ErrorCode.REPLICA_NOT_AVAILABLE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    }

    /** Every partition as listed, each with {@code error}: the Admin fails a replica missing from the answer. */
    @Override
    public AlterReplicaLogDirsResponse errorResponse(AlterReplicaLogDirsRequest request, ErrorCode error) {
        List<AlterReplicaLogDirTopicResult> results = new ArrayList<>();
        for (AlterReplicaLogDir dir : request.dirs()) {
            for (AlterReplicaLogDirTopic topic : dir.topics()) {
                List<AlterReplicaLogDirPartitionResult> list = new ArrayList<>();
                for (int p : topic.partitions()) {
                    list.add(new AlterReplicaLogDirPartitionResult().setPartitionIndex(p).setErrorCode(error.code()));
                }
                results.add(new AlterReplicaLogDirTopicResult().setTopicName(topic.name()).setPartitions(list));
            }
        }
        return new AlterReplicaLogDirsResponse().setResults(results);
    }
}
