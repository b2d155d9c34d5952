package dev.sluice.broker.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.sluice.broker.SluiceCluster;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code @SluiceTest(brokers = 3)} gives the class one in-process cluster, as field and as parameter. */
@SluiceTest(brokers = 3, config = "num.partitions=4")
class SluiceClusterExtensionTest {
    static SluiceCluster cluster;

    @Test
    void theClassClusterIsInjectedWithEveryBrokerRunningAndTheSharedConfig(SluiceCluster parameter) {
        assertSame(cluster, parameter);
        assertEquals(List.of(1, 2, 3), cluster.running());
        for (int id : cluster.running()) {
            assertEquals(4, cluster.broker(id).config().getInt("num.partitions"));
        }
    }
}
