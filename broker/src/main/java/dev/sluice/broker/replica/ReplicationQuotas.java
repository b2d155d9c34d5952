package dev.sluice.broker.replica;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.BrokerConfigKeys;
import dev.sluice.broker.config.ConfigResolver;
import dev.sluice.broker.config.TopicConfigKeys;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataListener;
import dev.sluice.broker.metadata.TopicImage;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This broker's two replication throttles, kept in step with the metadata: the leader's (bytes it
 * sends to throttled followers) and the follower's (bytes it fetches for throttled replicas). The
 * rates are dynamic broker keys, so {@code kafka-configs --alter --entity-type brokers} and
 * {@code kafka-reassign-partitions --throttle} change them on a running broker: every image is
 * read again, this broker's own override first, then the cluster-wide one, then server.properties.
 *
 * <p>The throttled replicas come from each topic's {@code leader.replication.throttled.replicas}
 * and {@code follower.replication.throttled.replicas}. As in Kafka, each broker keeps the
 * partitions whose pairs name itself: on a leader, a pair {@code partition:leader} throttles what
 * that leader sends to the partition's out-of-sync followers; on a follower, a pair
 * {@code partition:follower} throttles what that follower fetches while it is out of sync. The
 * reassignment tool lists a moving partition's current replicas in the leader list and its new
 * ones in the follower list.
 *
 * <p>Threading: {@link #load} and {@link #onChange} run on the metadata thread; the quotas they
 * update are thread-safe.
 */
public final class ReplicationQuotas implements MetadataListener {
    private static final Logger log = LoggerFactory.getLogger(ReplicationQuotas.class);

    private final int nodeId;
    private final ConfigResolver resolver;
    private final ReplicationQuota leader;
    private final ReplicationQuota follower;

    /** Quotas on the system clock, with the window of {@code replication.quota.window.*}. */
    public static ReplicationQuotas from(BrokerConfig config, int nodeId, ConfigResolver resolver) {
        int windows = config.getInt(BrokerConfigKeys.REPLICATION_QUOTA_WINDOW_NUM);
        long windowMs = config.getInt(BrokerConfigKeys.REPLICATION_QUOTA_WINDOW_SIZE_SECONDS) * 1000L;
        return new ReplicationQuotas(nodeId, resolver, new ReplicationQuota(windows, windowMs, System::currentTimeMillis),
            new ReplicationQuota(windows, windowMs, System::currentTimeMillis));
    }

    public ReplicationQuotas(int nodeId, ConfigResolver resolver, ReplicationQuota leader, ReplicationQuota follower) {
        this.nodeId = nodeId;
        this.resolver = resolver;
        this.leader = leader;
        this.follower = follower;
    }

    /** What this broker sends, as leader, to throttled followers. */
    public ReplicationQuota leader() {
        return leader;
    }

    /** What this broker fetches, as follower, for throttled replicas. */
    public ReplicationQuota follower() {
        return follower;
    }

    /** Takes the throttles of the image the broker starts from. */
    public void load(MetadataImage image) {
        apply(image);
    }

    @Override
    public void onChange(MetadataImage previous, MetadataImage next) {
        apply(next);
    }

    private void apply(MetadataImage image) {
        Map<String, String> own = image.brokerConfigs(Integer.toString(nodeId));
        Map<String, String> cluster = image.brokerConfigs("");
        set(leader, "leader", rate(BrokerConfigKeys.LEADER_REPLICATION_THROTTLED_RATE, own, cluster));
        set(follower, "follower", rate(BrokerConfigKeys.FOLLOWER_REPLICATION_THROTTLED_RATE, own, cluster));
        Map<String, Set<Integer>> led = new HashMap<>();
        Map<String, Set<Integer>> followed = new HashMap<>();
        for (TopicImage topic : image.topics()) {
            throttledHere(topic.configs().get(TopicConfigKeys.LEADER_REPLICATION_THROTTLED_REPLICAS))
                .ifPresent(p -> led.put(topic.name(), p));
            throttledHere(topic.configs().get(TopicConfigKeys.FOLLOWER_REPLICATION_THROTTLED_REPLICAS))
                .ifPresent(p -> followed.put(topic.name(), p));
        }
        leader.throttled(led);
        follower.throttled(followed);
    }

    private long rate(String key, Map<String, String> own, Map<String, String> cluster) {
        String value = resolver.broker(key, own, cluster).value();
        return value == null ? ReplicationQuota.UNBOUNDED : Long.parseLong(value);
    }

    private static void set(ReplicationQuota quota, String side, long rate) {
        if (quota.bound() != rate) {
            log.info("Replication to throttled replicas on the {} side: {}", side,
                rate == ReplicationQuota.UNBOUNDED ? "unthrottled" : rate + " bytes/s");
            quota.bound(rate);
        }
    }

    /**
     * The partitions a throttled-replicas list throttles on this broker: those it pairs with this
     * broker's id, or all for {@code *}; empty when it names none here.
     */
    Optional<Set<Integer>> throttledHere(String list) {
        if (list == null || list.isBlank()) {
            return Optional.empty();
        }
        if (list.trim().equals("*")) {
            return Optional.of(ReplicationQuota.allPartitions());
        }
        Set<Integer> partitions = new HashSet<>();
        for (String pair : list.split(",")) {
            String[] parts = pair.trim().split(":");
            // The topic key's check accepted only partition:broker pairs; anything else names nobody.
            if (parts.length == 2 && parts[1].trim().equals(Integer.toString(nodeId))) {
                partitions.add(Integer.parseInt(parts[0].trim()));
            }
        }
        return partitions.isEmpty() ? Optional.empty() : Optional.of(partitions);
    }
}
