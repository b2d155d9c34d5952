package dev.sluice.broker.metadata;

import java.io.IOException;
import java.util.List;

/**
 * Told of every metadata change after it is published. Called on the metadata log's applying
 * thread, in order; implementations must not block for long. A listener that holds partitions may
 * also prepare them (see {@link PartitionPreparer}); by default it prepares nothing.
 */
@FunctionalInterface
public interface MetadataListener extends PartitionPreparer {
    void onChange(MetadataImage previous, MetadataImage next);

    @Override
    default void prepare(MetadataImage image, TopicImage topic, List<PartitionImage> added) throws IOException {
    }

    @Override
    default void abandon(TopicImage topic, List<PartitionImage> added) {
    }
}
