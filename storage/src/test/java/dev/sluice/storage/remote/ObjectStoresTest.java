package dev.sluice.storage.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ObjectStoresTest {
    @TempDir
    Path dir;

    @Test
    void noUriMeansTheDefaultDirectory() throws IOException {
        try (ObjectStore store = ObjectStores.open("", Map.of(), dir.resolve("default"))) {
            assertEquals(dir.resolve("default"), ((DirectoryObjectStore) store).root());
        }
        try (ObjectStore store = ObjectStores.open(null, Map.of(), dir.resolve("default"))) {
            assertInstanceOf(DirectoryObjectStore.class, store);
        }
    }

    @Test
    void aFileUriIsADirectoryStore() throws IOException {
        Path there = dir.resolve("remote");
        try (ObjectStore store = ObjectStores.open(there.toUri().toString(), Map.of(), dir.resolve("default"))) {
            assertEquals(there, ((DirectoryObjectStore) store).root());
        }
    }

    @Test
    void anS3UriIsAnS3StoreAndContactsNothingUntilUsed() throws IOException {
        Map<String, String> options = Map.of(S3ObjectStoreConfig.ENDPOINT, "http://127.0.0.1:1",
            S3ObjectStoreConfig.ACCESS_KEY, "k", S3ObjectStoreConfig.SECRET_KEY, "s");
        try (ObjectStore store = ObjectStores.open("s3://bucket/prefix", options, dir)) {
            assertInstanceOf(S3ObjectStore.class, store);
            assertEquals("s3://bucket/prefix", store.describe());
        }
    }

    @Test
    void otherSchemesAreRejected() {
        for (String uri : new String[] {"gs://bucket/p", "hdfs://nn/p", "/var/lib/sluice/remote", "file://host/p"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ObjectStores.open(uri, Map.of(), dir));
            assertTrue(e.getMessage().contains(uri), e.getMessage());
        }
    }
}
