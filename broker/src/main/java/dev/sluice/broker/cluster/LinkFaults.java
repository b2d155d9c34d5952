package dev.sluice.broker.cluster;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.ratis.util.CodeInjectionForTesting;

/**
 * Cut links between the nodes of in-process clusters, for tests of network partitions
 * ({@code SluiceCluster#cut}). A cut link between nodes A and B drops all that goes between them,
 * both ways: the metadata quorum's traffic (Raft's AppendEntries, RequestVote and InstallSnapshot,
 * refused by the receiving peer through Ratis' injection points), their requests to the active
 * controller (refused by the leader when it reads the sender), the inter-broker requests (replica
 * fetches) one sends the other, and the controller's probes of a suspected broker, which then find
 * no evidence, as a probe that times out. Clients' connections are not affected.
 *
 * <p>JVM-wide, keyed by node id: clusters in one JVM that share node ids share their cut links, so
 * tests that cut links must not run clusters in parallel. No process outside such tests ever cuts
 * a link, and the checks cost one read of an empty set.
 *
 * <p>Thread-safe.
 */
public final class LinkFaults {
    private static final String RATIS_SERVER = "RaftServerImpl";
    private static final Set<Link> CUT = ConcurrentHashMap.newKeySet();
    private static volatile boolean ratisHooked;

    private LinkFaults() {
    }

    /** A link between two nodes; the same link whichever way it is named. */
    private record Link(int low, int high) {
        static Link of(int a, int b) {
            return new Link(Math.min(a, b), Math.max(a, b));
        }
    }

    /** Cuts the link between nodes {@code a} and {@code b}, both ways. */
    public static void cut(int a, int b) {
        if (a == b) {
            throw new IllegalArgumentException("a node has no link to itself: " + a);
        }
        hookRatis();
        CUT.add(Link.of(a, b));
    }

    /** Heals the link between {@code a} and {@code b}. */
    public static void heal(int a, int b) {
        CUT.remove(Link.of(a, b));
    }

    /** Whether the link between {@code a} and {@code b} is cut. */
    public static boolean isCut(int a, int b) {
        return !CUT.isEmpty() && CUT.contains(Link.of(a, b));
    }

    /** Whether the link between two Ratis peers, named by node id, is cut. */
    private static boolean isCut(Object localPeer, Object remotePeer) {
        if (CUT.isEmpty() || localPeer == null || remotePeer == null) {
            return false;
        }
        try {
            return isCut(Integer.parseInt(localPeer.toString()), Integer.parseInt(remotePeer.toString()));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static synchronized void hookRatis() {
        if (ratisHooked) {
            return;
        }
        CodeInjectionForTesting.Code refuse = (local, remote, args) -> {
            if (isCut(local, remote)) {
                throw new IllegalStateException("the link between nodes " + local + " and " + remote + " is cut");
            }
            return false;
        };
        for (String point : new String[] {".appendEntries", ".requestVote", ".installSnapshot"}) {
            CodeInjectionForTesting.put(RATIS_SERVER + point, refuse);
        }
        ratisHooked = true;
    }
}
