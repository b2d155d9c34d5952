package dev.sluice.compat;

import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A transactional producer that opens a transaction, writes to one partition and then never ends
 * it, run as its own process so that a test can kill it with {@code kill -9} and leave the
 * transaction open on the partition, as a crashed application does.
 *
 * <pre>
 *   OpenTransactionHolder BOOTSTRAP TOPIC PARTITION TRANSACTIONAL_ID COUNT TRANSACTION_TIMEOUT_MS
 * </pre>
 *
 * Once the COUNT records are acknowledged it prints {@code open OFFSET}, the offset of the first,
 * which is the transaction's start offset on the partition, and waits to be killed.
 */
final class OpenTransactionHolder {
    private OpenTransactionHolder() {
    }

    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, args[3]);
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Integer.parseInt(args[5]));
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        KafkaProducer<String, String> producer = new KafkaProducer<>(props);
        producer.initTransactions();
        producer.beginTransaction();
        long first = -1;
        for (int i = 0; i < Integer.parseInt(args[4]); i++) {
            long offset = producer.send(new ProducerRecord<>(args[1], Integer.parseInt(args[2]), null, "open-" + i))
                .get().offset();
            first = first < 0 ? offset : first;
        }
        System.out.println("open " + first);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
