package dev.sluice.broker.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs the annotated test class against an embedded Sluice broker; see {@link SluiceExtension}.
 *
 * <pre>{@code
 * @SluiceTest(config = {"num.partitions=3", "auto.create.topics.enable=false"})
 * class OrdersTest {
 *     static SluiceBroker broker;            // injected before @BeforeAll methods
 *
 *     @Test
 *     void sendsOrders(SluiceBroker broker) { // or as a parameter
 *         ... broker.bootstrapServers() ...
 *     }
 * }
 * }</pre>
 *
 * On a test method, it gives that method a broker of its own, configured with the class's
 * {@link #config} followed by the method's (the method's wins for a key set in both); the
 * method's {@link #lifecycle} is not used. A {@code @Nested} class without its own annotation uses
 * its enclosing class's settings and, per class, its broker; one with its own gets its own broker
 * and does not inherit the enclosing class's {@link #config}.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(SluiceExtension.class)
public @interface SluiceTest {
    /**
     * Broker settings as {@code key=value}, with Kafka's {@code server.properties} names (and
     * Sluice's own, such as {@code sluice.metrics.port=0}). Everything else is the embedded
     * default: a free port on localhost and a fresh temporary data directory.
     */
    String[] config() default {};

    /**
     * How many brokers: 1 (the default) runs the tests against one {@link dev.sluice.broker.SluiceBroker};
     * more runs them against an in-process {@link dev.sluice.broker.SluiceCluster} of that many
     * brokers (fields and parameters of type {@code SluiceCluster}), each a broker and controller of
     * the cluster's metadata quorum. {@link #config} applies to every broker.
     */
    int brokers() default 1;

    /** Whether the test class shares one broker or each test gets a fresh one. */
    Lifecycle lifecycle() default Lifecycle.PER_CLASS;

    /** How long a broker lives. */
    enum Lifecycle {
        /** One broker for all tests of the class (and of its {@code @Nested} classes), closed after them. */
        PER_CLASS,
        /** A fresh broker, with an empty data directory, for each test method; closed after it. */
        PER_TEST
    }
}
