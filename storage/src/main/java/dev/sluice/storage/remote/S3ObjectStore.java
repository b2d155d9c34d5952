package dev.sluice.storage.remote;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * An {@link ObjectStore} in an S3 bucket (AWS or any S3-compatible server), under a key prefix:
 * the key "a/b" is the object {@code <prefix>a/b}.
 *
 * <p>How the {@link ObjectStore} contract is kept:
 * <ul>
 *   <li><b>Atomic puts.</b> Byte arrays and files up to the multipart threshold go in one PUT,
 *       which S3 applies whole or not at all. Larger files go in a multipart upload, whose parts
 *       are invisible until the final CompleteMultipartUpload; a failed upload is aborted. An
 *       upload cut short by a crash is not visible either, but its parts are kept (and billed)
 *       until a bucket lifecycle rule (AbortIncompleteMultipartUpload) removes them: configure one
 *       on the bucket.</li>
 *   <li><b>Read-after-write</b> is S3's own guarantee (strong consistency, since 2020); for
 *       another server, it is that server's.</li>
 *   <li><b>Errors.</b> Every SDK failure becomes an {@link IOException} naming the operation and
 *       the object's {@code s3://} location; NoSuchKey is an empty result, but a missing bucket or
 *       a refused request is an error.</li>
 * </ul>
 *
 * <p>Retries are left to the SDK's policy for S3 (its "legacy" mode in 2.56: up to four attempts
 * with exponential backoff and jitter, for throttling, 5xx answers and I/O errors). A part being
 * uploaded is held in memory ({@link S3ObjectStoreConfig#partSize()} per upload in progress) so
 * that a retry can resend it.
 * HTTP goes through the JDK's {@code HttpURLConnection} (the SDK's url-connection client): these
 * are large sequential transfers from a few threads, so a pooled asynchronous client would bring
 * weight and no speed. Uploads carry a CRC32 checksum that the server verifies (sent as a
 * header, not as an aws-chunked trailer: see the constructor).
 *
 * <p>Thread-safe: the client is, and the store keeps no other state.
 */
public final class S3ObjectStore implements ObjectStore {
    private static final Logger log = LoggerFactory.getLogger(S3ObjectStore.class);

    /** S3 refuses more parts than this in one upload. */
    static final int MAX_PARTS = 10_000;
    /** S3 deletes at most this many keys in one DeleteObjects request. */
    static final int MAX_KEYS_PER_DELETE = 1000;
    /** S3 lists at most this many keys in one ListObjectsV2 page. */
    static final int MAX_KEYS_PER_LIST = 1000;
    private static final String CONTENT_TYPE = "application/octet-stream";
    private static final int RANGE_NOT_SATISFIABLE = 416;

    /*
     * Bounds on a store that stops answering, so that a hung connection holds a reader or the tiering
     * thread for a while, not forever: connecting, waiting for the next bytes of a response, one
     * attempt (a 4 MiB ranged read or one multipart part), and a call with the SDK's retries.
     */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(3);

    private final S3ObjectStoreConfig config;
    private final String bucket;
    private final String prefix;
    private final S3Client s3;

    /**
     * Builds the client; nothing is sent to the bucket until the first call, so a wrong bucket or
     * wrong credentials show up as that call's {@link IOException}.
     *
     * @throws IllegalArgumentException when no region is configured and the SDK finds none either
     */
    public S3ObjectStore(S3ObjectStoreConfig config) {
        this.config = config;
        this.bucket = config.bucket();
        this.prefix = config.keyPrefix();
        S3ClientBuilder builder = S3Client.builder()
            .httpClientBuilder(UrlConnectionHttpClient.builder().connectionTimeout(CONNECT_TIMEOUT)
                .socketTimeout(SOCKET_TIMEOUT))
            .overrideConfiguration(o -> o.apiCallAttemptTimeout(ATTEMPT_TIMEOUT).apiCallTimeout(CALL_TIMEOUT))
            // Every body here can be read twice (a file or an array), so the SDK hashes and checksums
            // it up front and sends it as is. Streamed aws-chunked signing would save that read at the
            // price of compatibility: S3Proxy (Jetty) drops about one PUT in five that way over http.
            .serviceConfiguration(s -> s.chunkedEncodingEnabled(false))
            .forcePathStyle(config.pathStyleAccess());
        config.endpoint().ifPresent(builder::endpointOverride);
        config.effectiveRegion().ifPresent(region -> builder.region(Region.of(region)));
        config.credentials().ifPresent(c -> builder.credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(c.accessKey(), c.secretKey()))));
        try {
            this.s3 = builder.build();
        } catch (SdkException e) {
            throw new IllegalArgumentException("cannot set up the S3 client for " + config.describe()
                + " (is a region configured? " + S3ObjectStoreConfig.REGION + " or AWS_REGION): " + e.getMessage(), e);
        }
    }

    /**
     * Opens the store at {@code s3://bucket/prefix} with the {@code sluice.remote.storage.s3.*}
     * options (see {@link S3ObjectStoreConfig#fromUri}).
     */
    public static S3ObjectStore open(String uri, Map<String, String> options) {
        return new S3ObjectStore(S3ObjectStoreConfig.fromUri(uri, options));
    }

    public S3ObjectStoreConfig config() {
        return config;
    }

    private String objectKey(String key) {
        if (key.isEmpty() || key.startsWith("/")) {
            throw new IllegalArgumentException("not a valid object key: '" + key + "'");
        }
        return prefix + key;
    }

    @Override
    public void put(String key, Path file) throws IOException {
        String objectKey = objectKey(key);
        long size = Files.size(file);
        if (size > config.multipartThreshold()) {
            putInParts(key, objectKey, file, size);
            return;
        }
        try {
            s3.putObject(b -> b.bucket(bucket).key(objectKey).contentType(CONTENT_TYPE), RequestBody.fromFile(file));
        } catch (SdkException e) {
            throw failure("PUT", key, e);
        }
    }

    @Override
    public void put(String key, byte[] bytes) throws IOException {
        String objectKey = objectKey(key);
        try {
            s3.putObject(b -> b.bucket(bucket).key(objectKey), body(bytes, bytes.length));
        } catch (SdkException e) {
            throw failure("PUT", key, e);
        }
    }

    /** A body over the array as it is (no copy), which the SDK can read again for a retry. */
    private static RequestBody body(byte[] bytes, int length) {
        return RequestBody.fromContentProvider(() -> new ByteArrayInputStream(bytes, 0, length), length, CONTENT_TYPE);
    }

    /**
     * A multipart upload, one part at a time. Parts carry CRC32 checksums that S3 checks on
     * arrival and again, combined, on completion. Any failure aborts the upload, so its parts
     * neither become an object nor linger.
     */
    private void putInParts(String key, String objectKey, Path file, long size) throws IOException {
        // Parts grow past the configured size only for objects that would otherwise need too many.
        long partSize = Math.max(config.partSize(), (size + MAX_PARTS - 1) / MAX_PARTS);
        if (partSize > S3ObjectStoreConfig.MAX_PART_SIZE) {
            throw new IOException("too large to upload in " + MAX_PARTS + " parts of at most "
                + S3ObjectStoreConfig.MAX_PART_SIZE + " bytes: " + file + " (" + size + " bytes)");
        }
        String uploadId;
        try {
            uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(objectKey).contentType(CONTENT_TYPE)
                .checksumAlgorithm(ChecksumAlgorithm.CRC32)).uploadId();
        } catch (SdkException e) {
            throw failure("start multipart upload of", key, e);
        }
        boolean completed = false;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            byte[] buffer = new byte[(int) partSize];
            List<CompletedPart> parts = new ArrayList<>();
            long position = 0;
            for (int partNumber = 1; position < size; partNumber++) {
                int length = (int) Math.min(partSize, size - position);
                readFully(channel, ByteBuffer.wrap(buffer, 0, length), position, file);
                int number = partNumber;
                UploadPartResponse part = s3.uploadPart(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId)
                    .partNumber(number).contentLength((long) length).checksumAlgorithm(ChecksumAlgorithm.CRC32),
                    body(buffer, length));
                parts.add(CompletedPart.builder().partNumber(number).eTag(part.eTag())
                    .checksumCRC32(part.checksumCRC32()).build());
                position += length;
            }
            if (channel.size() != size) {
                throw new IOException(file + " changed size while it was uploaded to " + location(key));
            }
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId)
                .multipartUpload(m -> m.parts(parts)));
            completed = true;
        } catch (SdkException e) {
            throw failure("multipart upload of", key, e);
        } finally {
            if (!completed) {
                abort(key, objectKey, uploadId);
            }
        }
    }

    private void abort(String key, String objectKey, String uploadId) {
        try {
            s3.abortMultipartUpload(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId));
        } catch (SdkException e) {
            // Still invisible, and removed by the bucket's lifecycle rule if it has one.
            log.warn("Could not abort the failed multipart upload {} of {}: {}", uploadId, location(key),
                e.getMessage());
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position, Path file)
        throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new EOFException(file + " shrank while it was being uploaded");
            }
        }
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
        String objectKey = objectKey(key);
        try {
            return Optional.of(s3.getObjectAsBytes(b -> b.bucket(bucket).key(objectKey)).asByteArrayUnsafe());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw failure("GET", key, e);
        }
    }

    @Override
    public Optional<ByteBuffer> read(String key, long position, int length) throws IOException {
        if (position < 0 || length < 0) {
            throw new IllegalArgumentException("negative position or length: " + position + ", " + length);
        }
        String objectKey = objectKey(key);
        try {
            if (length == 0) {
                // An empty range cannot be asked for; only whether the object exists matters.
                s3.headObject(b -> b.bucket(bucket).key(objectKey));
                return Optional.of(ByteBuffer.allocate(0));
            }
            long last = position > Long.MAX_VALUE - length ? Long.MAX_VALUE : position + length - 1;
            ResponseBytes<GetObjectResponse> bytes =
                s3.getObjectAsBytes(b -> b.bucket(bucket).key(objectKey).range("bytes=" + position + "-" + last));
            ByteBuffer buffer = ByteBuffer.wrap(bytes.asByteArrayUnsafe());
            if (bytes.response().contentRange() == null && buffer.remaining() > length) {
                // A server that ignored the Range header sent the whole object.
                int from = (int) Math.min(position, buffer.remaining());
                buffer = buffer.position(from).limit((int) Math.min(buffer.limit(), from + (long) length)).slice();
            }
            return Optional.of(buffer);
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == RANGE_NOT_SATISFIABLE) {
                // The object exists and the range starts at or past its end.
                return Optional.of(ByteBuffer.allocate(0));
            }
            throw failure("ranged GET", key, e);
        } catch (SdkException e) {
            throw failure("ranged GET", key, e);
        }
    }

    @Override
    public List<String> list(String keyPrefix) throws IOException {
        return list(keyPrefix, MAX_KEYS_PER_LIST);
    }

    /** {@link #list(String)} in pages of at most {@code pageSize} keys (S3 sends at most 1000). */
    List<String> list(String keyPrefix, int pageSize) throws IOException {
        List<String> keys = new ArrayList<>();
        try {
            for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix + keyPrefix)
                .maxKeys(pageSize)).contents()) {
                keys.add(object.key().substring(prefix.length()));
            }
        } catch (SdkException e) {
            throw failure("LIST", keyPrefix + "*", e);
        }
        // S3 orders by UTF-8 bytes; the contract's order is String's, as every other store's.
        keys.sort(null);
        return keys;
    }

    @Override
    public void delete(List<String> keys) throws IOException {
        for (int from = 0; from < keys.size(); from += MAX_KEYS_PER_DELETE) {
            List<String> chunk = keys.subList(from, Math.min(keys.size(), from + MAX_KEYS_PER_DELETE));
            List<ObjectIdentifier> objects = new ArrayList<>(chunk.size());
            for (String key : chunk) {
                objects.add(ObjectIdentifier.builder().key(objectKey(key)).build());
            }
            DeleteObjectsResponse response;
            try {
                // Quiet: the answer lists only failures. Deleting a key that is not there succeeds.
                response = s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(objects).quiet(true)));
            } catch (SdkException e) {
                throw failure("DELETE", chunk.get(0) + (chunk.size() > 1 ? " and " + (chunk.size() - 1) + " more" : ""),
                    e);
            }
            if (response.hasErrors() && !response.errors().isEmpty()) {
                S3Error first = response.errors().get(0);
                throw new IOException("S3 DELETE failed for " + response.errors().size() + " of " + chunk.size()
                    + " objects in " + describe() + ", the first s3://" + bucket + "/" + first.key() + ": "
                    + first.code() + " " + first.message());
            }
        }
    }

    @Override
    public String describe() {
        return config.describe();
    }

    @Override
    public void close() {
        s3.close();
    }

    private String location(String key) {
        return "s3://" + bucket + "/" + prefix + key;
    }

    private IOException failure(String operation, String key, SdkException e) {
        String message = "S3 " + operation + " " + location(key) + " failed: " + e.getMessage();
        if (e instanceof AbortedException) {
            // The SDK gives up when its thread is interrupted; say so in the way java.io does.
            InterruptedIOException interrupted = new InterruptedIOException(message);
            interrupted.initCause(e);
            return interrupted;
        }
        return new IOException(message, e);
    }
}
