package dev.sluice.broker.metadata;

import java.io.IOException;
import java.util.List;

/**
 * Makes new partitions ready where they will live before the change that creates them is
 * written, and undoes that when the change is not written. The controller calls every preparer it
 * was given: on a single node these are the {@link MetadataView}'s listeners, since this node holds
 * every partition; a controller whose partitions live on other brokers is given none of them.
 */
public interface PartitionPreparer {
    /**
     * Called before a change that adds {@code added} partitions to {@code topic} (a new topic or a
     * grown one) is written, so that whatever the partitions need (directories, open logs) exists
     * before the change is acknowledged. Throwing keeps the partitions, and for a new topic the
     * topic, out of the metadata: the request is answered with an error instead. Called on the
     * controller's preparing thread for new topics (while metadata changes are applied) and on the
     * controller thread for grown ones, so it must be safe against a concurrent
     * {@link MetadataListener#onChange} and a concurrent call for another topic.
     *
     * @param image the image the change was planned on
     */
    void prepare(MetadataImage image, TopicImage topic, List<PartitionImage> added) throws IOException;

    /**
     * Called on the controller thread: the change {@link #prepare} was called for will not be
     * written (another preparer refused, or the metadata log did not take it): release and remove
     * what was prepared.
     */
    void abandon(TopicImage topic, List<PartitionImage> added);
}
