package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicNames;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.CreatePartitionsRequest;
import dev.sluice.wire.message.CreatePartitionsResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * CreatePartitions (key 37), v0-3.
 *
 * <p>Grows a topic to {@code count} partitions: UNKNOWN_TOPIC_OR_PARTITION for a missing topic,
 * INVALID_PARTITIONS when the count does not grow it, INVALID_REPLICA_ASSIGNMENT for assignments of
 * the wrong number or naming other brokers, INVALID_REQUEST for a topic listed twice,
 * INVALID_TOPIC_EXCEPTION for an internal topic (more partitions of {@code __consumer_offsets}
 * would move groups away from the partitions that hold their offsets; Kafka leaves this to ACLs).
 * A request that would add more than {@link Controller#MAX_PARTITIONS_PER_REQUEST} partitions in
 * all is refused whole with POLICY_VIOLATION, as Kafka's controller refuses an oversized batch; a
 * topic that would take the broker past {@code sluice.max.broker.partitions} gets POLICY_VIOLATION.
 * {@code validate_only} changes nothing.
 */
public final class CreatePartitionsHandler extends ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse> {
    private final MetadataView view;
    private final Controller controller;

    public CreatePartitionsHandler(MetadataView view, Controller controller) {
        super(ApiKey.CREATE_PARTITIONS, 0, 3);
        this.view = view;
        this.controller = controller;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<CreatePartitionsResponse> handle(RequestContext context, CreatePartitionsRequest request) {
        Set<String> seen = new HashSet<>();
        Set<String> duplicates = new HashSet<>();
        for (CreatePartitionsRequest.CreatePartitionsTopic t : request.topics()) {
            if (!seen.add(t.name())) {
                duplicates.add(t.name());
            }
        }
        if (partitionsAdded(request) > Controller.MAX_PARTITIONS_PER_REQUEST) {
            CreatePartitionsResponse refused = errorResponse(request, ErrorCode.POLICY_VIOLATION);
            refused.results().forEach(r -> r.setErrorMessage(Controller.EXCESSIVE_BATCH_MESSAGE));
            return CompletableFuture.completedFuture(refused);
        }
        List<CompletableFuture<CreatePartitionsResponse.CreatePartitionsTopicResult>> results = new ArrayList<>();
        Set<String> answered = new HashSet<>();
        for (CreatePartitionsRequest.CreatePartitionsTopic t : request.topics()) {
            if (!answered.add(t.name())) {
                continue;
            }
            if (duplicates.contains(t.name())) {
                results.add(CompletableFuture.completedFuture(result(t.name(), ErrorCode.INVALID_REQUEST,
                    "topic " + t.name() + " is listed more than once in the request")));
                continue;
            }
            if (!context.allowed(AclOperation.ALTER, AclResourceType.TOPIC, t.name())) {
                results.add(CompletableFuture.completedFuture(result(t.name(), ErrorCode.TOPIC_AUTHORIZATION_FAILED,
                    "Authorization failed.")));
                continue;
            }
            if (TopicNames.isInternal(t.name())) {
                results.add(CompletableFuture.completedFuture(result(t.name(), ErrorCode.INVALID_TOPIC_EXCEPTION,
                    t.name() + " is an internal topic; its partition count cannot change")));
                continue;
            }
            List<List<Integer>> assignments = null;
            if (t.assignments() != null) {
                assignments = new ArrayList<>();
                for (CreatePartitionsRequest.CreatePartitionsAssignment a : t.assignments()) {
                    assignments.add(a.brokerIds());
                }
            }
            int before = view.image().topic(t.name()).map(topic -> topic.partitions().size()).orElse(0);
            results.add(controller.createPartitions(t.name(), t.count(), assignments, request.validateOnly())
                .thenApply(o -> {
                    if (o.error() == ErrorCode.NONE && !request.validateOnly()) {
                        context.mutated(Math.max(0, t.count() - before));
                    }
                    return result(t.name(), o.error(), o.message());
                }));
        }
        return CompletableFuture.allOf(results.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            List<CreatePartitionsResponse.CreatePartitionsTopicResult> list = new ArrayList<>();
            for (CompletableFuture<CreatePartitionsResponse.CreatePartitionsTopicResult> f : results) {
                list.add(f.join());
            }
            return new CreatePartitionsResponse().setResults(list);
        });
    }

    /** Partitions the request would add to the topics as they are now; a long so that no sum overflows. */
    private long partitionsAdded(CreatePartitionsRequest request) {
        MetadataImage image = view.image();
        long added = 0;
        for (CreatePartitionsRequest.CreatePartitionsTopic t : request.topics()) {
            int current = image.topic(t.name()).map(topic -> topic.partitions().size()).orElse(0);
            added += Math.max(0, t.count() - current);
        }
        return added;
    }

    private static CreatePartitionsResponse.CreatePartitionsTopicResult result(String name, ErrorCode error, String message) {
        return new CreatePartitionsResponse.CreatePartitionsTopicResult().setName(name).setErrorCode(error.code())
            .setErrorMessage(message);
    }

    @Override
    public CreatePartitionsResponse errorResponse(CreatePartitionsRequest request, ErrorCode error) {
        List<CreatePartitionsResponse.CreatePartitionsTopicResult> list = new ArrayList<>();
        for (CreatePartitionsRequest.CreatePartitionsTopic t : request.topics()) {
            list.add(result(t.name(), error, null));
        }
        return new CreatePartitionsResponse().setResults(list);
    }
}
