package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Features;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ErrorCode;
import java.util.List;

/**
 * What AddRaftVoter, RemoveRaftVoter and UnregisterController (KIP-853, KIP-1312) decide from,
 * on the active controller: the cluster id, the quorum's fixed voters and its
 * {@code kraft.version}. Sluice's metadata quorum has fixed membership, {@code kraft.version} 0,
 * as a Kafka quorum formatted with {@code controller.quorum.voters}, so its answers are those of
 * such a Kafka quorum: a well-formed request to add or remove a voter is UNSUPPORTED_VERSION, the
 * voters are the registered controllers, and the active one may not unregister itself.
 */
public final class QuorumMembership {
    /** An error and the message that explains it; a null message lets the client print Kafka's text for the code. */
    record Outcome(ErrorCode error, String message) {
        static final Outcome NONE = new Outcome(ErrorCode.NONE, null);
    }

    private final MetadataView view;
    private final int nodeId;
    private final List<Integer> voters;
    private final String defaultListener;

    /**
     * @param voters the ids of {@code controller.quorum.voters}; empty on a single node, whose one
     *               controller is itself
     * @param defaultListener the first of {@code controller.listener.names}
     */
    QuorumMembership(MetadataView view, int nodeId, List<Integer> voters, String defaultListener) {
        this.view = view;
        this.nodeId = nodeId;
        this.voters = voters.isEmpty() ? List.of(nodeId) : List.copyOf(voters);
        this.defaultListener = defaultListener;
    }

    /**
     * The handlers of AddRaftVoter, RemoveRaftVoter and UnregisterController for the controller
     * {@code nodeId} of the quorum of {@code voters}.
     */
    public static List<ApiHandler<?, ?>> handlers(MetadataView view, int nodeId, List<Integer> voters,
                                                  String defaultListener) {
        QuorumMembership quorum = new QuorumMembership(view, nodeId, voters, defaultListener);
        return List.of(new AddRaftVoterHandler(quorum), new RemoveRaftVoterHandler(quorum),
            new UnregisterControllerHandler(quorum));
    }

    String defaultListener() {
        return defaultListener;
    }

    /** INCONSISTENT_CLUSTER_ID for a request naming another cluster; null (the Java Admin's default) names none. */
    Outcome checkClusterId(String clusterId) {
        String ours = view.image().clusterId();
        if (clusterId != null && !clusterId.equals(ours)) {
            return new Outcome(ErrorCode.INCONSISTENT_CLUSTER_ID,
                "The request is for cluster \"" + clusterId + "\", this is cluster \"" + ours + "\"");
        }
        return Outcome.NONE;
    }

    /** INVALID_REQUEST unless the voter has an id and a directory id. */
    static Outcome checkVoter(String change, int voterId, Uuid directoryId) {
        if (voterId < 0 || Uuid.ZERO.equals(directoryId)) {
            return new Outcome(ErrorCode.INVALID_REQUEST, change + " needs a voter id of 0 or more and a directory id");
        }
        return Outcome.NONE;
    }

    /** What a valid request to change the voters comes to on a quorum of fixed membership. */
    Outcome fixedMembership(String change) {
        short level = Features.finalizedLevel(view.image(), Features.KRAFT_VERSION);
        return new Outcome(ErrorCode.UNSUPPORTED_VERSION, "The quorum's voters are fixed (kraft.version is " + level
            + "): " + change + " needs a dynamic quorum (kraft.version 1), which this cluster does not have");
    }

    /** UnregisterController, decided on the active controller. */
    Outcome unregister(int controllerId) {
        MetadataImage image = view.image();
        if (controllerId == nodeId) {
            return new Outcome(ErrorCode.INVALID_REQUEST, "Controller " + controllerId
                + " is the active controller and cannot unregister itself");
        }
        if (Features.finalizedLevel(image, Features.METADATA_VERSION) < UNREGISTER_METADATA_VERSION) {
            return new Outcome(ErrorCode.UNSUPPORTED_VERSION,
                "Unregistering a controller needs metadata.version 4.4-IV2 or later");
        }
        if (!voters.contains(controllerId)) {
            return new Outcome(ErrorCode.CONTROLLER_ID_NOT_REGISTERED, "Controller " + controllerId
                + " is not registered");
        }
        // A voter of a fixed quorum stays one: as a running Kafka controller, it is registered again at once.
        return Outcome.NONE;
    }

    /** metadata.version 4.4-IV2, from which Kafka unregisters controllers. */
    private static final int UNREGISTER_METADATA_VERSION = 33;
}
