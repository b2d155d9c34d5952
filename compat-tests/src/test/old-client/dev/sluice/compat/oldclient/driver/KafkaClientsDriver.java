package dev.sluice.compat.oldclient.driver;

import dev.sluice.compat.oldclient.api.ClientDriver;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.AppInfoParser;

/**
 * {@link ClientDriver} over the {@code kafka-clients} release it is compiled against and loaded
 * with. Not on the test classpath: {@code IsolatedKafkaClient} compiles this file against each
 * old release and loads it next to that release's jars, so it may use only API that every release
 * listed in compat-tests' POM still has (2.x onwards).
 */
public final class KafkaClientsDriver implements ClientDriver {

    @Override
    public String version() {
        return AppInfoParser.getVersion();
    }

    @Override
    public Map<String, Short> latestApiVersions() {
        // From 3.x, latestVersion() counts a version still marked unstable (3.6's OffsetCommit v9),
        // which the client never sends unless told to; latestVersion(false) leaves it out. 2.x has
        // only latestVersion(), and no unstable versions.
        Method stableOnly;
        try {
            stableOnly = ApiKeys.class.getMethod("latestVersion", boolean.class);
        } catch (NoSuchMethodException e) {
            stableOnly = null;
        }
        Map<String, Short> versions = new LinkedHashMap<>();
        for (ApiKeys api : ApiKeys.values()) {
            try {
                versions.put(api.name, stableOnly == null ? api.latestVersion() : (Short) stableOnly.invoke(api, false));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return versions;
    }

    @Override
    public Producer producer(Properties config) {
        Properties props = new Properties();
        props.putAll(config);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new DrivenProducer(new KafkaProducer<>(props));
    }

    @Override
    public Consumer consumer(Properties config) {
        Properties props = new Properties();
        props.putAll(config);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return new DrivenConsumer(new KafkaConsumer<>(props));
    }

    private static TopicPartition toKafka(Partition p) {
        return new TopicPartition(p.topic(), p.partition());
    }

    private static Partition fromKafka(TopicPartition tp) {
        return new Partition(tp.topic(), tp.partition());
    }

    private static final class DrivenProducer implements Producer {
        private final KafkaProducer<String, String> producer;

        DrivenProducer(KafkaProducer<String, String> producer) {
            this.producer = producer;
        }

        @Override
        public List<Long> send(String topic, int partition, List<String> values) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (String value : values) {
                sent.add(producer.send(new ProducerRecord<>(topic, partition, null, value)));
            }
            producer.flush();
            List<Long> offsets = new ArrayList<>();
            try {
                for (Future<RecordMetadata> f : sent) {
                    offsets.add(f.get().offset());
                }
            } catch (ExecutionException e) {
                throw new IllegalStateException("send to " + topic + "-" + partition + " failed: " + e.getCause(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            return offsets;
        }

        @Override
        public void close() {
            producer.close();
        }
    }

    private static final class DrivenConsumer implements Consumer {
        private final KafkaConsumer<String, String> consumer;

        DrivenConsumer(KafkaConsumer<String, String> consumer) {
            this.consumer = consumer;
        }

        @Override
        public void subscribe(Collection<String> topics) {
            consumer.subscribe(topics);
        }

        @Override
        public void assign(Collection<Partition> partitions) {
            List<TopicPartition> tps = new ArrayList<>();
            for (Partition p : partitions) {
                tps.add(toKafka(p));
            }
            consumer.assign(tps);
        }

        @Override
        public Set<Partition> assignment() {
            Set<Partition> partitions = new HashSet<>();
            for (TopicPartition tp : consumer.assignment()) {
                partitions.add(fromKafka(tp));
            }
            return partitions;
        }

        @Override
        public List<Consumed> poll(Duration timeout) {
            List<Consumed> records = new ArrayList<>();
            for (ConsumerRecord<String, String> r : consumer.poll(timeout)) {
                records.add(new Consumed(new Partition(r.topic(), r.partition()), r.offset(), r.key(), r.value()));
            }
            return records;
        }

        @Override
        public void commitSync() {
            consumer.commitSync();
        }

        @Override
        public Map<Partition, Long> committed(Set<Partition> partitions) {
            Set<TopicPartition> tps = new HashSet<>();
            for (Partition p : partitions) {
                tps.add(toKafka(p));
            }
            Map<Partition, Long> offsets = new LinkedHashMap<>();
            for (Map.Entry<TopicPartition, OffsetAndMetadata> e : consumer.committed(tps).entrySet()) {
                if (e.getValue() != null) {
                    offsets.put(fromKafka(e.getKey()), e.getValue().offset());
                }
            }
            return offsets;
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
