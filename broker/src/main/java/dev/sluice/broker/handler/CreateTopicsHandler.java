package dev.sluice.broker.handler;

import dev.sluice.broker.config.ConfigResolver;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.metadata.TopicNames;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.CreateTopicsRequest;
import dev.sluice.wire.message.CreateTopicsResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * CreateTopics (key 19), v2-7.
 *
 * <p>Per topic: INVALID_TOPIC_EXCEPTION for an illegal or colliding name, and for an internal
 * topic's name or one colliding with it (its coordinator creates it), TOPIC_ALREADY_EXISTS,
 * INVALID_PARTITIONS / INVALID_REPLICATION_FACTOR for counts that cannot be (this single broker
 * holds one replica at most), INVALID_REPLICA_ASSIGNMENT for explicit assignments that name other
 * brokers or are inconsistent, INVALID_CONFIG for unknown keys or bad values, and INVALID_REQUEST for
 * a topic listed twice or a null config value. POLICY_VIOLATION for every topic of a request that
 * asks for more than 10,000 partitions in all (Kafka's limit and message), and for a topic that
 * would take the broker past {@code sluice.max.broker.partitions}. {@code validate_only} checks everything and changes
 * nothing. From v5 the result carries the topic's partition count, replication factor and every
 * config in force with its source; from v7 its id.
 *
 * <p>On a cluster the active controller serves a second instance for other brokers' own requests
 * ({@link #forBrokers}): a broker whose group or transaction coordinator needs its internal topic
 * asks the controller to create it, which a client may not.
 */
public final class CreateTopicsHandler extends ApiHandler<CreateTopicsRequest, CreateTopicsResponse> {
    private final MetadataView view;
    private final Controller controller;
    private final ConfigResolver resolver;
    private final boolean internalTopicsAllowed;

    /** Serves clients, who may not create internal topics. */
    public CreateTopicsHandler(MetadataView view, Controller controller, ConfigResolver resolver) {
        this(view, controller, resolver, false);
    }

    private CreateTopicsHandler(MetadataView view, Controller controller, ConfigResolver resolver,
                                boolean internalTopicsAllowed) {
        super(ApiKey.CREATE_TOPICS, 2, 7);
        this.view = view;
        this.controller = controller;
        this.resolver = resolver;
        this.internalTopicsAllowed = internalTopicsAllowed;
    }

    /**
     * Serves the brokers of a cluster on the active controller: their coordinators create the
     * internal topics they need through it ({@code __consumer_offsets} with the configs it must have).
     */
    public static CreateTopicsHandler forBrokers(MetadataView view, Controller controller, ConfigResolver resolver) {
        return new CreateTopicsHandler(view, controller, resolver, true);
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<CreateTopicsResponse> handle(RequestContext context, CreateTopicsRequest request) {
        Set<String> seen = new HashSet<>();
        Set<String> duplicates = new HashSet<>();
        for (CreateTopicsRequest.CreatableTopic t : request.topics()) {
            if (!seen.add(t.name())) {
                duplicates.add(t.name());
            }
        }
        Map<String, CreateTopicsResponse.CreatableTopicResult> early = new HashMap<>();
        List<Controller.NewTopic> toCreate = new ArrayList<>();
        MetadataImage before = view.image();
        boolean mayCreateAny = context.allowedOnCluster(AclOperation.CREATE);
        for (CreateTopicsRequest.CreatableTopic t : request.topics()) {
            if (duplicates.contains(t.name())) {
                early.put(t.name(), failed(t.name(), ErrorCode.INVALID_REQUEST,
                    "topic " + t.name() + " is listed more than once in the request"));
                continue;
            }
            if (!mayCreateAny && !context.allowed(AclOperation.CREATE, AclResourceType.TOPIC, t.name())) {
                early.put(t.name(), failed(t.name(), ErrorCode.TOPIC_AUTHORIZATION_FAILED, "Authorization failed."));
                continue;
            }
            String reserved = internalTopicsAllowed && TopicNames.isInternal(t.name()) ? null
                : TopicNames.reservedProblem(t.name());
            if (reserved != null && before.topic(t.name()).isEmpty()) {
                early.put(t.name(), failed(t.name(), ErrorCode.INVALID_TOPIC_EXCEPTION, reserved));
                continue;
            }
            Map<String, String> configs = new LinkedHashMap<>();
            boolean nullValue = false;
            for (CreateTopicsRequest.CreatableTopicConfig c : t.configs()) {
                nullValue |= c.value() == null;
                configs.put(c.name(), c.value());
            }
            if (nullValue) {
                early.put(t.name(), failed(t.name(), ErrorCode.INVALID_REQUEST, "null config values are not allowed"));
                continue;
            }
            Map<Integer, List<Integer>> assignments = new LinkedHashMap<>();
            for (CreateTopicsRequest.CreatableReplicaAssignment a : t.assignments()) {
                assignments.put(a.partitionIndex(), a.brokerIds());
            }
            toCreate.add(new Controller.NewTopic(t.name(), t.numPartitions(), t.replicationFactor(), assignments, configs));
        }
        return controller.createTopics(toCreate, request.validateOnly()).thenApply(outcomes -> {
            Map<String, Controller.TopicOutcome> byName = new HashMap<>();
            for (Controller.TopicOutcome o : outcomes) {
                byName.put(o.name(), o);
            }
            MetadataImage image = view.image();
            List<CreateTopicsResponse.CreatableTopicResult> results = new ArrayList<>();
            Set<String> answered = new HashSet<>();
            for (CreateTopicsRequest.CreatableTopic t : request.topics()) {
                if (!answered.add(t.name())) {
                    continue;
                }
                CreateTopicsResponse.CreatableTopicResult result = early.get(t.name());
                if (result == null) {
                    Controller.TopicOutcome o = byName.get(t.name());
                    result = o.error() == ErrorCode.NONE ? created(o.topic(), image)
                        : failed(t.name(), o.error(), o.message());
                    if (o.error() == ErrorCode.NONE && !request.validateOnly()) {
                        context.mutated(o.topic().partitions().size());
                    }
                }
                results.add(result);
            }
            return new CreateTopicsResponse().setTopics(results);
        });
    }

    private CreateTopicsResponse.CreatableTopicResult created(TopicImage topic, MetadataImage image) {
        List<CreateTopicsResponse.CreatableTopicConfigs> configs = new ArrayList<>();
        String node = Integer.toString(controller.nodeId());
        for (ConfigResolver.Resolution r : resolver.allTopic(topic.configs(), image.brokerConfigs(node),
                image.brokerConfigs(""))) {
            configs.add(new CreateTopicsResponse.CreatableTopicConfigs().setName(r.name())
                .setValue(r.value()).setReadOnly(false)
                .setConfigSource(r.source().wireId()).setIsSensitive(false));
        }
        return new CreateTopicsResponse.CreatableTopicResult().setName(topic.name()).setTopicId(topic.id())
            .setNumPartitions(topic.partitions().size())
            .setReplicationFactor((short) topic.partitions().get(0).replicas().size())
            .setConfigs(configs);
    }

    private static CreateTopicsResponse.CreatableTopicResult failed(String name, ErrorCode error, String message) {
        return new CreateTopicsResponse.CreatableTopicResult().setName(name).setErrorCode(error.code())
            .setErrorMessage(message);
    }

    @Override
    public CreateTopicsResponse errorResponse(CreateTopicsRequest request, ErrorCode error) {
        List<CreateTopicsResponse.CreatableTopicResult> results = new ArrayList<>();
        Set<String> answered = new HashSet<>();
        for (CreateTopicsRequest.CreatableTopic t : request.topics()) {
            if (answered.add(t.name())) {
                results.add(failed(t.name(), error, null));
            }
        }
        return new CreateTopicsResponse().setTopics(results);
    }
}
