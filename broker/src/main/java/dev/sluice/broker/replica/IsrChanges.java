package dev.sluice.broker.replica;

import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.Partitions;
import dev.sluice.wire.message.AlterPartitionRequest;
import dev.sluice.wire.message.AlterPartitionResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntToLongFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A leader's side of ISR changes: sends the changes its partitions want (a follower caught up: an
 * expansion, decided on each replica fetch; a follower not caught up for
 * {@code replica.lag.time.max.ms}: a shrink, checked every half of that) to the controller as
 * AlterPartition through an {@link IsrChannel}, one request per change, and hands each answer
 * back to its partition. A partition has at most one change in flight ({@link Partition} keeps it
 * as pending and counts the maximal ISR meanwhile).
 *
 * <p>Answers: NONE installs the controller's ISR and partition epoch (unless an image already
 * did); INVALID_UPDATE_VERSION, FENCED_LEADER_EPOCH and UNKNOWN_TOPIC_OR_PARTITION mean this
 * leader's view is stale, and the change stays pending until the next image settles it, as in
 * Kafka; any other error, or no answer, drops it, and the next fetch or check proposes it again.
 *
 * <p>Threading: {@link #isrChangeWanted} runs on partition writers; answers are handed to the
 * partitions' writers. One daemon thread runs the periodic shrink check.
 */
public final class IsrChanges implements Partition.IsrListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IsrChanges.class);

    private final Partitions partitions;
    private final IsrChannel channel;
    private final int nodeId;
    private final LongSupplier brokerEpoch;
    private final IntToLongFunction brokerEpochs;
    private final ScheduledExecutorService checks;

    /**
     * Registers itself with {@code partitions} and starts the periodic shrink check.
     *
     * @param brokerEpoch this broker's epoch, -1 while unknown
     * @param brokerEpochs each broker's epoch as the metadata has it, -1 when unknown (the
     *     controller then checks only the ids)
     * @param lagTimeMs {@code replica.lag.time.max.ms}
     */
    public IsrChanges(Partitions partitions, IsrChannel channel, int nodeId, LongSupplier brokerEpoch,
                      IntToLongFunction brokerEpochs, long lagTimeMs) {
        this.partitions = partitions;
        this.channel = channel;
        this.nodeId = nodeId;
        this.brokerEpoch = brokerEpoch;
        this.brokerEpochs = brokerEpochs;
        this.checks = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-isr-check");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(1, lagTimeMs / 2);
        checks.scheduleWithFixedDelay(() -> shrinkLagging(lagTimeMs), period, period, TimeUnit.MILLISECONDS);
        partitions.setIsrListener(this);
    }

    private void shrinkLagging(long lagTimeMs) {
        for (Partition p : partitions.all()) {
            if (p.isLeader()) {
                p.maybeShrinkIsr(lagTimeMs);
            }
        }
    }

    @Override
    public boolean isrChangeWanted(Partition partition, Partition.IsrProposal proposal) {
        List<AlterPartitionRequest.BrokerState> members = new ArrayList<>(proposal.isr().size());
        for (int id : proposal.isr()) {
            long epoch = id == nodeId ? brokerEpoch.getAsLong() : brokerEpochs.applyAsLong(id);
            if (epoch < 0) {
                // Not (yet) an unfenced broker in this node's metadata: the controller would refuse it
                // as INELIGIBLE_REPLICA. The follower's next fetch asks again, as Kafka's leader does.
                log.debug("Not asking to change the ISR of {} to {}: broker {} is not an active broker in this "
                    + "node's metadata", partition, proposal.isr(), id);
                return false;
            }
            members.add(new AlterPartitionRequest.BrokerState().setBrokerId(id).setBrokerEpoch(epoch));
        }
        AlterPartitionRequest request = new AlterPartitionRequest().setBrokerId(nodeId)
            .setBrokerEpoch(brokerEpoch.getAsLong())
            .setTopics(new ArrayList<>(List.of(new AlterPartitionRequest.TopicData().setTopicId(partition.topicId())
                .setPartitions(new ArrayList<>(List.of(new AlterPartitionRequest.PartitionData()
                    .setPartitionIndex(partition.index()).setLeaderEpoch(proposal.leaderEpoch())
                    .setPartitionEpoch(proposal.partitionEpoch()).setNewIsrWithEpochs(members)))))));
        log.debug("Asking the controller to change the ISR of {} to {}", partition, proposal.isr());
        channel.alterPartition(request).whenComplete((response, failure) -> answered(partition, proposal, response,
            failure));
        return true;
    }

    private void answered(Partition partition, Partition.IsrProposal proposal, AlterPartitionResponse response,
                          Throwable failure) {
        if (failure != null) {
            log.warn("No answer from the controller to the ISR change {} of {}: {}", proposal.isr(), partition,
                failure.toString());
            partition.isrChangeFailed(proposal, false);
            return;
        }
        ErrorCode error = ErrorCode.forCode(response.errorCode());
        AlterPartitionResponse.PartitionData answer = null;
        if (error == ErrorCode.NONE) {
            for (AlterPartitionResponse.TopicData t : response.topics()) {
                for (AlterPartitionResponse.PartitionData p : t.partitions()) {
                    if (p.partitionIndex() == partition.index()) {
                        answer = p;
                    }
                }
            }
            error = answer == null ? ErrorCode.UNKNOWN_SERVER_ERROR : ErrorCode.forCode(answer.errorCode());
        }
        switch (error) {
            case NONE -> partition.isrChanged(proposal, answer.leaderEpoch(), answer.partitionEpoch(), answer.isr());
            case INVALID_UPDATE_VERSION, FENCED_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION -> {
                log.info("The controller refused the ISR change {} of {} ({}); waiting for the next metadata",
                    proposal.isr(), partition, error);
                partition.isrChangeFailed(proposal, true);
            }
            default -> {
                log.warn("The controller refused the ISR change {} of {}: {}", proposal.isr(), partition, error);
                partition.isrChangeFailed(proposal, false);
            }
        }
    }

    @Override
    public void close() {
        checks.shutdownNow();
        partitions.setIsrListener((partition, proposal) -> false);
    }
}
