package dev.sluice.storage.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.S3Exceptions;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/** The contract against S3Proxy over HTTP, plus what only an S3 store has: parts, aborts, signatures. */
class S3ObjectStoreTest extends ObjectStoreContractTest {
    /** Part uploads of keys containing this fail on the server from the second part on. */
    static final String FAILING_KEY_MARKER = "unlucky";

    /** The part numbers the server was sent, per object key, one entry per attempt. */
    static final Map<String, List<Integer>> PART_UPLOADS = new ConcurrentHashMap<>();

    @RegisterExtension
    static final LocalS3Server S3 = new LocalS3Server("sluice-test", PartCountingStore::new);

    /** Each test has a prefix of its own in the one bucket, so it starts empty. */
    String prefix;

    @Override
    ObjectStore openEmptyStore() {
        prefix = "test-" + UUID.randomUUID();
        return new S3ObjectStore(S3.config(prefix).build());
    }

    private String objectKey(String key) {
        return prefix + "/" + key;
    }

    @Test
    void describeNamesTheBucketAndPrefix() {
        assertEquals("s3://sluice-test/" + prefix, store.describe());
    }

    @Test
    void keysAreStoredUnderThePrefix() throws IOException {
        store.put("a/b", utf8("x"));
        try (ObjectStore whole = new S3ObjectStore(S3.config("").build())) {
            assertArrayEquals(utf8("x"), whole.get(prefix + "/a/b").orElseThrow());
            assertEquals(List.of(prefix + "/a/b"), whole.list(prefix));
            assertEquals("s3://sluice-test", whole.describe());
        }
    }

    @Test
    void aLargeFileGoesUpInPartsOfTheConfiguredSize() throws IOException {
        store.put("big", file("big", randomBytes(LARGE_OBJECT_SIZE, 1)));
        // Four full 5 MiB parts and a short fifth, each sent once: on loopback a retry means the
        // client and server disagree about the wire format (as with aws-chunked bodies).
        assertEquals(List.of(1, 2, 3, 4, 5), PART_UPLOADS.get(objectKey("big")));
        store.put("small", file("small", randomBytes(S3ObjectStoreConfig.MIN_PART_SIZE, 2)));
        assertFalse(PART_UPLOADS.containsKey(objectKey("small")), "a file at the threshold goes in one PUT");
    }

    @Test
    void aFailedMultipartUploadIsAbortedAndTheOldObjectStays() throws IOException {
        String key = "segment-" + FAILING_KEY_MARKER;
        store.put(key, utf8("the previous version"));

        IOException failure = assertThrows(IOException.class,
            () -> store.put(key, file("big", randomBytes(LARGE_OBJECT_SIZE, 3))));
        assertTrue(failure.getMessage().contains("s3://sluice-test/" + objectKey(key)), failure.getMessage());
        List<Integer> attempts = PART_UPLOADS.get(objectKey(key));
        assertTrue(attempts.stream().filter(part -> part == 2).count() > 1,
            "the SDK retries a part the server failed: " + attempts);
        assertFalse(attempts.contains(3), "no part follows one that failed: " + attempts);

        assertArrayEquals(utf8("the previous version"), store.get(key).orElseThrow());
        assertEquals(List.of(), S3.blobStore().listMultipartUploads(S3.bucket()));
    }

    @Test
    void deleteSendsMoreThanAThousandKeysInBatches() throws IOException {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < S3ObjectStore.MAX_KEYS_PER_DELETE + 5; i++) {
            keys.add(String.format("many/%05d", i));
        }
        for (String key : keys.subList(0, 10)) {
            store.put(key, utf8(key));
        }
        store.put(keys.get(keys.size() - 1), utf8("the last, in the second batch"));
        store.put("kept", utf8("not deleted"));
        store.delete(keys);
        assertEquals(List.of("kept"), store.list(""));
    }

    @Test
    void listFollowsContinuationTokensAcrossPages() throws IOException {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            keys.add("paged/" + i);
            store.put("paged/" + i, utf8("v"));
        }
        store.put("pagedness", utf8("outside the prefix"));
        assertEquals(keys, ((S3ObjectStore) store).list("paged/", 2));
    }

    @Test
    void aMissingBucketIsAnErrorNotAnEmptyResult() throws IOException {
        try (ObjectStore missing = new S3ObjectStore(S3ObjectStoreConfig.builder("no-such-bucket")
            .endpoint(S3.endpoint()).pathStyleAccess(true)
            .credentials(LocalS3Server.ACCESS_KEY, LocalS3Server.SECRET_KEY).build())) {
            IOException failure = assertThrows(IOException.class, () -> missing.get("k"));
            assertTrue(failure.getMessage().contains("s3://no-such-bucket/k"), failure.getMessage());
            assertThrows(IOException.class, () -> missing.read("k", 0, 10));
            assertThrows(IOException.class, () -> missing.list(""));
            assertThrows(IOException.class, () -> missing.put("k", new byte[1]));
        }
    }

    @Test
    void wrongCredentialsAreAnError() throws IOException {
        store.put("k", utf8("v"));
        try (ObjectStore wrong = new S3ObjectStore(S3.config(prefix)
            .credentials(LocalS3Server.ACCESS_KEY, "not-the-secret").build())) {
            IOException failure = assertThrows(IOException.class, () -> wrong.get("k"));
            assertTrue(failure.getMessage().contains("403"), failure.getMessage());
        }
    }

    @Test
    void opensFromAUriAndOptions() throws IOException {
        Map<String, String> options = Map.of(
            S3ObjectStoreConfig.ENDPOINT, S3.endpoint().toString(),
            S3ObjectStoreConfig.PATH_STYLE_ACCESS, "true",
            S3ObjectStoreConfig.ACCESS_KEY, LocalS3Server.ACCESS_KEY,
            S3ObjectStoreConfig.SECRET_KEY, LocalS3Server.SECRET_KEY,
            "sluice.remote.storage.unrelated", "ignored");
        try (ObjectStore opened = ObjectStores.open("s3://sluice-test/" + prefix, options, Path.of("unused"))) {
            assertInstanceOf(S3ObjectStore.class, opened);
            opened.put("via-uri", utf8("v"));
        }
        assertArrayEquals(utf8("v"), store.get("via-uri").orElseThrow());
    }

    /** Counts part uploads per key, and fails those of keys containing {@link #FAILING_KEY_MARKER}. */
    static final class PartCountingStore extends ForwardingBlobStore {
        PartCountingStore(BlobStore delegate) {
            super(delegate);
        }

        @Override
        public UploadPartResponse uploadMultipartPart(MultipartUpload upload, UploadPartRequest request,
            InputStream input) {
            PART_UPLOADS.computeIfAbsent(upload.blobName(), k -> new CopyOnWriteArrayList<>())
                .add(request.partNumber());
            if (upload.blobName().contains(FAILING_KEY_MARKER) && request.partNumber() >= 2) {
                throw S3Exceptions.fromStatusCode(500);
            }
            return super.uploadMultipartPart(upload, request, input);
        }
    }
}
