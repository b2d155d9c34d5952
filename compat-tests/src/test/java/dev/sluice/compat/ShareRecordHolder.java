package dev.sluice.compat;

import java.time.Duration;
import java.util.Properties;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A share group member that takes records and never acknowledges them, for tests that kill it:
 * {@code ShareRecordHolder BOOTSTRAP TOPIC GROUP}. It prints {@code holding O O ...} with the offsets
 * of its first non-empty poll, then keeps its connection and waits to be killed.
 */
public final class ShareRecordHolder {
    private ShareRecordHolder() {
    }

    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        props.put("group.id", args[2]);
        props.put("share.acknowledgement.mode", "explicit");
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", StringDeserializer.class.getName());
        KafkaShareConsumer<String, String> consumer = new KafkaShareConsumer<>(props);
        consumer.subscribe(java.util.List.of(args[1]));
        TreeSet<Long> held = new TreeSet<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (held.isEmpty() && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                held.add(r.offset());
            }
        }
        StringBuilder line = new StringBuilder("holding");
        held.forEach(o -> line.append(' ').append(o));
        System.out.println(line);
        System.out.flush();
        // Holds its records and its connection until the test kills it.
        new java.util.concurrent.CountDownLatch(1).await();
    }
}
