package dev.sluice.broker.security;

import dev.sluice.broker.metadata.DelegationTokenImage;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.security.sasl.DelegationTokens;
import dev.sluice.broker.security.sasl.ScramCredential;
import dev.sluice.broker.security.sasl.ScramMechanism;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What this node knows of delegation tokens beyond the metadata log (KIP-48): the cluster's secret
 * key ({@code delegation.token.secret.key}, the same on every node), from which a token's HMAC is
 * derived as HMAC-SHA512 of its id, and the SCRAM credentials a login with a token is checked
 * against. A client logs in with the token id as user name and the Base64 of the HMAC as password,
 * so each node derives the credentials itself; they are made on a token's first login and
 * forgotten once it leaves the metadata.
 *
 * <p>Without a secret key, tokens are disabled: {@link #enabled()} is false and no login with a
 * token succeeds. Thread-safe.
 */
public final class TokenAuthority implements DelegationTokens {
    private static final String MAC = "HmacSHA512";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;
    private final Supplier<MetadataImage> image;
    private final LongSupplier clockMs;
    /** Credentials made so far, by token id and then mechanism; tied to the token's issue time. */
    private final Map<String, Derived> credentials = new ConcurrentHashMap<>();

    private record Derived(long issueMs, Map<ScramMechanism, ScramCredential> byMechanism) {
    }

    /**
     * @param secretKey the configured secret key; null or empty disables tokens
     * @param image the current metadata image
     */
    public TokenAuthority(String secretKey, Supplier<MetadataImage> image, LongSupplier clockMs) {
        this.key = secretKey == null || secretKey.isEmpty() ? null
            : new SecretKeySpec(secretKey.getBytes(StandardCharsets.UTF_8), MAC);
        this.image = image;
        this.clockMs = clockMs;
    }

    /** Whether a secret key is configured, so that tokens can be created and used. */
    public boolean enabled() {
        return key != null;
    }

    /** The token's HMAC, which its holder proves at login; only when {@link #enabled()}. */
    public byte[] hmac(String tokenId) {
        if (key == null) {
            throw new IllegalStateException("delegation tokens are disabled: no delegation.token.secret.key");
        }
        try {
            Mac mac = Mac.getInstance(MAC);
            mac.init(key);
            return mac.doFinal(tokenId.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks " + MAC, e);
        }
    }

    /** The token in the current metadata whose HMAC is {@code hmac}, expired or not. */
    public Optional<DelegationTokenImage> byHmac(byte[] hmac) {
        if (key == null || hmac == null) {
            return Optional.empty();
        }
        for (DelegationTokenImage token : image.get().delegationTokens().values()) {
            if (MessageDigest.isEqual(hmac(token.tokenId()), hmac)) {
                return Optional.of(token);
            }
        }
        return Optional.empty();
    }

    /** The credential a login with the token checks, if it exists and has not expired. */
    @Override
    public Optional<TokenCredential> find(String tokenId, ScramMechanism mechanism) {
        if (key == null) {
            return Optional.empty();
        }
        MetadataImage current = image.get();
        credentials.keySet().removeIf(id -> !current.delegationTokens().containsKey(id));
        DelegationTokenImage token = current.delegationTokens().get(tokenId);
        if (token == null || token.expiredAt(clockMs.getAsLong())) {
            return Optional.empty();
        }
        Derived derived = credentials.compute(tokenId, (id, old) ->
            old != null && old.issueMs() == token.issueMs() ? old : new Derived(token.issueMs(), new ConcurrentHashMap<>()));
        ScramCredential credential = derived.byMechanism().computeIfAbsent(mechanism, m -> {
            byte[] salt = new byte[32];
            RANDOM.nextBytes(salt);
            return m.credential(Base64.getEncoder().encodeToString(hmac(tokenId)), salt, m.minIterations());
        });
        KafkaPrincipal owner = KafkaPrincipal.parse(token.owner());
        return Optional.of(new TokenCredential(owner.name(), credential, token.expiryMs()));
    }
}
