package dev.sluice.storage.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link ObjectStore} must do, whatever holds the objects. A subclass per
 * implementation supplies a fresh, empty store for each test.
 */
abstract class ObjectStoreContractTest {
    /** Larger than four 5 MiB parts, and not a multiple of one, so the last part is short. */
    static final int LARGE_OBJECT_SIZE = 20 * 1024 * 1024 + 12_345;

    @TempDir
    Path files;

    ObjectStore store;

    /** A new store holding no objects. */
    abstract ObjectStore openEmptyStore() throws Exception;

    @BeforeEach
    void open() throws Exception {
        store = openEmptyStore();
    }

    @AfterEach
    void close() throws IOException {
        if (store != null) {
            store.close();
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    Path file(String name, byte[] content) throws IOException {
        return Files.write(files.resolve(name), content);
    }

    static byte[] bytesOf(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    @Test
    void getReturnsTheBytesPut() throws IOException {
        store.put("greeting", utf8("hello"));
        store.put("segment.log", file("segment.log", utf8("from a file")));
        assertArrayEquals(utf8("hello"), store.get("greeting").orElseThrow());
        assertArrayEquals(utf8("from a file"), store.get("segment.log").orElseThrow());
    }

    @Test
    void putReplacesTheObjectUnderTheKey() throws IOException {
        store.put("k", utf8("a longer first version"));
        store.put("k", utf8("second"));
        assertArrayEquals(utf8("second"), store.get("k").orElseThrow());
        store.put("k", file("third", utf8("third, from a file")));
        assertArrayEquals(utf8("third, from a file"), store.get("k").orElseThrow());
        assertEquals(List.of("k"), store.list(""));
    }

    @Test
    void anEmptyObjectIsStillAnObject() throws IOException {
        store.put("empty", new byte[0]);
        store.put("empty-file", file("empty", new byte[0]));
        assertArrayEquals(new byte[0], store.get("empty").orElseThrow());
        assertArrayEquals(new byte[0], store.get("empty-file").orElseThrow());
        assertEquals(0, store.read("empty", 0, 10).orElseThrow().remaining());
        assertEquals(List.of("empty", "empty-file"), store.list("empty"));
    }

    @Test
    void aMissingObjectIsEmptyNotAnError() throws IOException {
        assertEquals(Optional.empty(), store.get("missing"));
        assertEquals(Optional.empty(), store.read("missing", 0, 100));
        assertEquals(Optional.empty(), store.read("missing", 0, 0));
        assertEquals(List.of(), store.list("missing"));
    }

    @Test
    void readReturnsTheRequestedRange() throws IOException {
        byte[] bytes = utf8("0123456789");
        store.put("digits", bytes);
        assertArrayEquals(utf8("0123456789"), bytesOf(store.read("digits", 0, 10).orElseThrow()));
        assertArrayEquals(utf8("345"), bytesOf(store.read("digits", 3, 3).orElseThrow()));
        assertArrayEquals(utf8("9"), bytesOf(store.read("digits", 9, 1).orElseThrow()));
        assertEquals(0, store.read("digits", 4, 0).orElseThrow().remaining());
    }

    @Test
    void readPastTheEndReturnsWhatThereIs() throws IOException {
        store.put("digits", utf8("0123456789"));
        assertArrayEquals(utf8("789"), bytesOf(store.read("digits", 7, 100).orElseThrow()));
        assertArrayEquals(utf8("0123456789"), bytesOf(store.read("digits", 0, Integer.MAX_VALUE).orElseThrow()));
    }

    @Test
    void readStartingAtOrAfterTheEndIsEmptyButPresent() throws IOException {
        store.put("digits", utf8("0123456789"));
        assertEquals(0, store.read("digits", 10, 5).orElseThrow().remaining());
        assertEquals(0, store.read("digits", 1_000_000, 5).orElseThrow().remaining());
    }

    @Test
    void listReturnsTheKeysUnderAPrefixInLexicographicOrder() throws IOException {
        List<String> keys = new ArrayList<>(List.of(
            "orders-0/00000000000000000000.log",
            "orders-0/00000000000000000000.index",
            "orders-0/00000000000000001000.log",
            "orders-1/00000000000000000000.log",
            "orders-10/00000000000000000000.log",
            "orders-0.manifest",
            "a",
            "b/c/d/e"));
        Collections.shuffle(keys, new Random(42));
        for (String key : keys) {
            store.put(key, utf8(key));
        }
        assertEquals(List.of(
            "orders-0/00000000000000000000.index",
            "orders-0/00000000000000000000.log",
            "orders-0/00000000000000001000.log"), store.list("orders-0/"));
        assertEquals(List.of(
            "orders-0.manifest",
            "orders-0/00000000000000000000.index",
            "orders-0/00000000000000000000.log",
            "orders-0/00000000000000001000.log"), store.list("orders-0"));
        assertEquals(List.of(
            "orders-1/00000000000000000000.log",
            "orders-10/00000000000000000000.log"), store.list("orders-1"));
        assertEquals(keys.stream().sorted().toList(), store.list(""));
        assertEquals(List.of(), store.list("orders-2"));
    }

    @Test
    void keysWithSlashesNestAtAnyDepth() throws IOException {
        // Not tested: a key that is also a "directory" of another ("t/0" beside "t/0/s"), which
        // S3 allows and a directory cannot hold. Callers never name objects that way.
        store.put("topic/0/00000000000000000000.log", utf8("deep"));
        store.put("topic/0/a/b/c/d", utf8("deeper"));
        store.put("topic/1/00000000000000000000.log", utf8("next partition"));
        assertArrayEquals(utf8("deep"), store.get("topic/0/00000000000000000000.log").orElseThrow());
        assertArrayEquals(utf8("deeper"), store.get("topic/0/a/b/c/d").orElseThrow());
        assertEquals(List.of("topic/0/00000000000000000000.log", "topic/0/a/b/c/d"), store.list("topic/0/"));
        assertEquals(List.of("topic/0/a/b/c/d"), store.list("topic/0/a/b/"));
        assertEquals(Optional.empty(), store.get("topic/0"));
        assertEquals(Optional.empty(), store.get("topic/0/a"));
        assertEquals(Optional.empty(), store.read("topic/0", 0, 10));
    }

    @Test
    void deleteRemovesTheObjectsAndIgnoresMissingKeys() throws IOException {
        for (String key : List.of("x/1", "x/2", "x/3", "y")) {
            store.put(key, utf8(key));
        }
        store.delete(List.of("x/1", "never-there", "x/3", "x/1"));
        assertEquals(List.of("x/2", "y"), store.list(""));
        assertEquals(Optional.empty(), store.get("x/1"));
        store.delete(List.of());
        store.delete(List.of("x/2", "y"));
        assertEquals(List.of(), store.list(""));
    }

    @Test
    void aLargeFileRoundTripsByteForByte() throws IOException {
        byte[] bytes = randomBytes(LARGE_OBJECT_SIZE, 7);
        store.put("big/segment.log", file("big", bytes));
        assertTrue(Files.deleteIfExists(files.resolve("big")));

        assertArrayEquals(bytes, store.get("big/segment.log").orElseThrow());
        // A range across the boundary between the first two 5 MiB parts.
        int from = 5 * 1024 * 1024 - 1000;
        ByteBuffer range = store.read("big/segment.log", from, 2000).orElseThrow();
        assertArrayEquals(Arrays.copyOfRange(bytes, from, from + 2000), bytesOf(range));
        ByteBuffer tail = store.read("big/segment.log", LARGE_OBJECT_SIZE - 10, 100).orElseThrow();
        assertArrayEquals(Arrays.copyOfRange(bytes, LARGE_OBJECT_SIZE - 10, LARGE_OBJECT_SIZE),
            bytesOf(tail));
        assertEquals(List.of("big/segment.log"), store.list("big/"));
    }

    @Test
    void describeNamesTheLocation() {
        assertTrue(store.describe().contains("://"), store.describe());
    }
}
