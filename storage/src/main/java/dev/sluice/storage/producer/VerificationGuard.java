package dev.sluice.storage.producer;

/**
 * The token of one transaction verification (KIP-890): before the first transactional write of a
 * producer to a partition, the partition hands out a guard and the broker asks the transaction
 * coordinator whether the partition belongs to the producer's ongoing transaction. The write is
 * accepted only if the partition still holds the same guard, so a marker that ended the
 * transaction meanwhile (which clears the guard) turns the late write away instead of leaving a
 * transaction open forever. Compared by identity.
 */
public final class VerificationGuard {
    /** No verification needed: the producer already has a transaction open on the partition. */
    public static final VerificationGuard NONE = new VerificationGuard(-1);

    private final long producerId;

    public VerificationGuard(long producerId) {
        this.producerId = producerId;
    }

    public long producerId() {
        return producerId;
    }

    @Override
    public String toString() {
        return this == NONE ? "VerificationGuard(none)" : "VerificationGuard(" + producerId + "@" + System.identityHashCode(this) + ")";
    }
}
