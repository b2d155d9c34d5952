package dev.sluice.broker.cluster;

import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * What one node knows of the metadata quorum, for DescribeQuorum: the leader and its term (Kafka's
 * leader epoch), and on the leader each voter's progress.
 *
 * @param leaderId the leader this node knows of
 * @param term the node's current Raft term
 * @param lastAppliedIndex the last log index this node's applier has applied
 * @param voters on the leader, every voter (itself included); elsewhere empty, since only the leader tracks them
 * @param observers on the leader, the brokers that are not voters and fetched the metadata log from it
 *     lately, with the last index each had applied; elsewhere empty
 */
public record QuorumState(OptionalInt leaderId, long term, long lastAppliedIndex, List<VoterState> voters,
    List<VoterState> observers) {
    public QuorumState {
        voters = List.copyOf(voters);
        observers = List.copyOf(observers);
    }

    /**
     * One voter's progress as the leader sees it.
     *
     * @param nodeId the voter
     * @param lastAckedIndex the highest log index the voter has acknowledged (the leader: has on its own
     *     disk); Kafka's log end offset of a voter
     * @param lastContactMillisAgo milliseconds since the leader last heard from it; zero for the leader itself
     */
    public record VoterState(int nodeId, long lastAckedIndex, OptionalLong lastContactMillisAgo) {
    }
}
