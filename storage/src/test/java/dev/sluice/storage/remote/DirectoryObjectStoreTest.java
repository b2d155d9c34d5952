package dev.sluice.storage.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryObjectStoreTest extends ObjectStoreContractTest {
    @TempDir
    Path root;

    @Override
    ObjectStore openEmptyStore() throws IOException {
        return new DirectoryObjectStore(root.resolve("store"));
    }

    @Test
    void describeIsTheDirectorysFileUri() {
        assertEquals(root.resolve("store").toUri().toString(), store.describe());
    }

    @Test
    void listSkipsTheTemporaryFilesOfUnfinishedPuts() throws IOException {
        store.put("a/segment", utf8("whole"));
        Files.write(root.resolve("store/a/segment.3f2c.tmp"), utf8("half"));
        assertEquals(List.of("a/segment"), store.list(""));
    }
}
