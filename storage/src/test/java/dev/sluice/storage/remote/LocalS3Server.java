package dev.sluice.storage.remote;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real S3 HTTP API for tests: S3Proxy in this JVM on 127.0.0.1 at a free port, keeping objects
 * in memory, with one empty bucket and signature checking on (V2 or V4, as real S3).
 *
 * <p>As a JUnit 5 extension it starts before a test class and stops after it:
 * <pre>{@code
 * @RegisterExtension
 * static final LocalS3Server S3 = new LocalS3Server();
 * ...
 * try (ObjectStore store = new S3ObjectStore(S3.config("some/prefix").build())) { ... }
 * }</pre>
 * It can also be driven by hand with {@link #start()} and {@link #close()}. Tests of other modules
 * can use it once storage publishes its test classes as a test-jar and they depend on S3Proxy too
 * (the parent pom manages its version and exclusions).
 */
public final class LocalS3Server implements BeforeAllCallback, AfterAllCallback, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalS3Server.class);

    public static final String ACCESS_KEY = "sluice-test-access";
    public static final String SECRET_KEY = "sluice-test-secret";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final String bucket;
    private final UnaryOperator<BlobStore> decorator;
    private BlobStore blobStore;
    private S3Proxy proxy;
    private URI endpoint;
    private Duration startTime;

    /** A server with the bucket {@code sluice-test}. */
    public LocalS3Server() {
        this("sluice-test", UnaryOperator.identity());
    }

    /**
     * @param decorator wraps the in-memory store the server serves from, for tests that inspect
     *     or fail requests on the server's side (see S3Proxy's {@code ForwardingBlobStore})
     */
    public LocalS3Server(String bucket, UnaryOperator<BlobStore> decorator) {
        this.bucket = bucket;
        this.decorator = decorator;
    }

    public synchronized void start() throws Exception {
        if (proxy != null) {
            throw new IllegalStateException("already started");
        }
        long started = System.nanoTime();
        blobStore = decorator.apply(new TransientNio2BlobStore());
        blobStore.createContainer(bucket);
        S3Proxy server = S3Proxy.builder()
            .blobStore(blobStore)
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .build();
        server.start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!"STARTED".equals(server.getState())) {
            if (System.nanoTime() > deadline) {
                server.stop();
                throw new IllegalStateException("S3Proxy did not start within " + START_TIMEOUT + ": "
                    + server.getState());
            }
            Thread.sleep(5);
        }
        proxy = server;
        endpoint = URI.create("http://127.0.0.1:" + server.getPort());
        startTime = Duration.ofNanos(System.nanoTime() - started);
        log.info("S3Proxy serving bucket {} at {}, started in {} ms", bucket, endpoint, startTime.toMillis());
    }

    @Override
    public synchronized void close() throws IOException {
        if (proxy == null) {
            return;
        }
        try {
            proxy.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while stopping S3Proxy");
        } catch (Exception e) {
            throw new IOException("S3Proxy did not stop cleanly", e);
        } finally {
            proxy = null;
            blobStore.close();
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        close();
    }

    public URI endpoint() {
        requireStarted();
        return endpoint;
    }

    public String bucket() {
        return bucket;
    }

    /**
     * A broker's settings for tiering to this server under {@code prefix}: the store's URI and
     * its {@code sluice.remote.storage.s3.*} options.
     */
    public java.util.Map<String, String> brokerConfig(String prefix) {
        java.util.Map<String, String> config = new java.util.LinkedHashMap<>();
        config.put("remote.log.storage.system.enable", "true");
        config.put("sluice.remote.storage.uri", "s3://" + bucket + "/" + prefix);
        config.put("sluice.remote.storage.s3.endpoint", endpoint().toString());
        config.put("sluice.remote.storage.s3.region", "us-east-1");
        config.put("sluice.remote.storage.s3.path.style.access", "true");
        config.put("sluice.remote.storage.s3.access.key", ACCESS_KEY);
        config.put("sluice.remote.storage.s3.secret.key", SECRET_KEY);
        return config;
    }

    /** The store the server serves from, to look behind the S3 API (e.g. at multipart uploads in progress). */
    public BlobStore blobStore() {
        requireStarted();
        return blobStore;
    }

    /** How long {@link #start()} took, bucket creation included. */
    public Duration startTime() {
        requireStarted();
        return startTime;
    }

    /** A configuration reaching this server's bucket under {@code keyPrefix}, with S3's smallest part size. */
    public S3ObjectStoreConfig.Builder config(String keyPrefix) {
        return S3ObjectStoreConfig.builder(bucket)
            .keyPrefix(keyPrefix)
            .endpoint(endpoint())
            .pathStyleAccess(true)
            .credentials(ACCESS_KEY, SECRET_KEY)
            .partSize(S3ObjectStoreConfig.MIN_PART_SIZE);
    }

    private synchronized void requireStarted() {
        if (proxy == null) {
            throw new IllegalStateException("the S3 server is not running");
        }
    }
}
