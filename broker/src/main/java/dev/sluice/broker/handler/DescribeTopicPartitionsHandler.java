package dev.sluice.broker.handler;

import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.BrokerDirectory;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.PartitionImage;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DescribeTopicPartitionsRequest;
import dev.sluice.wire.message.DescribeTopicPartitionsResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * DescribeTopicPartitions (key 75), v0 (KIP-966). Topics in name order (all of them when the
 * request names none), at most {@code response_partition_limit} partitions per response; when the
 * limit cuts a listing short, {@code next_cursor} says where the next request should start. Named
 * topics that do not exist are reported with UNKNOWN_TOPIC_OR_PARTITION. Leaders and offline
 * replicas are reported as Metadata reports them ({@link ReportedPartitions}). Eligible leader replicas
 * (KIP-966) are not tracked: those lists are sent empty, which clients read as "none".
 */
public final class DescribeTopicPartitionsHandler
        extends ApiHandler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse> {
    private final MetadataView view;
    private final BrokerDirectory brokers;
    private final Partitions partitions;

    public DescribeTopicPartitionsHandler(MetadataView view, BrokerDirectory brokers, Partitions partitions) {
        super(ApiKey.DESCRIBE_TOPIC_PARTITIONS, 0, 0);
        this.view = view;
        this.brokers = brokers;
        this.partitions = partitions;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DescribeTopicPartitionsResponse> handle(RequestContext context,
                                                                      DescribeTopicPartitionsRequest request) {
        MetadataImage image = view.image();
        ReportedPartitions reported = new ReportedPartitions(brokers, partitions);
        TreeSet<String> names = new TreeSet<>();
        if (request.topics().isEmpty()) {
            // Listing every topic leaves out those the principal may not describe.
            for (TopicImage t : image.topics()) {
                if (context.allowed(AclOperation.DESCRIBE, AclResourceType.TOPIC, t.name())) {
                    names.add(t.name());
                }
            }
        } else {
            for (DescribeTopicPartitionsRequest.TopicRequest t : request.topics()) {
                names.add(t.name());
            }
        }
        String cursorTopic = request.cursor() == null ? null : request.cursor().topicName();
        int cursorPartition = request.cursor() == null ? 0 : Math.max(0, request.cursor().partitionIndex());
        int budget = Math.max(1, request.responsePartitionLimit());

        List<DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic> topics = new ArrayList<>();
        DescribeTopicPartitionsResponse.Cursor next = null;
        for (String name : cursorTopic == null ? names : names.tailSet(cursorTopic, true)) {
            TopicImage topic = image.topic(name).orElse(null);
            if (!context.allowed(AclOperation.DESCRIBE, AclResourceType.TOPIC, name)) {
                topics.add(new DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic().setName(name)
                    .setErrorCode(ErrorCode.TOPIC_AUTHORIZATION_FAILED.code()));
                continue;
            }
            if (topic == null) {
                topics.add(new DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic().setName(name)
                    .setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code()));
                continue;
            }
            if (budget == 0) {
                next = new DescribeTopicPartitionsResponse.Cursor().setTopicName(name).setPartitionIndex(0);
                break;
            }
            int from = name.equals(cursorTopic) ? cursorPartition : 0;
            List<DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponsePartition> partitions = new ArrayList<>();
            int p = from;
            for (; p < topic.partitions().size() && budget > 0; p++, budget--) {
                PartitionImage partition = topic.partitions().get(p);
                int leader = reported.leader(name, partition);
                partitions.add(new DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponsePartition()
                    .setErrorCode(ReportedPartitions.error(partition, leader))
                    .setPartitionIndex(partition.partition()).setLeaderId(leader)
                    .setLeaderEpoch(partition.leaderEpoch()).setReplicaNodes(new ArrayList<>(partition.replicas()))
                    .setIsrNodes(new ArrayList<>(partition.isr())).setOfflineReplicas(reported.offline(partition))
                    .setEligibleLeaderReplicas(new ArrayList<>()).setLastKnownElr(new ArrayList<>()));
            }
            topics.add(new DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic().setName(name)
                .setTopicId(topic.id()).setIsInternal(topic.isInternal()).setPartitions(partitions)
                .setTopicAuthorizedOperations(AuthorizedOperations.topic(context, name, true)));
            if (p < topic.partitions().size()) {
                next = new DescribeTopicPartitionsResponse.Cursor().setTopicName(name).setPartitionIndex(p);
                break;
            }
        }
        return CompletableFuture.completedFuture(new DescribeTopicPartitionsResponse().setTopics(topics).setNextCursor(next));
    }

    @Override
    public DescribeTopicPartitionsResponse errorResponse(DescribeTopicPartitionsRequest request, ErrorCode error) {
        List<DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic> topics = new ArrayList<>();
        for (DescribeTopicPartitionsRequest.TopicRequest t : request.topics()) {
            topics.add(new DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic().setName(t.name())
                .setErrorCode(error.code()));
        }
        return new DescribeTopicPartitionsResponse().setTopics(topics);
    }
}
