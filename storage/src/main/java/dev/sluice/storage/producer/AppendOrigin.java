package dev.sluice.storage.producer;

/** Who wrote a batch to a partition: what the producer-state checks apply to it. */
public enum AppendOrigin {
    /** A producer's Produce request: every check (epochs, sequences, transaction verification). */
    CLIENT,
    /**
     * A coordinator writing its own internal topic (transactional offset commits, markers): epochs
     * are checked, sequences and verification are not, since the coordinator itself decided.
     */
    COORDINATOR,
    /** A follower copying its leader: nothing is checked again, state is only tracked. */
    REPLICATION
}
