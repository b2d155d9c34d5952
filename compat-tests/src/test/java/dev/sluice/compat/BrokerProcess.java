package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * The packaged broker jar running in its own JVM, as an operator would start it. Its output is
 * collected so that a failure can show what the broker said.
 */
final class BrokerProcess implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    /**
     * A cluster node restarted right after a kill -9 may take longer: on a loaded 2-core machine
     * its metadata quorum member has been seen to need 20 s to start (Ratis' server start).
     */
    private static final Duration CLUSTER_NODE_START_TIMEOUT = Duration.ofSeconds(90);

    private final Process process;
    private final String host;
    private final int port;
    private final List<String> output = new ArrayList<>();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    /** Completes once the process's output has been read to its end. */
    private final CompletableFuture<Void> outputEnded = new CompletableFuture<>();

    private BrokerProcess(Process process, String host, int port) {
        this.process = process;
        this.host = host;
        this.port = port;
    }

    /** The jar {@code mvn package} builds in the broker module, next to this module. */
    static Path packagedJar() {
        Path basedir = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        Path jar = basedir.resolveSibling("broker").resolve("target").resolve("sluice.jar").normalize();
        if (!Files.isRegularFile(jar)) {
            fail("the packaged broker " + jar + " does not exist; build it first with `mvn verify` "
                + "(or `mvn package -DskipTests`) from the repository root");
        }
        return jar;
    }

    static int freePort() {
        return dev.sluice.broker.SluiceCluster.freePort();
    }

    /** Starts {@code java -jar sluice.jar} on a free port with data in {@code dataDir}, and waits until it is ready. */
    static BrokerProcess start(Path dataDir) throws IOException, InterruptedException {
        return start(dataDir, freePort());
    }

    /**
     * Starts the broker on {@code port}, so that clients still holding the address of a broker
     * killed there reconnect to its successor.
     */
    static BrokerProcess start(Path dataDir, int port, String... overrides) throws IOException, InterruptedException {
        return start(List.of("-Xmx256m"), dataDir, port, overrides);
    }

    /**
     * As {@link #start(Path, int, String...)} with a heap of 256 MiB committed and touched at
     * start: the process's resident memory then grows only with what lives outside the heap
     * (network buffers, threads), which is what tests of memory bounds watch.
     */
    static BrokerProcess startWithPretouchedHeap(Path dataDir, int port, String... overrides)
            throws IOException, InterruptedException {
        return start(List.of("-Xmx256m", "-Xms256m", "-XX:+AlwaysPreTouch"), dataDir, port, overrides);
    }

    /**
     * Starts node {@code nodeId} of a cluster whose controllers listen on {@code controllerPorts}
     * (node id → port), each node a combined broker and controller, as Kafka's KRaft keys
     * configure one: its broker listener on {@code port}, its controller listener on its entry in
     * {@code controllerPorts}.
     */
    static BrokerProcess startClusterNode(Path dataDir, int nodeId, int port, Map<Integer, Integer> controllerPorts,
                                          String... overrides) throws IOException, InterruptedException {
        Map<Integer, String> controllers = new TreeMap<>();
        controllerPorts.forEach((id, p) -> controllers.put(id, "localhost:" + p));
        return startClusterNode(dataDir, nodeId, List.of(), "localhost", port, controllers, overrides);
    }

    /**
     * As {@link #startClusterNode(Path, int, int, Map, String...)} for a node whose listeners bind
     * {@code host}, with the controllers at {@code controllers} (node id → host:port), and whose
     * JVM is started through {@code launcher} (a command prefix such as {@code ip netns exec NS};
     * empty for none). The launcher must exec the JVM in its own process, so that the process
     * this class signals is the broker itself.
     */
    static BrokerProcess startClusterNode(Path dataDir, int nodeId, List<String> launcher, String host, int port,
                                          Map<Integer, String> controllers, String... overrides)
            throws IOException, InterruptedException {
        return startKraftNode(dataDir, nodeId, launcher, "broker,controller",
            "PLAINTEXT://" + host + ":" + port + ",CONTROLLER://" + controllers.get(nodeId), host, port, controllers,
            overrides);
    }

    /**
     * Starts broker-only node {@code nodeId} ({@code process.roles=broker}) that joins the cluster
     * whose controllers listen on {@code controllers} (node id → host:port): no controller listener
     * of its own, its broker listener on {@code host:port}.
     */
    static BrokerProcess startBrokerNode(Path dataDir, int nodeId, List<String> launcher, String host, int port,
                                         Map<Integer, String> controllers, String... overrides)
            throws IOException, InterruptedException {
        return startKraftNode(dataDir, nodeId, launcher, "broker", "PLAINTEXT://" + host + ":" + port, host, port,
            controllers, overrides);
    }

    /**
     * Starts controller-only node {@code nodeId} ({@code process.roles=controller}) of the quorum at
     * {@code controllers}: it binds only its controller listener, and is ready once its quorum
     * member has started.
     */
    static BrokerProcess startControllerNode(Path dataDir, int nodeId, List<String> launcher,
                                             Map<Integer, String> controllers, String... overrides)
            throws IOException, InterruptedException {
        String address = controllers.get(nodeId);
        int colon = address.lastIndexOf(':');
        return startKraftNode(dataDir, nodeId, launcher, "controller", "CONTROLLER://" + address,
            address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)), controllers, overrides);
    }

    private static BrokerProcess startKraftNode(Path dataDir, int nodeId, List<String> launcher, String roles,
                                                String listeners, String host, int port,
                                                Map<Integer, String> controllers, String... overrides)
            throws IOException, InterruptedException {
        String voters = controllers.entrySet().stream().map(e -> e.getKey() + "@" + e.getValue())
            .collect(Collectors.joining(","));
        List<String> all = new ArrayList<>(List.of(
            "process.roles=" + roles,
            "node.id=" + nodeId,
            "controller.quorum.voters=" + voters,
            "controller.listener.names=CONTROLLER",
            "listeners=" + listeners));
        all.addAll(List.of(overrides));
        return start(launcher, List.of("-Xmx256m"), dataDir, host, port, CLUSTER_NODE_START_TIMEOUT,
            all.toArray(new String[0]));
    }

    private static BrokerProcess start(List<String> jvmOptions, Path dataDir, int port, String... overrides)
            throws IOException, InterruptedException {
        return start(List.of(), jvmOptions, dataDir, "localhost", port, START_TIMEOUT, overrides);
    }

    private static BrokerProcess start(List<String> launcher, List<String> jvmOptions, Path dataDir, String host,
                                       int port, Duration startTimeout, String... overrides)
            throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(launcher);
        command.add(java);
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", packagedJar().toString(),
            "--override", "listeners=PLAINTEXT://" + host + ":" + port,
            "--override", "log.dirs=" + dataDir));
        for (String override : overrides) {
            command.add("--override");
            command.add(override);
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        BrokerProcess broker = new BrokerProcess(builder.start(), host, port);
        broker.collectOutput();
        broker.awaitReady(startTimeout);
        return broker;
    }

    private void collectOutput() {
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    synchronized (output) {
                        output.add(line);
                    }
                    if (line.contains("ready")) {
                        ready.complete(null);
                    }
                }
            } catch (IOException e) {
                // The process went away; its exit is what the test looks at.
            }
            ready.completeExceptionally(new IllegalStateException("the broker's output ended before it was ready"));
            outputEnded.complete(null);
        }, "broker-output-" + port);
        reader.setDaemon(true);
        reader.start();
    }

    private void awaitReady(Duration timeout) throws InterruptedException {
        try {
            ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            String threads = threadDump();
            process.destroyForcibly();
            fail("the broker did not log 'ready' within " + timeout.toSeconds() + " s:\n" + output()
                + "\nits threads:\n" + threads);
        } catch (java.util.concurrent.ExecutionException e) {
            fail("the broker stopped before it was ready (exit " + exitCodeOrRunning() + "):\n" + output());
        }
    }

    /** The JVM's threads as {@code jcmd Thread.print} shows them, to see where a start-up hangs. */
    private String threadDump() {
        try {
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(process.pid()), "Thread.print").redirectErrorStream(true).start();
            String dump = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            jcmd.waitFor(30, TimeUnit.SECONDS);
            return dump;
        } catch (IOException e) {
            return "(no thread dump: " + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }

    private String exitCodeOrRunning() {
        return process.isAlive() ? "still running" : String.valueOf(process.exitValue());
    }

    int port() {
        return port;
    }

    /** The operating system's id of the broker's JVM, to read its memory from {@code /proc}. */
    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String bootstrapServers() {
        return host + ":" + port;
    }

    String output() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    /** Sends SIGTERM and returns the exit code, failing if the broker does not exit within {@code timeout}. */
    int terminate(Duration timeout) throws InterruptedException {
        // Through the handle: Process#destroy also closes the pipes, and what the broker logs while
        // it shuts down would be lost.
        process.toHandle().destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            fail("the broker did not exit within " + timeout.toSeconds() + " s of SIGTERM:\n" + output());
        }
        awaitOutputEnd();
        return process.exitValue();
    }

    /** Waits (briefly) until what the exited process wrote last has been read, so that {@link #output} holds it. */
    private void awaitOutputEnd() throws InterruptedException {
        try {
            outputEnded.get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
            // A child of the broker still holds the pipe open; what was read so far is all there is.
        }
    }

    /**
     * Sends SIGSTOP: the broker neither runs nor answers, but its ports stay open and the kernel
     * still accepts connections to them, as with a process stuck in a long pause.
     */
    void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** Sends SIGCONT to a broker {@link #pause paused} before. */
    void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            fail("could not send SIG" + name + " to the broker");
        }
    }

    /** Sends SIGKILL and waits for the process to be gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            fail("the broker survived SIGKILL for 10 s");
        }
    }

    /** Kills the process if a test left it running. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
