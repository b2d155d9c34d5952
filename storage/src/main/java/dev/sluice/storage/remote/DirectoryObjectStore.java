package dev.sluice.storage.remote;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * An {@link ObjectStore} in a local (or mounted) directory: the key "a/b/c" is the file
 * {@code <root>/a/b/c}.
 *
 * <p>A put writes {@code <key>.<random>.tmp} beside the target, forces it to disk, renames it over
 * the target (atomic on POSIX file systems) and forces the directory, so a crash leaves either the
 * old object or the new one, plus at worst a {@code .tmp} file that {@link #list} never shows and
 * the next start may delete. Reads are plain positional reads.
 */
public final class DirectoryObjectStore implements ObjectStore {
    private static final String TEMP_SUFFIX = ".tmp";
    private final Path root;

    /**
     * Opens (creating) the store at {@code root} and deletes the {@code .tmp} files that puts cut
     * short by a crash left behind: the directory must belong to this one broker.
     */
    public DirectoryObjectStore(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        Files.createDirectories(this.root);
        try (Stream<Path> files = Files.walk(this.root)) {
            for (Path p : (Iterable<Path>) files.filter(f -> f.getFileName().toString().endsWith(TEMP_SUFFIX))::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    public Path root() {
        return root;
    }

    private Path file(String key) {
        if (key.isEmpty() || key.startsWith("/") || key.contains("..") || key.endsWith(TEMP_SUFFIX)) {
            throw new IllegalArgumentException("not a valid object key: " + key);
        }
        return root.resolve(key);
    }

    @Override
    public void put(String key, Path source) throws IOException {
        Path target = file(key);
        Files.createDirectories(target.getParent());
        Path temp = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + TEMP_SUFFIX);
        try {
            Files.copy(source, temp, StandardCopyOption.REPLACE_EXISTING);
            publish(temp, target);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public void put(String key, byte[] bytes) throws IOException {
        Path target = file(key);
        Files.createDirectories(target.getParent());
        Path temp = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + TEMP_SUFFIX);
        try {
            Files.write(temp, bytes);
            publish(temp, target);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static void publish(Path temp, Path target) throws IOException {
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the object store directory does not support atomic renames: " + target, e);
        }
        try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException ignored) {
            // Some file systems cannot open a directory for reading; the rename itself is done.
        }
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
        Path file = file(key);
        if (Files.isDirectory(file)) {
            // Only a prefix of other keys ("a/b" when "a/b/c" exists): no object, as in S3.
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public Optional<ByteBuffer> read(String key, long position, int length) throws IOException {
        Path file = file(key);
        if (Files.isDirectory(file)) {
            return Optional.empty();
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            int n = (int) Math.max(0, Math.min(length, size - position));
            ByteBuffer buffer = ByteBuffer.allocate(n);
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, position + buffer.position()) < 0) {
                    break;
                }
            }
            return Optional.of(buffer.flip());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        List<String> keys = new ArrayList<>();
        // Only the directory the prefix names up to its last slash can hold matching keys.
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
        if (!Files.isDirectory(start)) {
            return keys;
        }
        try (Stream<Path> files = Files.walk(start)) {
            files.filter(Files::isRegularFile).forEach(p -> {
                String key = root.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
                if (key.startsWith(prefix) && !key.endsWith(TEMP_SUFFIX)) {
                    keys.add(key);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        keys.sort(null);
        return keys;
    }

    @Override
    public void delete(List<String> keys) throws IOException {
        for (String key : keys) {
            Files.deleteIfExists(file(key));
        }
    }

    @Override
    public String describe() {
        return root.toUri().toString();
    }

    @Override
    public void close() {
    }
}
