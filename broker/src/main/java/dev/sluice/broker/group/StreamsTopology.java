package dev.sluice.broker.group;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.wire.message.StreamsGroupHeartbeatRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A streams group's topology checked against the cluster metadata (KIP-1071): whether its source
 * topics exist, how many partitions each repartition topic and changelog needs, how many tasks each
 * subtopology has, and which internal topics are missing (to be created by the broker) or have the
 * wrong number of partitions.
 *
 * <p>Partition counts are derived as Kafka Streams expects: a repartition topic whose count the
 * application did not fix takes the largest count among the inputs of the subtopology that writes
 * it, worked out until nothing changes; the topics of a co-partition group must agree (their
 * repartition topics take the count of the others); a subtopology has one task per partition of its
 * largest input; its changelogs have one partition per task.
 *
 * <p>Stateless.
 */
final class StreamsTopology {
    /** One entry of a heartbeat's Status: Kafka's code and what it says. */
    record Status(int code, String detail) {
    }

    /**
     * The outcome: {@code error} (STREAMS_INVALID_TOPOLOGY's message) when the topology cannot be
     * configured at all; else whether it is {@code ready} (every topic exists with the right count),
     * the statuses saying why not, the tasks per subtopology, the internal topics to create, the
     * partition count decided for each internal topic, and a hash of the topics it reads.
     */
    record Configured(String error, boolean ready, List<Status> statuses, Map<String, Integer> tasks,
                      List<Controller.NewTopic> topicsToCreate, Map<String, Integer> internalPartitions,
                      long metadataHash) {
        static Configured invalid(String error) {
            return new Configured(error, false, List.of(), Map.of(), List.of(), Map.of(), 0);
        }
    }

    private StreamsTopology() {
    }

    static Configured configure(StreamsGroupHeartbeatRequest.Topology topology, MetadataImage image) {
        long hash = 17;
        List<String> missing = new ArrayList<>();
        for (StreamsGroupHeartbeatRequest.Subtopology s : topology.subtopologies()) {
            for (String source : s.sourceTopics()) {
                Optional<TopicImage> t = image.topic(source);
                if (t.isEmpty()) {
                    missing.add(source);
                }
            }
        }
        for (String name : requiredTopics(topology)) {
            Optional<TopicImage> t = image.topic(name);
            hash = 31 * hash + name.hashCode();
            hash = 31 * hash + t.map(ti -> ti.id().hashCode() * 31L + ti.partitions().size()).orElse(-1L);
        }
        if (!missing.isEmpty()) {
            return new Configured(null, false, List.of(new Status(1, "Source topics " + names(missing)
                + " are missing.")), Map.of(), List.of(), Map.of(), hash);
        }
        Map<String, Integer> repartition = new HashMap<>();
        Map<String, StreamsGroupHeartbeatRequest.TopicInfo> repartitionInfo = new HashMap<>();
        for (StreamsGroupHeartbeatRequest.Subtopology s : topology.subtopologies()) {
            for (StreamsGroupHeartbeatRequest.TopicInfo t : s.repartitionSourceTopics()) {
                repartitionInfo.put(t.name(), t);
                if (t.partitions() > 0) {
                    repartition.put(t.name(), t.partitions());
                }
            }
        }
        for (String name : repartitionInfo.keySet()) {
            boolean written = topology.subtopologies().stream().anyMatch(s -> s.repartitionSinkTopics().contains(name));
            if (!written && !repartition.containsKey(name)) {
                return Configured.invalid("Repartition source topic " + name + " has no partition count and no"
                    + " subtopology writes it.");
            }
        }
        boolean progress = true;
        while (progress) {
            progress = false;
            for (StreamsGroupHeartbeatRequest.Subtopology s : topology.subtopologies()) {
                Integer inputs = maxInput(s, image, repartition);
                if (inputs == null) {
                    continue;
                }
                for (String sink : s.repartitionSinkTopics()) {
                    if (repartitionInfo.containsKey(sink) && !repartition.containsKey(sink)) {
                        repartition.put(sink, inputs);
                        progress = true;
                    }
                }
            }
        }
        for (String name : repartitionInfo.keySet()) {
            if (!repartition.containsKey(name)) {
                return Configured.invalid("The partition count of repartition topic " + name + " cannot be derived.");
            }
        }
        List<Status> statuses = new ArrayList<>();
        for (StreamsGroupHeartbeatRequest.Subtopology s : topology.subtopologies()) {
            for (StreamsGroupHeartbeatRequest.CopartitionGroup g : s.copartitionGroups()) {
                Map<String, Integer> external = new TreeMap<>();
                for (short i : g.sourceTopics()) {
                    String name = s.sourceTopics().get(i);
                    external.put(name, image.topic(name).map(t -> t.partitions().size()).orElse(0));
                }
                if (new TreeSet<>(external.values()).size() > 1) {
                    statuses.add(new Status(2, "Following topics do not have the same number of partitions: "
                        + external.keySet()));
                    continue;
                }
                int count = external.isEmpty() ? -1 : external.values().iterator().next();
                for (short i : g.repartitionSourceTopics()) {
                    StreamsGroupHeartbeatRequest.TopicInfo info = s.repartitionSourceTopics().get(i);
                    if (count < 0) {
                        count = repartition.get(info.name());
                    }
                    if (info.partitions() > 0 && info.partitions() != count) {
                        statuses.add(new Status(2, "Repartition topic " + info.name() + " has " + info.partitions()
                            + " partitions, not the " + count + " of its co-partitioned topics."));
                    } else {
                        repartition.put(info.name(), count);
                    }
                }
            }
        }
        Map<String, Integer> tasks = new TreeMap<>();
        Map<String, Integer> internal = new LinkedHashMap<>(repartition);
        Map<String, StreamsGroupHeartbeatRequest.TopicInfo> infos = new LinkedHashMap<>(repartitionInfo);
        for (StreamsGroupHeartbeatRequest.Subtopology s : topology.subtopologies()) {
            Integer count = maxInput(s, image, repartition);
            int n = count == null ? 0 : count;
            tasks.put(s.subtopologyId(), n);
            for (StreamsGroupHeartbeatRequest.TopicInfo changelog : s.stateChangelogTopics()) {
                internal.put(changelog.name(), n);
                infos.put(changelog.name(), changelog);
            }
        }
        List<String> absent = new ArrayList<>();
        List<Controller.NewTopic> create = new ArrayList<>();
        for (Map.Entry<String, Integer> e : internal.entrySet()) {
            Optional<TopicImage> t = image.topic(e.getKey());
            if (t.isEmpty()) {
                absent.add(e.getKey());
                StreamsGroupHeartbeatRequest.TopicInfo info = infos.get(e.getKey());
                Map<String, String> configs = new LinkedHashMap<>();
                info.topicConfigs().forEach(kv -> configs.put(kv.key(), kv.value()));
                create.add(new Controller.NewTopic(e.getKey(), e.getValue(),
                    info.replicationFactor() > 0 ? info.replicationFactor() : (short) -1, null, configs));
            } else if (t.get().partitions().size() != e.getValue()) {
                statuses.add(new Status(2, "Existing topic " + e.getKey() + " has different number of partitions:"
                    + " expected " + e.getValue() + ", found " + t.get().partitions().size()));
            }
        }
        if (!absent.isEmpty()) {
            statuses.add(new Status(3, "Internal topics are missing: " + names(absent)));
        }
        return new Configured(null, statuses.isEmpty(), statuses, tasks, create, internal, hash);
    }

    /** The largest partition count among a subtopology's inputs, or null while a repartition input's is unknown. */
    private static Integer maxInput(StreamsGroupHeartbeatRequest.Subtopology s, MetadataImage image,
                                    Map<String, Integer> repartition) {
        int max = 0;
        for (String source : s.sourceTopics()) {
            max = Math.max(max, image.topic(source).map(t -> t.partitions().size()).orElse(0));
        }
        for (StreamsGroupHeartbeatRequest.TopicInfo t : s.repartitionSourceTopics()) {
            Integer count = repartition.get(t.name());
            if (count == null) {
                return null;
            }
            max = Math.max(max, count);
        }
        return max;
    }

    /** The topics the group depends on: sources, repartition topics and changelogs. */
    static List<String> requiredTopics(StreamsGroupHeartbeatRequest.Topology topology) {
        TreeSet<String> names = new TreeSet<>();
        for (StreamsGroupHeartbeatRequest.Subtopology s : topology.subtopologies()) {
            names.addAll(s.sourceTopics());
            s.repartitionSourceTopics().forEach(t -> names.add(t.name()));
            s.stateChangelogTopics().forEach(t -> names.add(t.name()));
        }
        return new ArrayList<>(names);
    }

    private static String names(List<String> topics) {
        List<String> sorted = new ArrayList<>(new TreeSet<>(topics));
        String shown = String.join(", ", sorted.subList(0, Math.min(3, sorted.size())));
        return sorted.size() > 3 ? shown + " and " + (sorted.size() - 3) + " additional topics" : shown;
    }
}
