package dev.sluice.storage.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class S3ObjectStoreConfigTest {
    @Test
    void aUriNamesTheBucketAndPrefix() {
        S3ObjectStoreConfig config = S3ObjectStoreConfig.fromUri("s3://tiered/cluster-1/segments", Map.of());
        assertEquals("tiered", config.bucket());
        assertEquals("cluster-1/segments/", config.keyPrefix());
        assertEquals("s3://tiered/cluster-1/segments", config.describe());
        assertEquals(Optional.empty(), config.endpoint());
        assertEquals(Optional.empty(), config.effectiveRegion(), "left to the SDK's lookup on AWS");
        assertFalse(config.pathStyleAccess());
        assertEquals(Optional.empty(), config.credentials());
        assertEquals(S3ObjectStoreConfig.DEFAULT_PART_SIZE, config.partSize());
        assertEquals(S3ObjectStoreConfig.DEFAULT_PART_SIZE, config.multipartThreshold());

        assertEquals("", S3ObjectStoreConfig.fromUri("s3://tiered", Map.of()).keyPrefix());
        assertEquals("", S3ObjectStoreConfig.fromUri("s3://tiered/", Map.of()).keyPrefix());
        assertEquals("s3://tiered", S3ObjectStoreConfig.fromUri("s3://tiered/", Map.of()).describe());
        assertEquals("p/", S3ObjectStoreConfig.fromUri("s3://tiered/p/", Map.of()).keyPrefix());
    }

    @Test
    void optionsSetTheEndpointRegionAddressingAndCredentials() {
        S3ObjectStoreConfig config = S3ObjectStoreConfig.fromUri("s3://b/p", Map.of(
            S3ObjectStoreConfig.ENDPOINT, "http://127.0.0.1:9000",
            S3ObjectStoreConfig.PATH_STYLE_ACCESS, "TRUE",
            S3ObjectStoreConfig.ACCESS_KEY, "AKIAEXAMPLE",
            S3ObjectStoreConfig.SECRET_KEY, "s3cr3t"));
        assertEquals(Optional.of(URI.create("http://127.0.0.1:9000")), config.endpoint());
        assertEquals(Optional.of("us-east-1"), config.effectiveRegion(), "the default beside an endpoint");
        assertTrue(config.pathStyleAccess());
        assertEquals("AKIAEXAMPLE", config.credentials().orElseThrow().accessKey());
        assertEquals("s3cr3t", config.credentials().orElseThrow().secretKey());
        assertFalse(config.toString().contains("s3cr3t"), config.toString());

        S3ObjectStoreConfig withRegion = S3ObjectStoreConfig.fromUri("s3://b/p", Map.of(
            S3ObjectStoreConfig.ENDPOINT, "https://s3.example.net", S3ObjectStoreConfig.REGION, "eu-west-3"));
        assertEquals(Optional.of("eu-west-3"), withRegion.effectiveRegion());
    }

    @Test
    void badSettingsAreRejectedWithTheirName() {
        assertMessage("not an s3://", () -> S3ObjectStoreConfig.fromUri("gs://b/p", Map.of()));
        assertMessage("no bucket", () -> S3ObjectStoreConfig.fromUri("s3:///p", Map.of()));
        assertMessage("credentials", () -> S3ObjectStoreConfig.fromUri("s3://key:secret@b/p", Map.of()));
        assertMessage("query", () -> S3ObjectStoreConfig.fromUri("s3://b/p?region=x", Map.of()));
        assertMessage(S3ObjectStoreConfig.PATH_STYLE_ACCESS,
            () -> S3ObjectStoreConfig.fromUri("s3://b", Map.of(S3ObjectStoreConfig.PATH_STYLE_ACCESS, "yes")));
        assertMessage(S3ObjectStoreConfig.SECRET_KEY,
            () -> S3ObjectStoreConfig.fromUri("s3://b", Map.of(S3ObjectStoreConfig.ACCESS_KEY, "k")));
        assertMessage("endpoint",
            () -> S3ObjectStoreConfig.fromUri("s3://b", Map.of(S3ObjectStoreConfig.ENDPOINT, "127.0.0.1:9000")));
        assertMessage("part size", () -> S3ObjectStoreConfig.builder("b").partSize(1024 * 1024).build());
    }

    private static void assertMessage(String expected, Runnable action) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
