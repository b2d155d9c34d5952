package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.metadata.TopicNames;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DeleteTopicsRequest;
import dev.sluice.wire.message.DeleteTopicsResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * DeleteTopics (key 20), v1-6.
 *
 * <p>Topics are named by name (v1-5: {@code topic_names}) or, from v6, by name or id. An unknown
 * name is UNKNOWN_TOPIC_OR_PARTITION, an unknown id UNKNOWN_TOPIC_ID, a v6 entry with both or
 * neither INVALID_REQUEST; with {@code delete.topic.enable=false} every entry is
 * TOPIC_DELETION_DISABLED. An internal topic, named or by id, is INVALID_TOPIC_EXCEPTION: deleting
 * {@code __consumer_offsets} would lose every group's committed offsets (Kafka leaves this to ACLs).
 * A deleted topic's partition data is removed in the background.
 */
public final class DeleteTopicsHandler extends ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> {
    private final MetadataView view;
    private final Controller controller;

    public DeleteTopicsHandler(MetadataView view, Controller controller) {
        super(ApiKey.DELETE_TOPICS, 1, 6);
        this.view = view;
        this.controller = controller;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DeleteTopicsResponse> handle(RequestContext context, DeleteTopicsRequest request) {
        List<String> names = new ArrayList<>();
        List<Uuid> ids = new ArrayList<>();
        List<DeleteTopicsResponse.DeletableTopicResult> invalid = new ArrayList<>();
        List<Integer> positions = new ArrayList<>();
        int position = 0;
        MetadataImage image = view.image();
        if (context.version() < 6) {
            for (String name : request.topicNames()) {
                if (!context.allowed(AclOperation.DELETE, AclResourceType.TOPIC, name)) {
                    invalid.add(unauthorized(name, Uuid.ZERO));
                    position++;
                    continue;
                }
                if (TopicNames.isInternal(name)) {
                    invalid.add(internal(name, Uuid.ZERO));
                    position++;
                    continue;
                }
                names.add(name);
                ids.add(Uuid.ZERO);
                positions.add(position++);
            }
        } else {
            for (DeleteTopicsRequest.DeleteTopicState t : request.topics()) {
                boolean hasName = t.name() != null;
                boolean hasId = !Uuid.ZERO.equals(t.topicId());
                if (hasName == hasId) {
                    invalid.add(new DeleteTopicsResponse.DeletableTopicResult().setName(t.name()).setTopicId(t.topicId())
                        .setErrorCode(ErrorCode.INVALID_REQUEST.code())
                        .setErrorMessage("name a topic by exactly one of name and id"));
                    position++;
                    continue;
                }
                String internalName = hasName ? t.name()
                    : image.topic(t.topicId()).map(TopicImage::name).orElse(null);
                if (internalName != null && !context.allowed(AclOperation.DELETE, AclResourceType.TOPIC, internalName)) {
                    invalid.add(unauthorized(hasName ? internalName : null, t.topicId()));
                    position++;
                    continue;
                }
                if (internalName != null && TopicNames.isInternal(internalName)) {
                    invalid.add(internal(internalName, t.topicId()));
                    position++;
                    continue;
                }
                names.add(hasName ? t.name() : null);
                ids.add(hasName ? Uuid.ZERO : t.topicId());
                positions.add(position++);
            }
        }
        return controller.deleteTopics(names, ids).thenApply(outcomes -> {
            List<DeleteTopicsResponse.DeletableTopicResult> results = new ArrayList<>(invalid);
            for (int i = 0; i < outcomes.size(); i++) {
                Controller.TopicOutcome o = outcomes.get(i);
                DeleteTopicsResponse.DeletableTopicResult r = new DeleteTopicsResponse.DeletableTopicResult()
                    .setErrorCode(o.error().code()).setErrorMessage(o.message());
                if (o.topic() != null) {
                    r.setName(o.topic().name()).setTopicId(o.topic().id());
                    if (o.error() == ErrorCode.NONE) {
                        context.mutated(o.topic().partitions().size());
                    }
                } else {
                    r.setName(names.get(i)).setTopicId(ids.get(i));
                }
                if (r.name() == null && context.version() < 6) {
                    r.setName("");
                }
                results.add(r);
            }
            return new DeleteTopicsResponse().setResponses(results);
        });
    }

    private static DeleteTopicsResponse.DeletableTopicResult unauthorized(String name, Uuid id) {
        return new DeleteTopicsResponse.DeletableTopicResult().setName(name).setTopicId(id)
            .setErrorCode(ErrorCode.TOPIC_AUTHORIZATION_FAILED.code()).setErrorMessage("Authorization failed.");
    }

    private static DeleteTopicsResponse.DeletableTopicResult internal(String name, Uuid id) {
        return new DeleteTopicsResponse.DeletableTopicResult().setName(name).setTopicId(id)
            .setErrorCode(ErrorCode.INVALID_TOPIC_EXCEPTION.code())
            .setErrorMessage(name + " is an internal topic and cannot be deleted");
    }

    @Override
    public DeleteTopicsResponse errorResponse(DeleteTopicsRequest request, ErrorCode error) {
        List<DeleteTopicsResponse.DeletableTopicResult> results = new ArrayList<>();
        for (String name : request.topicNames()) {
            results.add(new DeleteTopicsResponse.DeletableTopicResult().setName(name).setErrorCode(error.code()));
        }
        for (DeleteTopicsRequest.DeleteTopicState t : request.topics()) {
            results.add(new DeleteTopicsResponse.DeletableTopicResult().setName(t.name()).setTopicId(t.topicId())
                .setErrorCode(error.code()));
        }
        return new DeleteTopicsResponse().setResponses(results);
    }
}
