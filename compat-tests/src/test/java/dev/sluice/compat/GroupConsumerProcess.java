package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A group consumer program written with another Kafka client, running as a child process. The
 * programs live under {@code src/test/clients/<client>/} and share one command line,
 *
 * <pre>
 *   PROGRAM BOOTSTRAP TOPIC GROUP drain|member [COUNT] [TIMEOUT_SECONDS]
 * </pre>
 *
 * and one output format, a line each, as things happen:
 *
 * <pre>
 *   assigned P P ...        the partitions of TOPIC the member holds after a rebalance
 *   record P:OFFSET:VALUE   one consumed record
 *   done N                  the program is ending normally after N records
 * </pre>
 *
 * {@code drain} reads COUNT records, commits and leaves the group; {@code member} reads what comes
 * until its standard input is closed. Both start a new group at the earliest offset and exit 0 on
 * success, 2 when their own deadline passes, 1 on an error; anything else they say goes to
 * standard error.
 */
final class GroupConsumerProcess implements AutoCloseable {
    /** A record as the program printed it. */
    record Consumed(int partition, long offset, String value) {
    }

    /** How a finished program ended, with everything it printed. */
    record Exit(int code, List<String> out, String err, String command) {
        Exit assertSucceeded() {
            if (code != 0 || !out.contains("done " + records().size())) {
                fail(command + " exited " + code + describe(out, err));
            }
            return this;
        }

        List<Consumed> records() {
            return GroupConsumerProcess.records(out);
        }
    }

    private final Process process;
    private final String command;
    private final Duration timeout;
    private final List<String> out = new ArrayList<>();
    private final List<String> err = new ArrayList<>();
    private final CompletableFuture<Void> outClosed;
    private final CompletableFuture<Void> errClosed;

    private GroupConsumerProcess(Process process, String command, Duration timeout) {
        this.process = process;
        this.command = command;
        this.timeout = timeout;
        this.outClosed = collect(process.getInputStream(), out);
        this.errClosed = collect(process.getErrorStream(), err);
    }

    /**
     * Starts {@code program} with the shared command line; {@code timeout} is the program's own
     * deadline, and the process is killed if it outlives it by much.
     */
    static GroupConsumerProcess start(List<String> program, Path workingDir, String bootstrap, String topic,
                                      String group, String mode, int count, Duration timeout) throws IOException {
        List<String> command = new ArrayList<>(program);
        command.addAll(List.of(bootstrap, topic, group, mode, Integer.toString(count),
            Long.toString(timeout.toSeconds())));
        Process process = new ProcessBuilder(command).directory(workingDir.toFile()).start();
        return new GroupConsumerProcess(process, String.join(" ", command), timeout);
    }

    /**
     * Appends the lines of {@code stream} to {@code lines} as they come, on a thread of its own (a
     * blocking read must not hold one of a shared pool's few threads); completes at end of stream.
     */
    private static CompletableFuture<Void> collect(InputStream stream, List<String> lines) {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                }
                closed.complete(null);
            } catch (IOException e) {
                closed.completeExceptionally(e);
            }
        }, "group-consumer-output");
        reader.setDaemon(true);
        reader.start();
        return closed;
    }

    private static List<String> snapshot(List<String> lines) {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /** What the program has printed so far. */
    List<String> out() {
        return snapshot(out);
    }

    /** The records printed so far, in the order they were printed. */
    List<Consumed> records() {
        return records(out());
    }

    /** The partitions of the member's latest assignment, if it has had one. */
    Optional<Set<Integer>> assignment() {
        List<String> lines = out();
        for (int i = lines.size() - 1; i >= 0; i--) {
            String line = lines.get(i);
            if (line.equals("assigned") || line.startsWith("assigned ")) {
                return Optional.of(Arrays.stream(line.substring("assigned".length()).trim().split(" "))
                    .filter(s -> !s.isEmpty())
                    .map(Integer::valueOf)
                    .collect(Collectors.toCollection(TreeSet::new)));
            }
        }
        return Optional.empty();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Closes the program's standard input: the signal for a {@code member} to commit, leave and exit. */
    void closeInput() throws IOException {
        process.getOutputStream().close();
    }

    /** Waits for the program to end by itself, and kills it (failing the test) if it runs past its deadline. */
    Exit awaitExit() throws Exception {
        if (!process.waitFor(timeout.toMillis() + 15_000, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            fail(command + " did not finish within " + timeout.toSeconds() + " s" + describe());
        }
        outClosed.get(10, TimeUnit.SECONDS);
        errClosed.get(10, TimeUnit.SECONDS);
        return new Exit(process.exitValue(), out(), String.join("\n", snapshot(err)), command);
    }

    /** The command line and what the program printed so far, for a failure message. */
    String describe() {
        return " (" + command + ")" + describe(out(), String.join("\n", snapshot(err)));
    }

    private static String describe(List<String> out, String err) {
        return "\n--- stdout\n" + String.join("\n", out) + "\n--- stderr\n" + err;
    }

    private static List<Consumed> records(List<String> lines) {
        List<Consumed> records = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("record ")) {
                String[] fields = line.substring("record ".length()).split(":", 3);
                records.add(new Consumed(Integer.parseInt(fields[0]), Long.parseLong(fields[1]), fields[2]));
            }
        }
        return records;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
