package dev.sluice.broker.metadata;

import java.util.List;

/**
 * A delegation token as the metadata log holds it (KIP-48): who it authenticates as, who may renew
 * it, and its times. Its HMAC is not here: it is derived from the id and the cluster's secret key.
 *
 * @param owner the principal a login with the token authenticates as, {@code Type:name}
 * @param requester the principal that created it
 * @param renewers principals besides the owner that may renew or expire it
 * @param issueMs when it was created, epoch ms
 * @param maxMs the latest it may expire, whatever renewals ask
 * @param expiryMs when it expires unless renewed
 */
public record DelegationTokenImage(String tokenId, String owner, String requester, List<String> renewers,
                                   long issueMs, long maxMs, long expiryMs) {
    public DelegationTokenImage {
        renewers = List.copyOf(renewers);
    }

    /**
     * A token issued at {@code nowMs}, as Kafka's controller times it: it may live the requested
     * maximum lifetime, or {@code maxLifetimeMs} when the request asks for none (0 or less) or for
     * more, and expires {@code expiryTimeMs} from now unless renewed.
     */
    public static DelegationTokenImage issued(String tokenId, String owner, String requester, List<String> renewers,
                                              long nowMs, long requestedMaxLifetimeMs, long maxLifetimeMs,
                                              long expiryTimeMs) {
        long lifetime = requestedMaxLifetimeMs <= 0 ? maxLifetimeMs : Math.min(requestedMaxLifetimeMs, maxLifetimeMs);
        long maxMs = saturatedSum(nowMs, lifetime);
        return new DelegationTokenImage(tokenId, owner, requester, renewers, nowMs, maxMs,
            Math.min(maxMs, saturatedSum(nowMs, expiryTimeMs)));
    }

    /** {@code a + b}, or Long.MAX_VALUE where the sum would overflow. */
    static long saturatedSum(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    /** Whether it has expired at {@code nowMs}. */
    public boolean expiredAt(long nowMs) {
        return nowMs > expiryMs || nowMs > maxMs;
    }

    /** Whether {@code principal} ({@code Type:name}) owns, requested or may renew it. */
    public boolean ownerRequesterOrRenewer(String principal) {
        return owner.equals(principal) || requester.equals(principal) || renewers.contains(principal);
    }

    /** The same token expiring at {@code ms}. */
    public DelegationTokenImage withExpiry(long ms) {
        return new DelegationTokenImage(tokenId, owner, requester, renewers, issueMs, maxMs, ms);
    }
}
