package dev.sluice.broker.replica;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.ConfigResolver;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.records.ConfigRecord;
import dev.sluice.broker.metadata.records.TopicRecord;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The replication throttle's rate over its window, and how the metadata sets it on a broker. */
class ReplicationQuotaTest {
    private final AtomicLong now = new AtomicLong(1_000_000);

    private ReplicationQuota quota(int windows, long windowMs, long bound) {
        ReplicationQuota quota = new ReplicationQuota(windows, windowMs, now::get);
        quota.bound(bound);
        quota.throttled(Map.of("t", ReplicationQuota.allPartitions()));
        return quota;
    }

    @Test
    void rateIsTheWindowsBytesOverTheTimeTheySpanCountingAtLeastAllButOneSample() {
        ReplicationQuota quota = quota(11, 1000, 1000);
        quota.record(5000);
        // Ten samples' time at least, so a first burst reads as 500 bytes/s, not as 5000 in no time.
        assertEquals(500.0, quota.rate(), 0.001);
        assertFalse(quota.exceeded());
        now.addAndGet(3000);
        quota.record(8000);
        assertEquals(1300.0, quota.rate(), 0.001);
        assertTrue(quota.exceeded());
    }

    @Test
    void bytesOlderThanTheWholeWindowNoLongerCount() {
        ReplicationQuota quota = quota(2, 1000, 100);
        quota.record(10_000);
        assertTrue(quota.exceeded());
        now.addAndGet(1500);
        assertTrue(quota.exceeded(), "still inside the two-sample window");
        now.addAndGet(600);
        assertEquals(0.0, quota.rate(), 0.001);
        assertFalse(quota.exceeded());
    }

    @Test
    void overTimeTheAllowedTrafficAveragesTheBoundPlusOneFetchPerWindow() {
        // A fetcher that sends 64 KiB whenever the quota allows it, every 10 ms for a minute.
        ReplicationQuota quota = quota(3, 1000, 100_000);
        long sent = 0;
        for (int tick = 0; tick < 6000; tick++) {
            if (!quota.exceeded()) {
                quota.record(65_536);
                sent += 65_536;
            }
            now.addAndGet(10);
        }
        // Each check may let one fetch through above the bound: at most one more per window's span.
        assertTrue(sent <= (100_000L + 65_536 / 3) * 60 + 100_000L * 3, "sent " + sent);
        assertTrue(sent >= 100_000L * 55, "sent " + sent);
    }

    @Test
    void anUnboundedQuotaThrottlesNothingAndIsNeverExceeded() {
        ReplicationQuota quota = quota(11, 1000, ReplicationQuota.UNBOUNDED);
        quota.record(Long.MAX_VALUE / 4);
        assertFalse(quota.isThrottled("t", 0));
        assertFalse(quota.exceeded());
        quota.bound(10);
        assertTrue(quota.isThrottled("t", 0));
        assertTrue(quota.exceeded());
    }

    @Test
    void theMetadataSetsBothRatesAndThePartitionsWhosePairsNameThisBroker() {
        MetadataView view = new MetadataView("c");
        view.load(List.of(), -1);
        ReplicationQuotas quotas = new ReplicationQuotas(2,
            new ConfigResolver(BrokerConfig.parse(Map.of("log.dirs", "/tmp/unused"))),
            new ReplicationQuota(11, 1000, now::get), new ReplicationQuota(11, 1000, now::get));
        quotas.load(view.image());
        view.addListener(quotas);
        assertEquals(ReplicationQuota.UNBOUNDED, quotas.leader().bound());
        assertEquals(ReplicationQuota.UNBOUNDED, quotas.follower().bound());

        view.apply(List.of(new TopicRecord().setName("a").setTopicId(Controller.randomId()),
            new TopicRecord().setName("b").setTopicId(Controller.randomId()),
            topicConfig("a", "leader.replication.throttled.replicas", "0:1,0:2,1:3,2:2"),
            topicConfig("a", "follower.replication.throttled.replicas", "0:3"),
            topicConfig("b", "follower.replication.throttled.replicas", "*"),
            brokerConfig("", "leader.replication.throttled.rate", "1000"),
            brokerConfig("2", "leader.replication.throttled.rate", "500"),
            brokerConfig("3", "follower.replication.throttled.rate", "700")), 0);
        // Broker 2's own override wins over the cluster-wide one; broker 3's is not its.
        assertEquals(500, quotas.leader().bound());
        assertEquals(ReplicationQuota.UNBOUNDED, quotas.follower().bound());
        assertTrue(quotas.leader().isThrottled("a", 0));
        assertTrue(quotas.leader().isThrottled("a", 2));
        assertFalse(quotas.leader().isThrottled("a", 1), "1:3 names broker 3");
        assertFalse(quotas.leader().isThrottled("b", 0));

        view.apply(List.of(brokerConfig("", "follower.replication.throttled.rate", "300")), 1);
        assertEquals(300, quotas.follower().bound());
        assertTrue(quotas.follower().isThrottled("b", 7));
        assertFalse(quotas.follower().isThrottled("a", 0), "0:3 names broker 3");

        // Removing the rate (kafka-reassign-partitions --verify does) lifts the throttle at once.
        view.apply(List.of(new ConfigRecord().setResourceType(Controller.BROKER_RESOURCE).setResourceName("2")
            .setName("leader.replication.throttled.rate").setValue(null)), 2);
        assertEquals(1000, quotas.leader().bound());
    }

    private static ConfigRecord topicConfig(String topic, String name, String value) {
        return new ConfigRecord().setResourceType(Controller.TOPIC_RESOURCE).setResourceName(topic).setName(name)
            .setValue(value);
    }

    private static ConfigRecord brokerConfig(String broker, String name, String value) {
        return new ConfigRecord().setResourceType(Controller.BROKER_RESOURCE).setResourceName(broker).setName(name)
            .setValue(value);
    }
}
