package dev.sluice.broker.handler;

import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicNames;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.storage.append.AppendException;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DeleteRecordsRequest;
import dev.sluice.wire.message.DeleteRecordsResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * DeleteRecords (key 21), v0-2: moves each partition's log start offset up to the given offset
 * (-1: the high watermark); whole segments below it are deleted in the background. An offset above
 * the high watermark is OFFSET_OUT_OF_RANGE; one below the current start changes nothing. The
 * answer's low watermark is the log start offset afterwards. Records of internal topics cannot be
 * deleted (INVALID_TOPIC_EXCEPTION, as in Kafka): they hold the groups' committed offsets.
 */
public final class DeleteRecordsHandler extends ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse> {
    private final PartitionLookup lookup;

    public DeleteRecordsHandler(MetadataView view, Partitions partitions) {
        super(ApiKey.DELETE_RECORDS, 0, 2);
        this.lookup = new PartitionLookup(view, partitions);
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DeleteRecordsResponse> handle(RequestContext context, DeleteRecordsRequest request) {
        List<DeleteRecordsResponse.DeleteRecordsTopicResult> topics = new ArrayList<>();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (DeleteRecordsRequest.DeleteRecordsTopic t : request.topics()) {
            List<DeleteRecordsResponse.DeleteRecordsPartitionResult> results = new ArrayList<>();
            for (DeleteRecordsRequest.DeleteRecordsPartition p : t.partitions()) {
                DeleteRecordsResponse.DeleteRecordsPartitionResult r = new DeleteRecordsResponse.DeleteRecordsPartitionResult()
                    .setPartitionIndex(p.partitionIndex()).setLowWatermark(-1);
                results.add(r);
                if (!context.allowed(AclOperation.DELETE, AclResourceType.TOPIC, t.name())) {
                    r.setErrorCode(ErrorCode.TOPIC_AUTHORIZATION_FAILED.code());
                    continue;
                }
                if (TopicNames.isInternal(t.name())) {
                    r.setErrorCode(ErrorCode.INVALID_TOPIC_EXCEPTION.code());
                    continue;
                }
                PartitionLookup.Found found = lookup.find(t.name(), p.partitionIndex(), -1);
                if (found.error() != ErrorCode.NONE) {
                    r.setErrorCode(found.error().code());
                    continue;
                }
                pending.add(found.partition().deleteRecordsBefore(p.offset()).handle((start, failure) -> {
                    if (failure == null) {
                        r.setLowWatermark(start);
                    } else {
                        Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                        r.setErrorCode(cause instanceof AppendException ae ? ae.error().code()
                            : ErrorCode.KAFKA_STORAGE_ERROR.code());
                    }
                    return null;
                }));
            }
            topics.add(new DeleteRecordsResponse.DeleteRecordsTopicResult().setName(t.name()).setPartitions(results));
        }
        DeleteRecordsResponse response = new DeleteRecordsResponse().setTopics(topics);
        return CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).thenApply(v -> response);
    }

    @Override
    public DeleteRecordsResponse errorResponse(DeleteRecordsRequest request, ErrorCode error) {
        List<DeleteRecordsResponse.DeleteRecordsTopicResult> topics = new ArrayList<>();
        for (DeleteRecordsRequest.DeleteRecordsTopic t : request.topics()) {
            List<DeleteRecordsResponse.DeleteRecordsPartitionResult> results = new ArrayList<>();
            for (DeleteRecordsRequest.DeleteRecordsPartition p : t.partitions()) {
                results.add(new DeleteRecordsResponse.DeleteRecordsPartitionResult().setPartitionIndex(p.partitionIndex())
                    .setLowWatermark(-1).setErrorCode(error.code()));
            }
            topics.add(new DeleteRecordsResponse.DeleteRecordsTopicResult().setName(t.name()).setPartitions(results));
        }
        return new DeleteRecordsResponse().setTopics(topics);
    }
}
