package dev.sluice.broker;

import dev.sluice.broker.metadata.Controller;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Properties;

/**
 * A broker's data directory. Holds an exclusive lock ({@code .lock}) for as long as the broker
 * runs, so two brokers never share one, and {@code meta.properties}, which ties the directory to a
 * cluster id and node id:
 *
 * <pre>
 * version=1
 * cluster.id=&lt;22-character base64 id&gt;
 * node.id=&lt;int&gt;
 * directory.id=&lt;22-character base64 id&gt;
 * </pre>
 *
 * The file is written to a temporary name and renamed into place, so a crash never leaves half of it.
 */
final class DataDirectory implements AutoCloseable {
    static final String META_PROPERTIES = "meta.properties";

    private final Path path;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final String clusterId;

    private DataDirectory(Path path, FileChannel lockChannel, FileLock lock, String clusterId) {
        this.path = path;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.clusterId = clusterId;
    }

    /**
     * Locks the directory (creating it if needed) and reads or creates its meta.properties.
     *
     * @throws IllegalStateException if another broker holds the directory or it belongs to another node
     */
    static DataDirectory open(Path path, int nodeId, String configuredClusterId) throws IOException {
        Files.createDirectories(path);
        FileChannel channel = FileChannel.open(path.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            channel.close();
            throw new IllegalStateException("data directory " + path.toAbsolutePath()
                + " is in use by another broker (its .lock is held)");
        }
        try {
            Path meta = path.resolve(META_PROPERTIES);
            Properties props = new Properties();
            if (Files.exists(meta)) {
                props = read(meta);
                String storedNode = props.getProperty("node.id");
                if (storedNode != null && Integer.parseInt(storedNode.trim()) != nodeId) {
                    throw new IllegalStateException("node.id " + nodeId + " does not match node.id " + storedNode
                        + " stored in " + meta.toAbsolutePath());
                }
                String stored = props.getProperty("cluster.id");
                if (configuredClusterId != null && stored != null && !stored.equals(configuredClusterId)) {
                    throw new IllegalStateException("sluice.cluster.id " + configuredClusterId
                        + " does not match cluster.id " + stored + " stored in " + meta.toAbsolutePath());
                }
                if (stored != null) {
                    return new DataDirectory(path, channel, lock, stored);
                }
            }
            String clusterId = configuredClusterId != null ? configuredClusterId : Controller.randomId().toString();
            props.setProperty("version", "1");
            props.setProperty("cluster.id", clusterId);
            props.setProperty("node.id", Integer.toString(nodeId));
            props.setProperty("directory.id", Controller.randomId().toString());
            Path tmp = path.resolve(META_PROPERTIES + ".tmp");
            try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                props.store(out, "Written by Sluice when the directory was first used. Do not edit.");
            }
            try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                c.force(true);
            }
            Files.move(tmp, meta, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new DataDirectory(path, channel, lock, clusterId);
        } catch (IOException | RuntimeException e) {
            lock.release();
            channel.close();
            throw e;
        }
    }

    /**
     * The cluster id in {@code path}'s meta.properties, read without taking the lock: what a node
     * that must find its quorum before {@link #open} looks for. {@link #open} checks it again.
     */
    static Optional<String> storedClusterId(Path path) throws IOException {
        Path meta = path.resolve(META_PROPERTIES);
        if (!Files.exists(meta)) {
            return Optional.empty();
        }
        return Optional.ofNullable(read(meta).getProperty("cluster.id"));
    }

    private static Properties read(Path meta) throws IOException {
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
            props.load(in);
        }
        return props;
    }

    Path path() {
        return path;
    }

    String clusterId() {
        return clusterId;
    }

    @Override
    public void close() throws IOException {
        lock.release();
        lockChannel.close();
    }
}
