package dev.sluice.broker.metadata;

import java.io.IOException;
import java.util.List;

/**
 * Told of every metadata change after it is published. Called on the controller's thread, in
 * order; implementations must not block for long.
 */
@FunctionalInterface
public interface MetadataListener {
    void onChange(MetadataImage previous, MetadataImage next);

    /**
     * Called before a change that adds {@code added} partitions to
     * {@code topic} (a new topic or a grown one) is written, so that whatever the partitions need
     * (directories, open logs) exists before the change is acknowledged. Throwing keeps the
     * partitions, and for a new topic the topic, out of the metadata: the request is answered
     * with an error instead. Called on the controller's preparing thread for new topics (while the
     * controller thread publishes other changes) and on the controller thread for grown ones, so
     * it must be safe against a concurrent {@link #onChange} and a concurrent call for another
     * topic.
     *
     * @param image the image the change was planned on
     */
    default void prepare(MetadataImage image, TopicImage topic, List<PartitionImage> added) throws IOException {
    }

    /**
     * Called on the controller thread: the change {@link #prepare} was called for will not be published (another listener refused,
     * or the journal could not be written): release and remove what was prepared.
     */
    default void abandon(TopicImage topic, List<PartitionImage> added) {
    }
}
