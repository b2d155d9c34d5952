package dev.sluice.broker.handler;

import dev.sluice.broker.config.Listener;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.BrokerDirectory;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.PartitionImage;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.metadata.TopicNames;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.MetadataRequest;
import dev.sluice.wire.message.MetadataResponse;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Metadata (key 3), v0-13.
 *
 * <p>Lists this broker at the address advertised for the listener the client came in on, and the
 * requested topics (all of them for a null list, or from v0 an empty one). A missing topic is
 * created with the broker defaults when {@code auto.create.topics.enable} is on, the request
 * allows it (v4+) and the name is legal; the new topic is returned at once, with its leader, or
 * LEADER_NOT_AVAILABLE when the controller has not created it within {@link #AUTO_CREATE_WAIT_MS}.
 * Topics may be named by id from v10 (UNKNOWN_TOPIC_ID when there is none). Authorized operations
 * are reported when asked for; with no authorizer, every operation is allowed.
 */
public final class MetadataHandler extends ApiHandler<MetadataRequest, MetadataResponse> {
    /**
     * How long a request waits for the topics it asked to create. Creating a topic takes
     * milliseconds, so the answer normally names the new topic with its leader; when the controller
     * is busy with a larger change, the topic is answered LEADER_NOT_AVAILABLE (what Kafka answers
     * while it creates a topic, and clients retry on) and its creation goes on.
     */
    static final long AUTO_CREATE_WAIT_MS = 1_000;

    private final MetadataView view;
    private final Controller controller;
    private final BrokerDirectory brokers;
    private final Partitions partitions;
    private final boolean autoCreate;

    public MetadataHandler(MetadataView view, Controller controller, BrokerDirectory brokers, Partitions partitions,
                           boolean autoCreateTopicsEnable) {
        super(ApiKey.METADATA, 0, 13);
        this.view = view;
        this.partitions = partitions;
        this.controller = controller;
        this.brokers = brokers;
        this.autoCreate = autoCreateTopicsEnable;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<MetadataResponse> handle(RequestContext context, MetadataRequest request) {
        MetadataImage image = view.image();
        short version = context.version();
        boolean allTopics = request.topics() == null || (version == 0 && request.topics().isEmpty());
        if (!allTopics && version < 12 && request.topics().stream().anyMatch(t -> !Uuid.ZERO.equals(t.topicId()))) {
            // Topics may be named only by id from v12 on; earlier versions cannot even encode the answer.
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_REQUEST));
        }
        boolean includeTopicOps = request.includeTopicAuthorizedOperations();
        ReportedPartitions reported = new ReportedPartitions(brokers, partitions);

        List<MetadataResponse.MetadataResponseTopic> results = new ArrayList<>();
        Set<String> toCreate = new LinkedHashSet<>();
        if (allTopics) {
            // Topics the principal may not describe are left out, as if they did not exist.
            for (TopicImage topic : image.topics()) {
                if (context.allowed(AclOperation.DESCRIBE, AclResourceType.TOPIC, topic.name())) {
                    results.add(describe(context, topic, includeTopicOps, reported));
                }
            }
        } else {
            boolean mayCreate = autoCreate && request.allowAutoTopicCreation();
            for (MetadataRequest.MetadataRequestTopic wanted : request.topics()) {
                // A topic id wins: clients asking by id leave the name empty or null.
                if (!Uuid.ZERO.equals(wanted.topicId())) {
                    Uuid id = wanted.topicId();
                    TopicImage byId = image.topic(id).orElse(null);
                    if (byId != null && !context.allowed(AclOperation.DESCRIBE, AclResourceType.TOPIC, byId.name())) {
                        results.add(new MetadataResponse.MetadataResponseTopic().setTopicId(id).setName(null)
                            .setErrorCode(ErrorCode.TOPIC_AUTHORIZATION_FAILED.code()));
                        continue;
                    }
                    results.add(byId != null ? describe(context, byId, includeTopicOps, reported)
                        : new MetadataResponse.MetadataResponseTopic().setTopicId(id).setName(null)
                            .setErrorCode(ErrorCode.UNKNOWN_TOPIC_ID.code()));
                    continue;
                }
                String name = wanted.name();
                if (name == null) {
                    results.add(error("", ErrorCode.INVALID_REQUEST));
                    continue;
                }
                TopicImage topic = image.topic(name).orElse(null);
                if (!context.allowed(AclOperation.DESCRIBE, AclResourceType.TOPIC, name)) {
                    results.add(error(name, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
                } else if (topic != null) {
                    results.add(describe(context, topic, includeTopicOps, reported));
                } else if (TopicNames.problem(name) != null) {
                    results.add(error(name, ErrorCode.INVALID_TOPIC_EXCEPTION));
                } else if (TopicNames.isInternal(name)) {
                    // Created by its coordinator (FindCoordinator), never with a plain topic's configs.
                    results.add(error(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
                } else if (TopicNames.reservedProblem(name) != null) {
                    results.add(error(name, ErrorCode.INVALID_TOPIC_EXCEPTION));
                } else if (mayCreate && !context.allowedOnCluster(AclOperation.CREATE)
                        && !context.allowed(AclOperation.CREATE, AclResourceType.TOPIC, name)) {
                    results.add(error(name, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
                } else if (mayCreate) {
                    toCreate.add(name);
                    results.add(null);
                } else {
                    results.add(error(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
                }
            }
        }
        if (toCreate.isEmpty()) {
            return CompletableFuture.completedFuture(response(context, image, results, request));
        }
        List<Controller.NewTopic> newTopics = new ArrayList<>();
        for (String name : toCreate) {
            newTopics.add(new Controller.NewTopic(name, -1, (short) -1, Map.of(), Map.of()));
        }
        // The controller runs one change at a time; behind a large one this request would wait with
        // it, and every answer pipelined after it on the connection too. Past the wait, the topics
        // not yet created are answered as Kafka answers them while it creates them.
        CompletableFuture<List<Controller.TopicOutcome>> created = controller.createTopics(newTopics, false).copy()
            .completeOnTimeout(List.of(), AUTO_CREATE_WAIT_MS, TimeUnit.MILLISECONDS);
        return created.thenApply(outcomes -> {
            MetadataImage after = view.image();
            List<MetadataResponse.MetadataResponseTopic> filled = new ArrayList<>();
            int i = 0;
            for (MetadataResponse.MetadataResponseTopic t : results) {
                if (t != null) {
                    filled.add(t);
                    continue;
                }
                while (!Uuid.ZERO.equals(request.topics().get(i).topicId())
                    || !toCreate.contains(request.topics().get(i).name())) {
                    i++;
                }
                String name = request.topics().get(i++).name();
                filled.add(after.topic(name).map(topic -> describe(context, topic, includeTopicOps, reported))
                    .orElseGet(() -> error(name, outcomes.stream().filter(o -> o.name().equals(name))
                        .map(o -> o.error() == ErrorCode.TOPIC_ALREADY_EXISTS ? ErrorCode.LEADER_NOT_AVAILABLE : o.error())
                        .findFirst().orElse(outcomes.isEmpty() ? ErrorCode.LEADER_NOT_AVAILABLE
                            : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))));
            }
            return response(context, after, filled, request);
        });
    }

    private MetadataResponse response(RequestContext context, MetadataImage image,
                                      List<MetadataResponse.MetadataResponseTopic> topics, MetadataRequest request) {
        List<MetadataResponse.MetadataResponseBroker> live = new ArrayList<>();
        for (BrokerDirectory.Node node : brokers.live(context.listenerName())) {
            live.add(new MetadataResponse.MetadataResponseBroker().setNodeId(node.id()).setHost(node.host())
                .setPort(node.port()).setRack(node.rack()));
        }
        return new MetadataResponse()
            .setBrokers(live)
            .setClusterId(image.clusterId())
            .setControllerId(brokers.controllerId())
            .setTopics(topics)
            .setClusterAuthorizedOperations(AuthorizedOperations.cluster(context, request.includeClusterAuthorizedOperations()));
    }

    private static MetadataResponse.MetadataResponseTopic describe(RequestContext context, TopicImage topic,
                                                                   boolean includeOps,
                                                                   ReportedPartitions reported) {
        List<MetadataResponse.MetadataResponsePartition> partitions = new ArrayList<>();
        for (PartitionImage p : topic.partitions()) {
            int leader = reported.leader(topic.name(), p);
            partitions.add(new MetadataResponse.MetadataResponsePartition()
                .setPartitionIndex(p.partition())
                .setErrorCode(ReportedPartitions.error(p, leader))
                .setLeaderId(leader)
                .setLeaderEpoch(p.leaderEpoch())
                .setReplicaNodes(new ArrayList<>(p.replicas()))
                .setIsrNodes(new ArrayList<>(p.isr()))
                .setOfflineReplicas(reported.offline(p)));
        }
        return new MetadataResponse.MetadataResponseTopic()
            .setName(topic.name())
            .setTopicId(topic.id())
            .setIsInternal(topic.isInternal())
            .setPartitions(partitions)
            .setTopicAuthorizedOperations(AuthorizedOperations.topic(context, topic.name(), includeOps));
    }

    private static MetadataResponse.MetadataResponseTopic error(String name, ErrorCode error) {
        return new MetadataResponse.MetadataResponseTopic().setName(name).setErrorCode(error.code());
    }

    @Override
    public MetadataResponse errorResponse(MetadataRequest request, ErrorCode error) {
        List<MetadataResponse.MetadataResponseTopic> topics = new ArrayList<>();
        if (request.topics() != null) {
            for (MetadataRequest.MetadataRequestTopic t : request.topics()) {
                topics.add(new MetadataResponse.MetadataResponseTopic().setName(t.name() == null ? "" : t.name())
                    .setTopicId(t.topicId())
                    .setErrorCode(error.code()));
            }
        }
        return new MetadataResponse().setTopics(topics).setErrorCode(error.code());
    }
}
