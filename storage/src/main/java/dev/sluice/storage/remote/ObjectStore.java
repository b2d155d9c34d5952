package dev.sluice.storage.remote;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The cold tier: a flat namespace of immutable objects addressed by key ("a/b/c"), as in S3.
 *
 * <p>Contract every implementation keeps:
 * <ul>
 *   <li><b>Atomic puts.</b> An object is visible whole or not at all: a put that fails or is
 *       interrupted (even by {@code kill -9}) leaves either nothing or the previous object under
 *       its key, never a prefix. Putting the same bytes under the same key again is harmless, so
 *       an upload can always be redone.</li>
 *   <li><b>Read-after-write.</b> Once {@code put} returns, {@code get}, {@code read} and
 *       {@code list} see the object (true of S3 since 2020 and of every directory).</li>
 *   <li><b>Errors are {@link IOException}s</b>; a missing object is an empty {@code Optional},
 *       not an error.</li>
 * </ul>
 *
 * <p>Implementations are thread-safe; calls block, and callers run them off request threads.
 */
public interface ObjectStore extends AutoCloseable {

    /** Stores the file's bytes under {@code key}, replacing any object there. */
    void put(String key, Path file) throws IOException;

    /** Stores {@code bytes} under {@code key}, replacing any object there. */
    void put(String key, byte[] bytes) throws IOException;

    /** The whole object, if there is one. */
    Optional<byte[]> get(String key) throws IOException;

    /**
     * Up to {@code length} bytes of the object from {@code position} (fewer at its end); empty if
     * there is no such object.
     */
    Optional<ByteBuffer> read(String key, long position, int length) throws IOException;

    /** Keys starting with {@code prefix}, in lexicographic order. */
    List<String> list(String prefix) throws IOException;

    /** Deletes the objects; keys that do not exist are ignored. */
    void delete(List<String> keys) throws IOException;

    /** Where the store is, for logs ("file:///var/sluice/remote", "s3://bucket/prefix"). */
    String describe();

    @Override
    void close() throws IOException;
}
