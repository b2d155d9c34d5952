/**
 * Partition roles and the operations that wait on them: {@link dev.sluice.broker.replica.Replicas}
 * turns metadata changes into become-leader / become-follower on each local partition and announces
 * leadership to {@link dev.sluice.broker.replica.LeadershipListener}s;
 * {@link dev.sluice.broker.replica.DelayedOperations} parks requests (fetch long polls,
 * {@code acks=all} produce) until a partition's high watermark satisfies them or they time out.
 */
package dev.sluice.broker.replica;
