package dev.sluice.broker.metadata;

import dev.sluice.broker.metadata.records.RemoveDelegationTokenRecord;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * Plans changes to delegation tokens against the metadata image, on the controller thread, as
 * Kafka's controller makes them: only the token's owner or one of its renewers may renew or expire
 * it (DELEGATION_TOKEN_OWNER_MISMATCH, super users included), an expired token can only be removed
 * (DELEGATION_TOKEN_EXPIRED), and no change takes a token past its maximum time. A renewal moves
 * the expiry at most {@code delegation.token.expiry.time.ms} ahead; an expiry may move it anywhere
 * up to the maximum.
 */
final class DelegationTokenChanges {
    /** The records to write and the outcome: an error, or the token's expiry after the change. */
    record Plan(List<Message> records, ErrorCode error, long expiryMs) {
        /** Kafka's controller leaves the expiry at 0 in a refusal. */
        static Plan refused(ErrorCode error) {
            return new Plan(List.of(), error, 0);
        }
    }

    private DelegationTokenChanges() {
    }

    /**
     * Renews {@code tokenId} by {@code principal} ({@code Type:name}) for {@code periodMs} from
     * {@code nowMs}, but no longer than {@code expiryTimeMs} (which a period of 0 or less means).
     */
    static Plan renew(MetadataImage image, String tokenId, String principal, long periodMs, long expiryTimeMs,
                      long nowMs) {
        DelegationTokenImage token = image.delegationTokens().get(tokenId);
        if (token == null) {
            return Plan.refused(ErrorCode.DELEGATION_TOKEN_NOT_FOUND);
        }
        if (token.expiredAt(nowMs)) {
            return Plan.refused(ErrorCode.DELEGATION_TOKEN_EXPIRED);
        }
        if (!mayChange(token, principal)) {
            return Plan.refused(ErrorCode.DELEGATION_TOKEN_OWNER_MISMATCH);
        }
        long expiry = Math.min(token.maxMs(), nowMs + (periodMs > 0 ? Math.min(periodMs, expiryTimeMs) : expiryTimeMs));
        return new Plan(List.of(MetadataView.delegationTokenRecord(token.withExpiry(expiry))), ErrorCode.NONE, expiry);
    }

    /**
     * Moves {@code tokenId}'s expiry to {@code periodMs} from {@code nowMs}; a negative period
     * expires it now, and the token is removed.
     */
    static Plan expire(MetadataImage image, String tokenId, String principal, long periodMs, long nowMs) {
        DelegationTokenImage token = image.delegationTokens().get(tokenId);
        if (token == null) {
            return Plan.refused(ErrorCode.DELEGATION_TOKEN_NOT_FOUND);
        }
        if (!mayChange(token, principal)) {
            return Plan.refused(ErrorCode.DELEGATION_TOKEN_OWNER_MISMATCH);
        }
        if (periodMs < 0) {
            // Even an expired token: it leaves the metadata now rather than at the next sweep.
            return new Plan(List.of(new RemoveDelegationTokenRecord().setTokenId(tokenId)), ErrorCode.NONE, nowMs);
        }
        if (token.expiredAt(nowMs)) {
            return Plan.refused(ErrorCode.DELEGATION_TOKEN_EXPIRED);
        }
        long expiry = Math.min(token.maxMs(), DelegationTokenImage.saturatedSum(nowMs, periodMs));
        return new Plan(List.of(MetadataView.delegationTokenRecord(token.withExpiry(expiry))), ErrorCode.NONE, expiry);
    }

    /** Removes every token expired at {@code nowMs}. */
    static List<Message> removeExpired(MetadataImage image, long nowMs) {
        List<Message> records = new ArrayList<>();
        for (DelegationTokenImage token : image.delegationTokens().values()) {
            if (token.expiredAt(nowMs)) {
                records.add(new RemoveDelegationTokenRecord().setTokenId(token.tokenId()));
            }
        }
        return records;
    }

    /** The owner and the renewers; not the requester, nor a super user. */
    private static boolean mayChange(DelegationTokenImage token, String principal) {
        return token.owner().equals(principal) || token.renewers().contains(principal);
    }

}
