package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.Features;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicNames;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.StreamsGroupHeartbeatRequest;
import dev.sluice.wire.message.StreamsGroupHeartbeatResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * StreamsGroupHeartbeat (key 88), v0-1 (KIP-1071): Kafka Streams with {@code group.protocol=streams}.
 * Its threads join with the application's topology and heartbeat the tasks they own; the
 * coordinator checks the topology against the metadata, assigns the tasks and moves them between
 * members (see {@code StreamsGroup}). The internal topics the topology needs and the cluster lacks
 * are created here once the coordinator has answered, with the client's rights (CREATE on the
 * cluster or on each topic), and reported missing until they exist, as Kafka does. Checks in
 * Kafka's order: the {@code streams.version} feature and {@code group.coordinator.rebalance.protocols}
 * (UNSUPPORTED_VERSION in the response), READ on the group, the topology's topic names
 * (STREAMS_INVALID_TOPOLOGY for Kafka's internal topics and invalid names), DESCRIBE on each.
 *
 * <p>Not served: standby and warm-up tasks, source topic patterns and topology changes
 * (INVALID_REQUEST, as in Kafka 4.4).
 */
public final class StreamsGroupHeartbeatHandler
        extends ApiHandler<StreamsGroupHeartbeatRequest, StreamsGroupHeartbeatResponse> {
    private static final Logger log = LoggerFactory.getLogger(StreamsGroupHeartbeatHandler.class);
    private final GroupCoordinator coordinator;
    private final MetadataView view;
    private final Controller controller;
    /** Internal topics with a creation in flight, so that every heartbeat meanwhile does not ask again. */
    private final Set<String> creating = ConcurrentHashMap.newKeySet();

    public StreamsGroupHeartbeatHandler(GroupCoordinator coordinator, MetadataView view, Controller controller) {
        super(ApiKey.STREAMS_GROUP_HEARTBEAT, 0, 1);
        this.coordinator = coordinator;
        this.view = view;
        this.controller = controller;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    /** Whether streams groups are served: {@code streams.version} at 1 and the protocol listed. */
    static boolean served(GroupCoordinator coordinator, MetadataView view) {
        return coordinator.config().streams().enabled()
            && Features.finalizedLevel(view.image(), Features.STREAMS_VERSION) >= 1;
    }

    @Override
    public CompletableFuture<StreamsGroupHeartbeatResponse> handle(RequestContext context,
                                                                  StreamsGroupHeartbeatRequest request) {
        if (!served(coordinator, view)) {
            return done(error(ErrorCode.UNSUPPORTED_VERSION, "streams groups are off in this cluster"));
        }
        if (!context.allowed(AclOperation.READ, AclResourceType.GROUP, request.groupId())) {
            return done(error(ErrorCode.GROUP_AUTHORIZATION_FAILED, null));
        }
        if (request.topology() != null) {
            Set<String> topics = new TreeSet<>();
            for (StreamsGroupHeartbeatRequest.Subtopology s : request.topology().subtopologies()) {
                topics.addAll(s.sourceTopics());
                topics.addAll(s.repartitionSinkTopics());
                s.repartitionSourceTopics().forEach(t -> topics.add(t.name()));
                s.stateChangelogTopics().forEach(t -> topics.add(t.name()));
            }
            List<String> internal = topics.stream().filter(TopicNames::isInternal).toList();
            if (!internal.isEmpty()) {
                return done(error(ErrorCode.STREAMS_INVALID_TOPOLOGY, "Use of Kafka internal topics " + internal
                    + " in a Kafka Streams topology is prohibited."));
            }
            List<String> invalid = topics.stream().filter(t -> TopicNames.problem(t) != null).toList();
            if (!invalid.isEmpty()) {
                return done(error(ErrorCode.STREAMS_INVALID_TOPOLOGY, "Topic names " + invalid
                    + " are not valid topic names."));
            }
            for (String topic : topics) {
                if (!context.allowed(AclOperation.DESCRIBE, AclResourceType.TOPIC, topic)) {
                    return done(error(ErrorCode.TOPIC_AUTHORIZATION_FAILED, "not authorized to describe topic " + topic));
                }
            }
        }
        return coordinator.streamsGroupHeartbeat(request, context.clientId(), context.clientHost()).thenApply(result -> {
            StreamsGroupHeartbeatResponse response = result.getKey();
            List<Controller.NewTopic> wanted = result.getValue();
            if (response.errorCode() == ErrorCode.NONE.code() && !wanted.isEmpty()) {
                create(context, wanted, response);
            }
            return response;
        });
    }

    /** Creates the missing internal topics the client may create; the others are named in the status. */
    private void create(RequestContext context, List<Controller.NewTopic> wanted, StreamsGroupHeartbeatResponse response) {
        boolean onCluster = context.allowedOnCluster(AclOperation.CREATE);
        List<Controller.NewTopic> allowed = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (Controller.NewTopic t : wanted) {
            if (onCluster || context.allowed(AclOperation.CREATE, AclResourceType.TOPIC, t.name())) {
                if (creating.add(t.name())) {
                    allowed.add(t);
                }
            } else {
                refused.add(t.name());
            }
        }
        if (!refused.isEmpty() && response.status() != null) {
            response.status().stream().filter(s -> s.statusCode() == 3).findFirst().ifPresent(s ->
                s.setStatusDetail(s.statusDetail() + "; Unauthorized to CREATE on topics " + String.join(", ", refused) + "."));
        }
        if (allowed.isEmpty()) {
            return;
        }
        controller.createTopics(allowed, false).whenComplete((outcomes, failure) -> {
            allowed.forEach(t -> creating.remove(t.name()));
            if (failure != null) {
                log.warn("Cannot create the internal topics {} of a streams group: {}",
                    allowed.stream().map(Controller.NewTopic::name).toList(), failure.toString());
                return;
            }
            for (Controller.TopicOutcome o : outcomes) {
                if (o.error() == ErrorCode.NONE) {
                    log.info("Created internal topic {} of a streams group", o.name());
                } else if (o.error() != ErrorCode.TOPIC_ALREADY_EXISTS) {
                    log.warn("Cannot create internal topic {} of a streams group: {} {}", o.name(), o.error(), o.message());
                }
            }
        });
    }

    private static StreamsGroupHeartbeatResponse error(ErrorCode error, String message) {
        return new StreamsGroupHeartbeatResponse().setErrorCode(error.code()).setErrorMessage(message).setMemberEpoch(-1);
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    @Override
    public StreamsGroupHeartbeatResponse errorResponse(StreamsGroupHeartbeatRequest request, ErrorCode error) {
        return error(error, null);
    }
}
