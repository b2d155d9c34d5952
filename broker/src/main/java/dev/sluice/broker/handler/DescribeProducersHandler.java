package dev.sluice.broker.handler;

import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.storage.producer.ProducerEntry;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DescribeProducersRequest;
import dev.sluice.wire.message.DescribeProducersResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * DescribeProducers (key 61), v0: the idempotent producers each partition remembers, with their
 * epoch, last sequence and last write time. Unknown partitions are UNKNOWN_TOPIC_OR_PARTITION.
 */
public final class DescribeProducersHandler extends ApiHandler<DescribeProducersRequest, DescribeProducersResponse> {
    private final PartitionLookup lookup;

    public DescribeProducersHandler(MetadataView view, Partitions partitions) {
        super(ApiKey.DESCRIBE_PRODUCERS, 0, 0);
        this.lookup = new PartitionLookup(view, partitions);
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DescribeProducersResponse> handle(RequestContext context, DescribeProducersRequest request) {
        List<DescribeProducersResponse.TopicResponse> topics = new ArrayList<>();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (DescribeProducersRequest.TopicRequest t : request.topics()) {
            List<DescribeProducersResponse.PartitionResponse> results = new ArrayList<>();
            for (int index : t.partitionIndexes()) {
                DescribeProducersResponse.PartitionResponse r = new DescribeProducersResponse.PartitionResponse()
                    .setPartitionIndex(index);
                results.add(r);
                if (!context.allowed(AclOperation.READ, AclResourceType.TOPIC, t.name())) {
                    r.setErrorCode(ErrorCode.TOPIC_AUTHORIZATION_FAILED.code());
                    continue;
                }
                PartitionLookup.Found found = lookup.find(t.name(), index, -1);
                if (found.error() != ErrorCode.NONE) {
                    r.setErrorCode(found.error().code());
                    continue;
                }
                pending.add(found.partition().producers().thenAccept(entries -> {
                    List<DescribeProducersResponse.ProducerState> states = new ArrayList<>();
                    for (ProducerEntry e : entries) {
                        states.add(new DescribeProducersResponse.ProducerState().setProducerId(e.producerId())
                            .setProducerEpoch(e.epoch()).setLastSequence(e.lastSequence())
                            .setLastTimestamp(e.lastTimestamp()).setCoordinatorEpoch(e.coordinatorEpoch())
                            .setCurrentTxnStartOffset(e.currentTxnFirstOffset()));
                    }
                    r.setActiveProducers(states);
                }));
            }
            topics.add(new DescribeProducersResponse.TopicResponse().setName(t.name()).setPartitions(results));
        }
        DescribeProducersResponse response = new DescribeProducersResponse().setTopics(topics);
        return CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).thenApply(v -> response);
    }

    @Override
    public DescribeProducersResponse errorResponse(DescribeProducersRequest request, ErrorCode error) {
        List<DescribeProducersResponse.TopicResponse> topics = new ArrayList<>();
        for (DescribeProducersRequest.TopicRequest t : request.topics()) {
            List<DescribeProducersResponse.PartitionResponse> results = new ArrayList<>();
            for (int index : t.partitionIndexes()) {
                results.add(new DescribeProducersResponse.PartitionResponse().setPartitionIndex(index)
                    .setErrorCode(error.code()));
            }
            topics.add(new DescribeProducersResponse.TopicResponse().setName(t.name()).setPartitions(results));
        }
        return new DescribeProducersResponse().setTopics(topics);
    }
}
