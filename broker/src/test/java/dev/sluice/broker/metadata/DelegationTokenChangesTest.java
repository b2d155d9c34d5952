package dev.sluice.broker.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.metadata.records.RemoveDelegationTokenRecord;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Renewing, expiring and sweeping delegation tokens against the metadata image, with Kafka's rules. */
class DelegationTokenChangesTest {
    private static final long DAY = 86_400_000L;
    private static final long NOW = 1_000_000_000L;

    /** Alice's token, issued at NOW by admin with bob as renewer: 1 day to expiry, 7 at most. */
    private static MetadataView withToken() {
        MetadataView view = new MetadataView("c");
        DelegationTokenImage token = DelegationTokenImage.issued("t1", "User:alice", "User:admin", List.of("User:bob"),
            NOW, 0, 7 * DAY, DAY);
        view.apply(List.of(MetadataView.delegationTokenRecord(token)), 0);
        return view;
    }

    private static void apply(MetadataView view, DelegationTokenChanges.Plan plan) {
        view.apply(plan.records(), view.appliedOffset() + 1);
    }

    @Test
    void issuedTokensTakeTheShorterLifetimeAndSaturate() {
        DelegationTokenImage token = DelegationTokenImage.issued("t", "User:a", "User:a", List.of(), NOW, 60_000, 7 * DAY,
            DAY);
        assertEquals(NOW + 60_000, token.maxMs());
        assertEquals(NOW + 60_000, token.expiryMs(), "the expiry never passes the maximum");
        DelegationTokenImage forever = DelegationTokenImage.issued("t", "User:a", "User:a", List.of(), NOW, -1,
            Long.MAX_VALUE, Long.MAX_VALUE);
        assertEquals(Long.MAX_VALUE, forever.maxMs());
        assertEquals(Long.MAX_VALUE, forever.expiryMs());
    }

    @Test
    void onlyTheOwnerAndRenewersRenewByAtMostTheExpiryTime() {
        MetadataView view = withToken();
        assertEquals(ErrorCode.DELEGATION_TOKEN_OWNER_MISMATCH,
            DelegationTokenChanges.renew(view.image(), "t1", "User:admin", 1000, DAY, NOW).error(),
            "the requester is neither owner nor renewer");
        assertEquals(ErrorCode.DELEGATION_TOKEN_NOT_FOUND,
            DelegationTokenChanges.renew(view.image(), "t2", "User:alice", 1000, DAY, NOW).error());

        DelegationTokenChanges.Plan renewed = DelegationTokenChanges.renew(view.image(), "t1", "User:bob", 30 * DAY, DAY,
            NOW + 1000);
        assertEquals(ErrorCode.NONE, renewed.error());
        assertEquals(NOW + 1000 + DAY, renewed.expiryMs(), "capped at delegation.token.expiry.time.ms");
        apply(view, renewed);
        assertEquals(NOW + 1000 + DAY, view.image().delegationTokens().get("t1").expiryMs());

        // Past the expiry a renewal is refused; near the maximum it stops there.
        assertEquals(ErrorCode.DELEGATION_TOKEN_EXPIRED,
            DelegationTokenChanges.renew(view.image(), "t1", "User:alice", -1, DAY, NOW + 2 * DAY).error());
        apply(view, DelegationTokenChanges.expire(view.image(), "t1", "User:alice", 7 * DAY, NOW));
        assertEquals(NOW + 7 * DAY, DelegationTokenChanges.renew(view.image(), "t1", "User:alice", -1, DAY,
            NOW + 6 * DAY + 1000).expiryMs(), "never past the maximum");
    }

    @Test
    void expiringMovesTheEndUpToTheMaximumAndANegativePeriodRemovesEvenAnExpiredToken() {
        MetadataView view = withToken();
        DelegationTokenChanges.Plan later = DelegationTokenChanges.expire(view.image(), "t1", "User:alice", 30 * DAY, NOW);
        assertEquals(NOW + 7 * DAY, later.expiryMs(), "an expiry is not capped by the expiry time, only the maximum");
        assertEquals(ErrorCode.DELEGATION_TOKEN_OWNER_MISMATCH,
            DelegationTokenChanges.expire(view.image(), "t1", "User:carol", -1, NOW).error());
        assertEquals(ErrorCode.DELEGATION_TOKEN_EXPIRED,
            DelegationTokenChanges.expire(view.image(), "t1", "User:bob", 1000, NOW + 2 * DAY).error());

        DelegationTokenChanges.Plan removed = DelegationTokenChanges.expire(view.image(), "t1", "User:bob", -1,
            NOW + 2 * DAY);
        assertEquals(ErrorCode.NONE, removed.error());
        assertEquals(NOW + 2 * DAY, removed.expiryMs());
        apply(view, removed);
        assertTrue(view.image().delegationTokens().isEmpty());
    }

    @Test
    void theSweepRemovesExpiredTokensOnlyAndSnapshotsKeepTheRest() {
        MetadataView view = withToken();
        view.apply(List.of(MetadataView.delegationTokenRecord(DelegationTokenImage.issued("t2", "User:bob", "User:bob",
            List.of(), NOW, 0, 7 * DAY, 3 * DAY))), 1);
        assertTrue(DelegationTokenChanges.removeExpired(view.image(), NOW + DAY).isEmpty(), "expiry is exclusive");
        List<Message> swept = DelegationTokenChanges.removeExpired(view.image(), NOW + DAY + 1);
        assertEquals(List.of("t1"), swept.stream().map(r -> ((RemoveDelegationTokenRecord) r).tokenId()).toList());
        view.apply(swept, 2);

        MetadataView restored = new MetadataView("c");
        restored.load(MetadataRecords.decode(MetadataRecords.encode(MetadataView.snapshot(view.image()))), 2);
        assertEquals(view.image().delegationTokens(), restored.image().delegationTokens());
        assertEquals(List.of(), restored.image().delegationTokens().get("t2").renewers());
    }
}
