package dev.sluice.broker.metadata;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * The brokers clients are told of, at the address each advertises for the listener a client came
 * in on. A single node knows only itself; a cluster node knows the brokers registered in the
 * metadata, and tells clients of the unfenced ones, as Kafka does (a fenced broker may be dead).
 * Thread-safe: reads the current image.
 */
public final class BrokerDirectory {
    /** A broker as a client sees it. */
    public record Node(int id, String host, int port, String rack, boolean fenced) {
    }

    private final BrokerIdentity self;
    private final MetadataView view;
    private final boolean cluster;
    private final IntSupplier activeController;
    private final BooleanSupplier selfServes;

    private BrokerDirectory(BrokerIdentity self, MetadataView view, boolean cluster, IntSupplier activeController,
                            BooleanSupplier selfServes) {
        this.self = self;
        this.view = view;
        this.cluster = cluster;
        this.activeController = activeController;
        this.selfServes = selfServes;
    }

    /** A single node: itself, always, as the controller too. */
    public static BrokerDirectory singleNode(BrokerIdentity self, MetadataView view) {
        return new BrokerDirectory(self, view, false, self::nodeId, () -> true);
    }

    /**
     * A cluster node: the registered brokers; {@code activeController} gives the quorum's leader or
     * -1. This broker counts as live only while {@code selfServes} too: one cut off from the
     * controller, whose image may still say it is unfenced, leaves itself out so that clients ask
     * the others (see {@code Partitions#servesClients}).
     */
    public static BrokerDirectory cluster(BrokerIdentity self, MetadataView view, IntSupplier activeController,
                                          BooleanSupplier selfServes) {
        return new BrokerDirectory(self, view, true, activeController, selfServes);
    }

    public int selfId() {
        return self.nodeId();
    }

    /**
     * The node id clients are given as the controller: the active controller when it is also a
     * live broker; else, as Kafka's brokers do in KRaft (clients never reach a controller-only
     * node), a live broker that forwards controller requests: this one if it is live, else the
     * lowest. While the quorum has no leader (an election, or this node cut off from it) it is
     * the same fallback, so an Admin client is never left without a node to send to: the request
     * is forwarded, and answered with a retriable error if no controller can take it.
     */
    public int controllerId() {
        int leader = activeController.getAsInt();
        if (!cluster || (leader >= 0 && isLive(leader))) {
            return leader;
        }
        if (isLive(self.nodeId())) {
            return self.nodeId();
        }
        return view.image().brokers().values().stream().filter(this::live).mapToInt(BrokerRegistration::id)
            .min().orElse(-1);
    }

    /** The unfenced brokers with an endpoint on {@code listener}, by id. */
    public List<Node> live(String listener) {
        return brokers(listener, false);
    }

    /** Every registered broker with an endpoint on {@code listener}, fenced ones included, by id. */
    public List<Node> all(String listener) {
        return brokers(listener, true);
    }

    /** Broker {@code id} on {@code listener}, if it is registered (fenced or not) and has that endpoint. */
    public Optional<Node> broker(int id, String listener) {
        if (!cluster) {
            return id == self.nodeId() ? selfNode(listener) : Optional.empty();
        }
        return view.image().broker(id).flatMap(b -> node(b, listener));
    }

    /** Whether broker {@code id} is registered and unfenced (a single node: whether it is this one). */
    public boolean isLive(int id) {
        if (!cluster) {
            return id == self.nodeId();
        }
        return view.image().broker(id).map(this::live).orElse(false);
    }

    private boolean live(BrokerRegistration b) {
        return !b.fenced() && (b.id() != self.nodeId() || selfServes.getAsBoolean());
    }

    private List<Node> brokers(String listener, boolean withFenced) {
        if (!cluster) {
            return selfNode(listener).map(List::of).orElse(List.of());
        }
        List<Node> nodes = new ArrayList<>();
        for (BrokerRegistration b : view.image().brokers().values()) {
            if (withFenced || live(b)) {
                node(b, listener).ifPresent(nodes::add);
            }
        }
        return nodes;
    }

    private Optional<Node> selfNode(String listener) {
        return self.endpoint(listener).map(e -> new Node(self.nodeId(), BrokerIdentity.reachableHost(e), e.port(),
            self.rack(), false));
    }

    private static Optional<Node> node(BrokerRegistration b, String listener) {
        return b.endpoint(listener).map(e -> new Node(b.id(), BrokerIdentity.reachableHost(e.host()), e.port(),
            b.rack().orElse(null), b.fenced()));
    }
}
