package dev.sluice.broker.handler;

import dev.sluice.broker.config.Listener;
import dev.sluice.broker.coordinator.CoordinatorTopic.Located;
import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.metadata.BrokerDirectory;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.broker.share.ShareCoordinator;
import dev.sluice.broker.txn.TransactionCoordinator;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.FindCoordinatorRequest;
import dev.sluice.wire.message.FindCoordinatorResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * FindCoordinator (key 10), v0-6: one key (v0-3) or a batch of keys (v4+). A group's coordinator
 * is the leader of the group's {@code __consumer_offsets} partition, a transactional id's the
 * leader of its {@code __transaction_state} partition; the first request for each kind creates
 * its topic. A share-partition's key (type 2, {@code group:topicId:partition}, v6+, brokers only:
 * CLUSTER_ACTION) names the leader of its {@code __share_group_state} partition, the share
 * coordinator that keeps its state.
 */
public final class FindCoordinatorHandler extends ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse> {
    private static final byte GROUP = 0;
    private static final byte TRANSACTION = 1;
    private static final byte SHARE = 2;

    private final GroupCoordinator coordinator;
    private final TransactionCoordinator transactions;
    private final ShareCoordinator shares;
    private final BrokerDirectory brokers;

    public FindCoordinatorHandler(GroupCoordinator coordinator, TransactionCoordinator transactions,
                                  ShareCoordinator shares, BrokerDirectory brokers) {
        super(ApiKey.FIND_COORDINATOR, 0, 6);
        this.coordinator = coordinator;
        this.transactions = transactions;
        this.shares = shares;
        this.brokers = brokers;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<FindCoordinatorResponse> handle(RequestContext context, FindCoordinatorRequest request) {
        List<String> keys = context.version() >= 4 ? request.coordinatorKeys() : List.of(request.key());
        List<CompletableFuture<FindCoordinatorResponse.Coordinator>> found = new ArrayList<>();
        for (String key : keys) {
            found.add(locate(context, request.keyType(), key));
        }
        return CompletableFuture.allOf(found.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            List<FindCoordinatorResponse.Coordinator> coordinators = found.stream().map(CompletableFuture::join).toList();
            FindCoordinatorResponse response = new FindCoordinatorResponse();
            if (context.version() >= 4) {
                return response.setCoordinators(coordinators);
            }
            FindCoordinatorResponse.Coordinator c = coordinators.get(0);
            return response.setErrorCode(c.errorCode()).setErrorMessage(c.errorMessage()).setNodeId(c.nodeId())
                .setHost(c.host()).setPort(c.port());
        });
    }

    private CompletableFuture<FindCoordinatorResponse.Coordinator> locate(RequestContext context, byte keyType,
                                                                         String key) {
        CompletableFuture<Located> located;
        if (keyType == TRANSACTION) {
            if (key == null || key.isEmpty()) {
                return CompletableFuture.completedFuture(failed(key, ErrorCode.INVALID_REQUEST,
                    "a transactional id must not be empty"));
            }
            if (!context.allowed(AclOperation.DESCRIBE, AclResourceType.TRANSACTIONAL_ID, key)) {
                return CompletableFuture.completedFuture(failed(key, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                    "Transactional Id authorization failed."));
            }
            located = transactions.locate(key);
        } else if (keyType == GROUP) {
            if (!context.allowed(AclOperation.DESCRIBE, AclResourceType.GROUP, key)) {
                return CompletableFuture.completedFuture(failed(key, ErrorCode.GROUP_AUTHORIZATION_FAILED,
                    "Group authorization failed."));
            }
            located = coordinator.locate(key);
        } else if (keyType == SHARE) {
            String problem = context.version() < 6 ? "share coordinator keys need FindCoordinator v6"
                : shareKeyProblem(key);
            if (problem != null) {
                return CompletableFuture.completedFuture(failed(key, ErrorCode.INVALID_REQUEST, problem));
            }
            if (!context.allowedOnCluster(AclOperation.CLUSTER_ACTION)) {
                return CompletableFuture.completedFuture(failed(key, ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
                    "Cluster authorization failed."));
            }
            located = shares.locate(key);
        } else {
            return CompletableFuture.completedFuture(failed(key, ErrorCode.INVALID_REQUEST,
                "coordinator key type " + keyType + " is not supported"));
        }
        return located.thenApply(where -> {
            if (where.error() != ErrorCode.NONE) {
                return failed(key, where.error(), null);
            }
            BrokerDirectory.Node node = brokers.broker(where.nodeId(), context.listenerName()).orElse(null);
            if (node == null || !brokers.isLive(node.id())) {
                // Fenced, or this broker cut off from the controller: the coordinator is moving.
                return failed(key, ErrorCode.COORDINATOR_NOT_AVAILABLE, node == null ? "no endpoint for this listener"
                    : "the coordinator's broker is not live");
            }
            return new FindCoordinatorResponse.Coordinator().setKey(key).setNodeId(node.id())
                .setHost(node.host()).setPort(node.port());
        });
    }

    /** Null when {@code key} has the form {@code group:topicId:partition}, else what is wrong with it. */
    private static String shareKeyProblem(String key) {
        String[] parts = key == null ? new String[0] : key.split(":");
        if (parts.length != 3 || parts[0].isEmpty()) {
            return "a share coordinator key is group:topicId:partition";
        }
        try {
            Uuid.fromString(parts[1]);
            if (Integer.parseInt(parts[2]) < 0) {
                return "a negative partition in share coordinator key " + key;
            }
        } catch (IllegalArgumentException e) {
            return "malformed share coordinator key " + key;
        }
        return null;
    }

    private static FindCoordinatorResponse.Coordinator failed(String key, ErrorCode error, String message) {
        return new FindCoordinatorResponse.Coordinator().setKey(key).setNodeId(-1).setHost("").setPort(-1)
            .setErrorCode(error.code()).setErrorMessage(message);
    }

    @Override
    public FindCoordinatorResponse errorResponse(FindCoordinatorRequest request, ErrorCode error) {
        List<FindCoordinatorResponse.Coordinator> list = new ArrayList<>();
        for (String key : request.coordinatorKeys()) {
            list.add(failed(key, error, null));
        }
        return new FindCoordinatorResponse().setErrorCode(error.code()).setNodeId(-1).setHost("").setPort(-1)
            .setCoordinators(list);
    }
}
