package dev.sluice.compat;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A network of Linux network namespaces, one per cluster node, so that the links between nodes
 * can be cut as a real network fails. Each namespace has {@code lo} and an {@code eth0} with the
 * address {@code 10.213.S.N/24} (N the node id), the other end of which is attached to a bridge in
 * the test's own namespace that holds {@code 10.213.S.254}: the test reaches every node directly,
 * and nodes reach each other through the bridge. Nodes are started in their namespace through
 * {@link #launcher} ({@code ip netns exec}, which execs the command itself, so the process a test
 * holds is the broker).
 *
 * <p>{@link #isolate} cuts a node off from its peers and leaves it reachable from the test: with
 * {@code tc}, packets from the node to its peers' addresses are classified, on the node's
 * {@code eth0}, into a class whose queue holds nothing (a {@code pfifo} of limit 0, which drops
 * every packet offered), and so are packets from the peers on their way into the node (on its
 * veth end at the bridge). Nothing is refused or reset: connects and requests between them time
 * out, as with a partitioned network. Only what most kernels build in is needed (HTB, pfifo and
 * the u32 classifier; no netem, no drop action, no iptables). {@link #heal} deletes those queues.
 *
 * <p>Names carry a random part ({@code sluice-ns-<hex>-N}, bridge {@code slb<hex>}) and the
 * subnet is one no interface here uses yet, so that runs side by side or left over from a killed
 * run do not clash. {@link #close} removes the namespaces, veths and bridge; stop the processes
 * inside first. Not thread-safe: driven by the test's thread.
 */
final class NamespaceNetwork implements ProcessCluster.Placement, AutoCloseable {
    private final String tag;
    private final int subnet;
    private final int size;
    private final List<String> created = new ArrayList<>();

    private NamespaceNetwork(String tag, int subnet, int size) {
        this.tag = tag;
        this.subnet = subnet;
        this.size = size;
    }

    /**
     * Builds a network of {@code size} namespaces, or skips the calling test (a JUnit assumption)
     * where this process may not create namespaces (not root) or {@code ip}/{@code tc} are missing.
     */
    static NamespaceNetwork create(int size) throws IOException, InterruptedException {
        assumeTrue(succeeds("ip", "netns", "list") && succeeds("tc", "-V"),
            "network fault tests need iproute2's ip (with netns) and tc");
        String tag = String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
        NamespaceNetwork network = new NamespaceNetwork(tag, freeSubnet(), size);
        try {
            network.build();
        } catch (RuntimeException | IOException | InterruptedException e) {
            network.close();
            throw e;
        }
        return network;
    }

    private void build() throws IOException, InterruptedException {
        String probe = namespace(1);
        Result added = exec("ip", "netns", "add", probe);
        if (!added.ok()) {
            assumeTrue(false, "network fault tests need to create network namespaces (root): " + added.output());
        }
        created.add("ns " + probe);
        String bridge = "slb" + tag;
        run("ip", "link", "add", bridge, "type", "bridge");
        created.add("link " + bridge);
        run("ip", "addr", "add", address(254) + "/24", "dev", bridge);
        run("ip", "link", "set", bridge, "up");
        for (int id = 1; id <= size; id++) {
            String ns = namespace(id);
            if (id > 1) {
                run("ip", "netns", "add", ns);
                created.add("ns " + ns);
            }
            run("ip", "link", "add", hostEnd(id), "type", "veth", "peer", "name", "eth0", "netns", ns);
            created.add("link " + hostEnd(id));
            run("ip", "link", "set", hostEnd(id), "master", bridge, "up");
            run("ip", "-n", ns, "addr", "add", address(id) + "/24", "dev", "eth0");
            run("ip", "-n", ns, "link", "set", "eth0", "up");
            run("ip", "-n", ns, "link", "set", "lo", "up");
        }
    }

    /** A {@code 10.213.S.0/24} that no interface here has an address in. */
    private static int freeSubnet() throws IOException, InterruptedException {
        String addresses = run("ip", "-o", "-4", "addr", "show");
        for (int attempt = 0; attempt < 100; attempt++) {
            int s = ThreadLocalRandom.current().nextInt(1, 255);
            if (!addresses.contains(" 10.213." + s + ".")) {
                return s;
            }
        }
        throw new IllegalStateException("no free 10.213.x.0/24 subnet:\n" + addresses);
    }

    int size() {
        return size;
    }

    private String namespace(int id) {
        return "sluice-ns-" + tag + "-" + id;
    }

    /** The bridge's end of node {@code id}'s veth (at most 15 characters, as Linux allows). */
    private String hostEnd(int id) {
        return "slv" + tag + "n" + id;
    }

    private String address(int id) {
        return "10.213." + subnet + "." + id;
    }

    @Override
    public String host(int id) {
        return address(id);
    }

    @Override
    public List<String> launcher(int id) {
        return List.of("ip", "netns", "exec", namespace(id));
    }

    /** Drops every packet between node {@code id} and the other nodes, both ways; the test still reaches it. */
    void isolate(int id) throws IOException, InterruptedException {
        List<String> peers = new ArrayList<>();
        for (int other = 1; other <= size; other++) {
            if (other != id) {
                peers.add(address(other));
            }
        }
        dropTo(List.of("ip", "netns", "exec", namespace(id)), "eth0", "dst", peers);
        dropTo(List.of(), hostEnd(id), "src", peers);
    }

    /**
     * On {@code device} (its egress), sends every IPv4 packet whose {@code field} (src or dst) is one
     * of {@code addresses} to an HTB class whose only queue holds nothing; other packets leave
     * unclassified, which HTB sends on directly.
     */
    private static void dropTo(List<String> prefix, String device, String field, List<String> addresses)
            throws IOException, InterruptedException {
        run(prefix, "tc", "qdisc", "add", "dev", device, "root", "handle", "1:", "htb");
        run(prefix, "tc", "class", "add", "dev", device, "parent", "1:", "classid", "1:1", "htb", "rate", "1mbit");
        run(prefix, "tc", "qdisc", "add", "dev", device, "parent", "1:1", "handle", "10:", "pfifo", "limit", "0");
        for (String address : addresses) {
            run(prefix, "tc", "filter", "add", "dev", device, "parent", "1:", "protocol", "ip", "prio", "1", "u32",
                "match", "ip", field, address + "/32", "flowid", "1:1");
        }
    }

    /** Undoes {@link #isolate}: node {@code id} and its peers reach each other again. */
    void heal(int id) throws IOException, InterruptedException {
        run(List.of("ip", "netns", "exec", namespace(id)), "tc", "qdisc", "del", "dev", "eth0", "root");
        run(List.of(), "tc", "qdisc", "del", "dev", hostEnd(id), "root");
    }

    /**
     * Deletes the veths, the namespaces and the bridge, in reverse order of creation; what is
     * already gone is skipped. The veths go explicitly: a deleted namespace takes its end of a veth
     * (and so the pair) with it only when the kernel gets round to destroying it, seconds later.
     * Processes still running in a namespace keep it alive without a name, so stop them first.
     */
    @Override
    public void close() {
        for (int i = created.size() - 1; i >= 0; i--) {
            String[] what = created.get(i).split(" ");
            try {
                if (what[0].equals("ns")) {
                    exec("ip", "netns", "del", what[1]);
                } else {
                    exec("ip", "link", "del", what[1]);
                }
            } catch (IOException e) {
                // Nothing more can be done here; the name's random part keeps a later run clear of it.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        created.clear();
    }

    private record Result(int exit, String output) {
        boolean ok() {
            return exit == 0;
        }
    }

    private static boolean succeeds(String... command) throws InterruptedException {
        try {
            return exec(command).ok();
        } catch (IOException e) {
            return false;
        }
    }

    private static String run(String... command) throws IOException, InterruptedException {
        return run(List.of(), command);
    }

    /** Runs {@code prefix} + {@code command}, failing with its output unless it exits with 0. */
    private static String run(List<String> prefix, String... command) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(List.of(command));
        Result r = exec(all.toArray(new String[0]));
        if (!r.ok()) {
            throw new IllegalStateException(String.join(" ", all) + " exited with " + r.exit() + ": " + r.output());
        }
        return r.output();
    }

    private static Result exec(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, output + " (no exit within 30 s)");
        }
        return new Result(p.exitValue(), output);
    }
}
