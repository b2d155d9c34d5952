package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/**
 * Sarama's group consumer against the embedded broker. Sarama 1.22 never asks for ApiVersions: it
 * sends the request versions of the Kafka release it is configured for. The program sets 2.1 and a
 * commit retention, which gives FindCoordinator, SyncGroup, Heartbeat and LeaveGroup v0, JoinGroup
 * v1, OffsetCommit v2 and OffsetFetch v1 (and Metadata v5, ListOffsets v1, Fetch v4). The program
 * is built in GOPATH mode, which needs no Go module proxy, against the Sarama that Debian packages;
 * skipped where Go, gcc or that package is not installed ({@code .ci/run} installs
 * {@code golang-go}, {@code gcc} and {@code golang-github-shopify-sarama-dev} when it can).
 * Setting the environment variable {@code SARAMA_LOG} turns on Sarama's log in the program's
 * standard error.
 */
class SaramaGroupConsumerTest extends GroupConsumerCompatibility {
    private static final Path DEBIAN_GOPATH = Path.of("/usr/share/gocode");

    private static Path built() {
        return moduleDir().resolve("target/clients/sarama");
    }

    @BeforeAll
    static void buildProgram() {
        assumeTrue(runs("go", "version"), "Go not installed (Debian: golang-go)");
        assumeTrue(runs("gcc", "--version"), "gcc not installed (Sarama's zstd codec is built with cgo)");
        assumeTrue(Files.isDirectory(DEBIAN_GOPATH.resolve("src/github.com/Shopify/sarama")),
            "Sarama not installed (Debian: golang-github-shopify-sarama-dev)");
        Path out = built();
        SetupRun build = setup(moduleDir().resolve("src/test/clients/sarama"), Map.of(
                "GO111MODULE", "off",
                "GOPATH", out.resolve("gopath") + ":" + DEBIAN_GOPATH,
                "GOCACHE", out.resolve("go-cache").toString(),
                "GOFLAGS", "",
                // DataDog/zstd, a Sarama dependency built with cgo, calls a deprecated zstd function.
                "CGO_CFLAGS", "-O2 -Wno-deprecated-declarations"),
            Duration.ofMinutes(3), "go", "build", "-o", out.resolve("group_consumer").toString(), ".");
        assertTrue(build.succeeded(), () -> "could not build the Sarama program:\n" + build.output());
    }

    @Override
    String client() {
        return "sarama";
    }

    @Override
    List<String> program() {
        return List.of(built().resolve("group_consumer").toString());
    }
}
