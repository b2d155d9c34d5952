package dev.sluice.broker.metadata;

import dev.sluice.wire.codec.Uuid;
import java.util.List;
import java.util.Map;

/**
 * A topic as the cluster metadata describes it: its id, partitions in index order and its config
 * overrides (only the keys set on the topic; defaults are resolved elsewhere). Immutable.
 */
public record TopicImage(String name, Uuid id, List<PartitionImage> partitions, Map<String, String> configs) {
    public TopicImage {
        partitions = List.copyOf(partitions);
        configs = Map.copyOf(configs);
    }

    public boolean isInternal() {
        return TopicNames.isInternal(name);
    }

    public TopicImage withPartitions(List<PartitionImage> newPartitions) {
        return new TopicImage(name, id, newPartitions, configs);
    }

    public TopicImage withConfigs(Map<String, String> newConfigs) {
        return new TopicImage(name, id, partitions, newConfigs);
    }
}
