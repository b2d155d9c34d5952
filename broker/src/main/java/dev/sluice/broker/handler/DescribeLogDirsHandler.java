package dev.sluice.broker.handler;

import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DescribeLogDirsRequest;
import dev.sluice.wire.message.DescribeLogDirsResponse;
import dev.sluice.wire.message.ErrorCode;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * DescribeLogDirs (key 35), v1-5: the broker's one data directory with the size of each requested
 * partition (all partitions for a null topic list); from v4 the disk's total and usable bytes.
 * Partitions named but not held here are left out, as Kafka does.
 */
public final class DescribeLogDirsHandler extends ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponse> {
    private final Partitions partitions;

    public DescribeLogDirsHandler(Partitions partitions) {
        super(ApiKey.DESCRIBE_LOG_DIRS, 1, 5);
        this.partitions = partitions;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DescribeLogDirsResponse> handle(RequestContext context, DescribeLogDirsRequest request) {
        if (!(context.allowedOnCluster(AclOperation.DESCRIBE))) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
        }
        Set<String> wanted = null;
        if (request.topics() != null) {
            wanted = new HashSet<>();
            for (DescribeLogDirsRequest.DescribableLogDirTopic t : request.topics()) {
                for (int p : t.partitions()) {
                    wanted.add(t.topic() + "-" + p);
                }
            }
        }
        Map<String, List<DescribeLogDirsResponse.DescribeLogDirsPartition>> byTopic = new TreeMap<>();
        for (Partition p : partitions.all()) {
            if (wanted == null || wanted.contains(p.topic() + "-" + p.index())) {
                byTopic.computeIfAbsent(p.topic(), k -> new ArrayList<>()).add(new DescribeLogDirsResponse.DescribeLogDirsPartition()
                    .setPartitionIndex(p.index()).setPartitionSize(p.sizeInBytes()).setOffsetLag(0).setIsFutureKey(false));
            }
        }
        List<DescribeLogDirsResponse.DescribeLogDirsTopic> topics = new ArrayList<>();
        byTopic.forEach((name, list) -> topics.add(new DescribeLogDirsResponse.DescribeLogDirsTopic().setName(name)
            .setPartitions(list)));
        DescribeLogDirsResponse.DescribeLogDirsResult dir = new DescribeLogDirsResponse.DescribeLogDirsResult()
            .setLogDir(logDir(partitions)).setTopics(topics)
            .setTotalBytes(-1).setUsableBytes(-1);
        try {
            FileStore store = Files.getFileStore(partitions.dataDir());
            dir.setTotalBytes(store.getTotalSpace()).setUsableBytes(store.getUsableSpace());
        } catch (IOException e) {
            dir.setErrorCode(ErrorCode.KAFKA_STORAGE_ERROR.code());
        }
        return CompletableFuture.completedFuture(new DescribeLogDirsResponse().setResults(new ArrayList<>(List.of(dir))));
    }

    /**
     * The log directory as this broker names it to clients: DescribeLogDirs reports it, and
     * AlterReplicaLogDirs accepts exactly this string (tools copy one into the other).
     */
    static String logDir(Partitions partitions) {
        return partitions.dataDir().toAbsolutePath().normalize().toString();
    }

    @Override
    public DescribeLogDirsResponse errorResponse(DescribeLogDirsRequest request, ErrorCode error) {
        return new DescribeLogDirsResponse().setErrorCode(error.code());
    }
}
