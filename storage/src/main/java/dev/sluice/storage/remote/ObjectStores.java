package dev.sluice.storage.remote;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** Opens the {@link ObjectStore} a configured location names. */
public final class ObjectStores {
    private ObjectStores() {
    }

    /**
     * The store at {@code uri}:
     * <ul>
     *   <li>empty or null: a {@link DirectoryObjectStore} in {@code defaultDir} (the zero-config
     *       default);</li>
     *   <li>{@code file:///path}: a {@link DirectoryObjectStore} there;</li>
     *   <li>{@code s3://bucket/prefix}: an {@link S3ObjectStore}, set up from the
     *       {@code sluice.remote.storage.s3.*} entries of {@code options}
     *       (see {@link S3ObjectStoreConfig#fromUri}).</li>
     * </ul>
     *
     * @throws IllegalArgumentException for another scheme or an invalid setting
     * @throws IOException if the directory cannot be created
     */
    public static ObjectStore open(String uri, Map<String, String> options, Path defaultDir) throws IOException {
        if (uri == null || uri.isBlank()) {
            return new DirectoryObjectStore(defaultDir);
        }
        URI location;
        try {
            location = new URI(uri.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid object store URI: " + uri, e);
        }
        String scheme = location.getScheme() == null ? "" : location.getScheme().toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "file" -> {
                if (location.isOpaque() || location.getPath() == null || location.getPath().isEmpty()
                    || (location.getAuthority() != null && !location.getAuthority().isEmpty())) {
                    throw new IllegalArgumentException("a file object store URI needs an absolute path, as in "
                        + "file:///var/lib/sluice/remote, not " + uri);
                }
                yield new DirectoryObjectStore(Path.of(location));
            }
            case "s3" -> S3ObjectStore.open(uri.trim(), options);
            default -> throw new IllegalArgumentException("unsupported object store URI " + uri
                + ": use file:///path for a directory or s3://bucket/prefix for S3-compatible storage");
        };
    }
}
