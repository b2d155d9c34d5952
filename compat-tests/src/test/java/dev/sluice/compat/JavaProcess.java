package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A {@code main} of these test sources running in a JVM of its own, on this JVM's class path, so
 * that a test can kill it with SIGKILL as a crash would: no shutdown hook, no close, no last
 * request. The programs report what they do as lines on standard output ({@code ready},
 * {@code committed N}...); standard error is merged in, and shown with them when a test fails.
 * Not thread-safe apart from the output, which a reader thread appends to.
 */
final class JavaProcess implements AutoCloseable {
    private final Process process;
    private final String name;
    private final List<String> lines = new ArrayList<>();

    private JavaProcess(Process process, String name) {
        this.process = process;
        this.name = name;
        Thread reader = new Thread(this::collect, "output-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code mainClass} with {@code args}. The class path goes through an argument file, as
     * a test class path is longer than some systems take on a command line.
     */
    static JavaProcess start(Class<?> mainClass, String... args) throws IOException {
        Path argFile = Files.createTempFile("java-process", ".args");
        argFile.toFile().deleteOnExit();
        String classPath = System.getProperty("java.class.path").replace("\\", "\\\\").replace("\"", "\\\"");
        Files.writeString(argFile, "-cp\n\"" + classPath + "\"\n", StandardCharsets.UTF_8);
        List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            // Small and quick to start: the machines that run these tests have two cores.
            "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "@" + argFile, mainClass.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        return new JavaProcess(process, mainClass.getSimpleName());
    }

    private void collect() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                synchronized (lines) {
                    lines.add(line);
                }
            }
        } catch (IOException e) {
            // The process is gone; its exit is what the test looks at.
        }
    }

    List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /** The last line that starts with {@code prefix}, without the prefix. */
    Optional<String> last(String prefix) {
        List<String> all = lines();
        for (int i = all.size() - 1; i >= 0; i--) {
            if (all.get(i).startsWith(prefix)) {
                return Optional.of(all.get(i).substring(prefix.length()).trim());
            }
        }
        return Optional.empty();
    }

    /** Waits until the program prints a line starting with {@code prefix}, failing if it exits or {@code limit} passes first. */
    String await(String prefix, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            Optional<String> line = last(prefix);
            if (line.isPresent()) {
                return line.get();
            }
            assertTrue(process.isAlive(), () -> name + " exited " + process.exitValue() + " before printing '" + prefix
                + "'" + describe());
            assertTrue(System.nanoTime() < deadline, () -> name + " did not print '" + prefix + "' within "
                + limit.toSeconds() + " s" + describe());
            Thread.sleep(50);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** Sends SIGKILL and waits for the process to be gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        assertTrue(process.waitFor(10, TimeUnit.SECONDS), name + " survived SIGKILL for 10 s");
    }

    /** Waits for the program to end by itself and returns its exit code, killing it after {@code limit}. */
    int awaitExit(Duration limit) throws InterruptedException {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            kill();
            throw new AssertionError(name + " did not exit within " + limit.toSeconds() + " s" + describe());
        }
        return process.exitValue();
    }

    /** What the program printed, for a failure message. */
    String describe() {
        return "\n--- " + name + " (pid " + process.pid() + ")\n" + String.join("\n", lines());
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
