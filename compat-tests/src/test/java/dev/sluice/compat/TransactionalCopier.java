package dev.sluice.compat;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A consume-transform-produce loop run as its own process by {@link TransactionalCopyTest}: it
 * copies every record of an input topic to the same partition of an output topic, one
 * transaction per poll, with the consumed offsets sent to the transaction, and aborts its first
 * transaction and a share of the others on purpose (rewinding to the group's committed offsets,
 * as an application must). A read_committed consumer in a group feeds it.
 *
 * <pre>
 *   TransactionalCopier BOOTSTRAP INPUT OUTPUT GROUP TRANSACTIONAL_ID ABORT_PERCENT PAUSE_MS SEED
 * </pre>
 *
 * It prints {@code ready} once its producer is initialised, then {@code committed N} and
 * {@code aborted N} (records so far) after each transaction, and runs until killed. When the
 * broker fails it in a way an application cannot recover from in place (fenced, a commit whose
 * outcome is unknown, a timeout while initialising), it prints {@code fatal ...} and exits 3; the
 * test then starts a successor with the same transactional id, whose initialisation ends whatever
 * its predecessor left open. {@code PAUSE_MS} is slept after each transaction, so that the copy
 * lasts long enough for the broker to be killed during it.
 */
final class TransactionalCopier {
    private TransactionalCopier() {
    }

    public static void main(String[] args) {
        String bootstrap = args[0];
        String input = args[1];
        String output = args[2];
        String group = args[3];
        String transactionalId = args[4];
        int abortPercent = Integer.parseInt(args[5]);
        long pauseMs = Long.parseLong(args[6]);
        Random random = new Random(Long.parseLong(args[7]));

        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps(bootstrap, group));
        KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(bootstrap, transactionalId));
        long committed = 0;
        long aborted = 0;
        try {
            producer.initTransactions();
            consumer.subscribe(Set.of(input));
            System.out.println("ready");
            while (true) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
                if (records.isEmpty()) {
                    continue;
                }
                producer.beginTransaction();
                Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
                for (ConsumerRecord<String, String> r : records) {
                    producer.send(new ProducerRecord<>(output, r.partition(), r.key(), r.value()));
                    next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                }
                try {
                    producer.sendOffsetsToTransaction(next, consumer.groupMetadata());
                    // The first is always aborted, so that every run has aborted data in the log to hide.
                    if (aborted == 0 && committed == 0 || random.nextInt(100) < abortPercent) {
                        producer.abortTransaction();
                        aborted += records.count();
                        System.out.println("aborted " + aborted);
                        rewind(consumer);
                    } else {
                        producer.commitTransaction();
                        committed += records.count();
                        System.out.println("committed " + committed);
                    }
                } catch (ProducerFencedException e) {
                    throw e;
                } catch (KafkaException e) {
                    // An abortable error (a send that failed, a partition that moved): end the
                    // transaction and start over from what the group has committed.
                    System.out.println("abortable " + e);
                    producer.abortTransaction();
                    rewind(consumer);
                }
                if (pauseMs > 0) {
                    Thread.sleep(pauseMs);
                }
            }
        } catch (Exception e) {
            System.out.println("fatal " + e);
            System.out.flush();
            producer.close(Duration.ofSeconds(1));
            consumer.close(Duration.ofSeconds(1));
            System.exit(3);
        }
    }

    /** Seeks every assigned partition back to the group's committed offset, or to its start if there is none. */
    private static void rewind(KafkaConsumer<String, String> consumer) {
        Set<TopicPartition> assigned = consumer.assignment();
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assigned);
        for (TopicPartition tp : assigned) {
            OffsetAndMetadata offset = committed.get(tp);
            if (offset == null) {
                consumer.seekToBeginning(Set.of(tp));
            } else {
                consumer.seek(tp, offset.offset());
            }
        }
    }

    private static Properties consumerProps(String bootstrap, String group) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50);
        // A successor must not wait long for a killed predecessor's membership to lapse.
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return props;
    }

    private static Properties producerProps(String bootstrap, String transactionalId) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 20_000);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return props;
    }
}
