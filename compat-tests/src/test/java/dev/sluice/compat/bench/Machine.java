package dev.sluice.compat.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The machine a benchmark runs on, printed as {@code name=value} lines beside its figures, so a
 * figure never travels without the hardware it was measured on.
 */
final class Machine {
    private Machine() {
    }

    /** CPU model and count, memory, JVM, OS, and the load average right now. */
    static void print() {
        System.out.printf("machine_cpu=%s%n", firstValue("/proc/cpuinfo", "model name").orElse(System.getProperty("os.arch")));
        System.out.printf("machine_cpus=%d%n", Runtime.getRuntime().availableProcessors());
        firstValue("/proc/meminfo", "MemTotal").ifPresent(m -> System.out.printf("machine_mem=%s%n", m));
        System.out.printf("machine_java=%s %s%n", System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"));
        System.out.printf("machine_os=%s %s%n", System.getProperty("os.name"), System.getProperty("os.version"));
        printLoad("machine_loadavg_1m_before");
    }

    /** The 1-minute load average, under {@code name}: on a shared machine, what else was running. */
    static void printLoad(String name) {
        try {
            System.out.printf("%s=%s%n", name, Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException e) {
            System.out.printf("%s=unknown%n", name);
        }
    }

    private static Optional<String> firstValue(String file, String key) {
        try {
            List<String> lines = Files.readAllLines(Path.of(file));
            return lines.stream().filter(l -> l.startsWith(key)).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
