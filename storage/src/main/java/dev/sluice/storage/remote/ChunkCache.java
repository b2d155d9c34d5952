package dev.sluice.storage.remote;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads of segment objects in aligned chunks, the most recently used kept in memory (at most
 * {@code chunks × chunkSize} bytes for the whole broker). A consumer replaying from the cold tier
 * then costs one ranged GET per chunk rather than one per fetch, and several consumers replaying
 * the same data share the reads. Chunks of objects are immutable, so a cached chunk never goes
 * stale; a deleted object's chunks simply age out.
 *
 * <p>Thread-safe; a chunk missing from the cache is fetched outside the lock, so two readers may
 * fetch the same chunk once each.
 */
public final class ChunkCache {
    private record Key(ObjectStore store, String object, long chunk) {
    }

    private final int chunkSize;
    private final Map<Key, ByteBuffer> chunks;

    public ChunkCache(int chunkSize, int maxChunks) {
        this.chunkSize = chunkSize;
        this.chunks = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, ByteBuffer> eldest) {
                return size() > maxChunks;
            }
        };
    }

    /** Up to {@code length} bytes of {@code object} (of {@code objectSize} bytes) from {@code position}. */
    ByteBuffer read(ObjectStore store, String object, long objectSize, long position, int length) throws IOException {
        int wanted = (int) Math.max(0, Math.min(length, objectSize - position));
        ByteBuffer out = ByteBuffer.allocate(wanted);
        while (out.hasRemaining()) {
            long at = position + out.position();
            long index = at / chunkSize;
            ByteBuffer chunk = chunk(store, object, objectSize, index);
            int offset = (int) (at - index * chunkSize);
            if (offset >= chunk.limit()) {
                break;
            }
            ByteBuffer part = chunk.duplicate().position(offset);
            part.limit(Math.min(part.limit(), offset + out.remaining()));
            out.put(part);
        }
        return out.flip();
    }

    private ByteBuffer chunk(ObjectStore store, String object, long objectSize, long index) throws IOException {
        Key key = new Key(store, object, index);
        synchronized (chunks) {
            ByteBuffer cached = chunks.get(key);
            if (cached != null) {
                return cached;
            }
        }
        long start = index * chunkSize;
        int length = (int) Math.min(chunkSize, objectSize - start);
        Optional<ByteBuffer> read = store.read(object, start, length);
        ByteBuffer chunk = read.orElseThrow(() -> new IOException("object " + object + " is missing from "
            + store.describe())).asReadOnlyBuffer();
        synchronized (chunks) {
            chunks.put(key, chunk);
        }
        return chunk;
    }
}
