package dev.sluice.storage.remote;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where an {@link S3ObjectStore} keeps its objects and how it reaches them.
 *
 * <p>Built with {@link #builder(String)} or, from the broker's settings, with
 * {@link #fromUri(String, Map)}: the location is a URI {@code s3://bucket/prefix} and the rest
 * comes from the {@code sluice.remote.storage.s3.*} options.
 *
 * @param bucket the bucket, which must exist already
 * @param keyPrefix prepended to every key; either empty or ending in {@code /}, so the store's keys
 *     are "directories" under it
 * @param endpoint where to send requests, for S3-compatible servers (MinIO, Ceph RGW, R2...);
 *     empty for AWS, where the SDK derives it from the region
 * @param region the signing region; empty means us-east-1 when an endpoint is given (most
 *     S3-compatible servers ignore it), else the SDK's default lookup (AWS_REGION, profile,
 *     instance metadata)
 * @param pathStyleAccess address the bucket as {@code endpoint/bucket/key} rather than
 *     {@code bucket.endpoint/key}; most self-hosted servers need it
 * @param credentials an access key and secret; empty means the SDK's default provider chain
 *     (environment, system properties, profile, web identity, container and instance roles)
 * @param partSize the size of each part of a multipart upload; at least 5 MiB, S3's minimum for
 *     every part but the last
 * @param multipartThreshold files larger than this are uploaded in parts rather than by a single
 *     PUT
 */
public record S3ObjectStoreConfig(
    String bucket,
    String keyPrefix,
    Optional<URI> endpoint,
    Optional<String> region,
    boolean pathStyleAccess,
    Optional<Credentials> credentials,
    int partSize,
    long multipartThreshold) {

    public static final String ENDPOINT = "sluice.remote.storage.s3.endpoint";
    public static final String REGION = "sluice.remote.storage.s3.region";
    public static final String PATH_STYLE_ACCESS = "sluice.remote.storage.s3.path.style.access";
    public static final String ACCESS_KEY = "sluice.remote.storage.s3.access.key";
    public static final String SECRET_KEY = "sluice.remote.storage.s3.secret.key";

    /** S3's smallest part (every part of an upload but the last must be at least this). */
    public static final int MIN_PART_SIZE = 5 * 1024 * 1024;
    public static final int DEFAULT_PART_SIZE = 8 * 1024 * 1024;
    /** Each part is buffered in memory while it is sent (so a retry can resend it); keep that bounded. */
    public static final int MAX_PART_SIZE = 512 * 1024 * 1024;

    /** The region used with an endpoint when none is configured. */
    static final String ENDPOINT_DEFAULT_REGION = "us-east-1";

    public S3ObjectStoreConfig {
        Objects.requireNonNull(bucket, "bucket");
        if (bucket.isEmpty() || bucket.contains("/")) {
            throw new IllegalArgumentException("not a valid bucket name: '" + bucket + "'");
        }
        keyPrefix = normalizePrefix(Objects.requireNonNull(keyPrefix, "keyPrefix"));
        Objects.requireNonNull(endpoint, "endpoint");
        endpoint.ifPresent(S3ObjectStoreConfig::checkEndpoint);
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(credentials, "credentials");
        if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
            throw new IllegalArgumentException("the multipart part size must be between " + MIN_PART_SIZE + " and "
                + MAX_PART_SIZE + " bytes, not " + partSize);
        }
        if (multipartThreshold < 0) {
            throw new IllegalArgumentException("the multipart threshold must not be negative: " + multipartThreshold);
        }
    }

    public static Builder builder(String bucket) {
        return new Builder(bucket);
    }

    /** The region requests are signed for: the configured one, else us-east-1 when an endpoint is set. */
    public Optional<String> effectiveRegion() {
        return region.isPresent() || endpoint.isEmpty() ? region : Optional.of(ENDPOINT_DEFAULT_REGION);
    }

    /** {@code s3://bucket/prefix}, without a trailing slash. */
    public String describe() {
        return "s3://" + bucket + (keyPrefix.isEmpty() ? "" : "/" + keyPrefix.substring(0, keyPrefix.length() - 1));
    }

    /**
     * Reads a location {@code s3://bucket/prefix} and the {@code sluice.remote.storage.s3.*}
     * options ({@link #ENDPOINT}, {@link #REGION}, {@link #PATH_STYLE_ACCESS}, {@link #ACCESS_KEY},
     * {@link #SECRET_KEY}); other keys in {@code options} are ignored, so the broker can pass all
     * of its remote storage settings.
     *
     * @throws IllegalArgumentException naming the offending setting
     */
    public static S3ObjectStoreConfig fromUri(String uri, Map<String, String> options) {
        URI location;
        try {
            location = new URI(uri);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid object store URI: " + uri, e);
        }
        if (!"s3".equalsIgnoreCase(location.getScheme()) || location.isOpaque()) {
            throw new IllegalArgumentException("not an s3://bucket/prefix URI: " + uri);
        }
        if (location.getRawUserInfo() != null || location.getPort() != -1) {
            // Credentials in the URI would end up in logs; an endpoint belongs in its own option.
            throw new IllegalArgumentException("an s3:// URI names only a bucket and a prefix (credentials and the "
                + "endpoint are options " + ACCESS_KEY + ", " + SECRET_KEY + " and " + ENDPOINT + "): " + uri);
        }
        if (location.getRawQuery() != null || location.getRawFragment() != null) {
            throw new IllegalArgumentException("an s3:// URI takes no query or fragment: " + uri);
        }
        String bucket = location.getAuthority();
        if (bucket == null || bucket.isEmpty()) {
            throw new IllegalArgumentException("no bucket in " + uri);
        }
        String path = location.getPath() == null ? "" : location.getPath();
        Builder builder = builder(bucket).keyPrefix(path.startsWith("/") ? path.substring(1) : path);

        String endpoint = option(options, ENDPOINT);
        if (endpoint != null) {
            try {
                builder.endpoint(new URI(endpoint));
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException(ENDPOINT + " is not a valid URI: " + endpoint, e);
            }
        }
        String region = option(options, REGION);
        if (region != null) {
            builder.region(region);
        }
        String pathStyle = option(options, PATH_STYLE_ACCESS);
        if (pathStyle != null) {
            switch (pathStyle.toLowerCase(Locale.ROOT)) {
                case "true" -> builder.pathStyleAccess(true);
                case "false" -> builder.pathStyleAccess(false);
                default -> throw new IllegalArgumentException(PATH_STYLE_ACCESS + " must be true or false, not "
                    + pathStyle);
            }
        }
        String accessKey = option(options, ACCESS_KEY);
        String secretKey = option(options, SECRET_KEY);
        if ((accessKey == null) != (secretKey == null)) {
            throw new IllegalArgumentException(ACCESS_KEY + " and " + SECRET_KEY + " must be set together");
        }
        if (accessKey != null) {
            builder.credentials(accessKey, secretKey);
        }
        return builder.build();
    }

    /** A set option's trimmed value; null when it is absent or blank. */
    private static String option(Map<String, String> options, String key) {
        String value = options.get(key);
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static String normalizePrefix(String prefix) {
        String p = prefix;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p.isEmpty() || p.endsWith("/") ? p : p + "/";
    }

    private static void checkEndpoint(URI endpoint) {
        String scheme = endpoint.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
            || endpoint.getHost() == null) {
            throw new IllegalArgumentException("the S3 endpoint must be an http:// or https:// URI with a host, not "
                + endpoint);
        }
    }

    /** A static access key and secret. Its {@code toString} hides the secret, so the config can be logged. */
    public record Credentials(String accessKey, String secretKey) {
        public Credentials {
            Objects.requireNonNull(accessKey, "accessKey");
            Objects.requireNonNull(secretKey, "secretKey");
        }

        @Override
        public String toString() {
            return "Credentials[accessKey=" + accessKey + ", secretKey=(hidden)]";
        }
    }

    /**
     * Optional settings, by default: no prefix, AWS endpoints, virtual-host addressing, the SDK's
     * credentials chain, 8 MiB parts.
     */
    public static final class Builder {
        private final String bucket;
        private String keyPrefix = "";
        private URI endpoint;
        private String region;
        private boolean pathStyleAccess;
        private Credentials credentials;
        private int partSize = DEFAULT_PART_SIZE;
        private Long multipartThreshold;

        private Builder(String bucket) {
            this.bucket = bucket;
        }

        public Builder keyPrefix(String keyPrefix) {
            this.keyPrefix = keyPrefix;
            return this;
        }

        public Builder endpoint(URI endpoint) {
            this.endpoint = endpoint;
            return this;
        }

        public Builder region(String region) {
            this.region = region;
            return this;
        }

        public Builder pathStyleAccess(boolean pathStyleAccess) {
            this.pathStyleAccess = pathStyleAccess;
            return this;
        }

        public Builder credentials(String accessKey, String secretKey) {
            this.credentials = new Credentials(accessKey, secretKey);
            return this;
        }

        /** Also the multipart threshold, unless that is set on its own. */
        public Builder partSize(int partSize) {
            this.partSize = partSize;
            return this;
        }

        public Builder multipartThreshold(long multipartThreshold) {
            this.multipartThreshold = multipartThreshold;
            return this;
        }

        public S3ObjectStoreConfig build() {
            return new S3ObjectStoreConfig(bucket, keyPrefix, Optional.ofNullable(endpoint),
                Optional.ofNullable(region), pathStyleAccess, Optional.ofNullable(credentials), partSize,
                multipartThreshold == null ? partSize : multipartThreshold);
        }
    }
}
