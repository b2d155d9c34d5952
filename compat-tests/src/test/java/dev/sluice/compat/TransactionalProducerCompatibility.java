package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import dev.sluice.compat.GroupConsumerCompatibility.SetupRun;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * Transactions as another Kafka client writes them, against an embedded broker: a subclass per
 * client says how to run its transactional producer program, and skips itself where the client is
 * not installed. The programs live under {@code src/test/clients/<client>/} and share one command
 * line,
 *
 * <pre>
 *   PROGRAM BOOTSTRAP TOPIC TRANSACTIONAL_ID commit|abort COUNT PREFIX
 * </pre>
 *
 * which writes COUNT records PREFIX0, PREFIX1... to partition 0 in one transaction, waits for their
 * acknowledgement (so that an aborted transaction's records are really in the log) and ends it as
 * told, printing {@code done COUNT}. What they wrote is read back with the official Java consumer,
 * read_committed and read_uncommitted. With {@code sluice.compat.bootstrap} set the tests run
 * against that broker instead.
 */
@SluiceTest(config = {
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1"})
abstract class TransactionalProducerCompatibility {
    private static final Duration WAIT = Duration.ofSeconds(60);

    SluiceBroker broker;

    @AutoClose
    final Closer closer = new Closer();

    /** The client's name in topic names and transactional ids. */
    abstract String client();

    /** The command that runs the client's program, before the shared arguments. */
    abstract List<String> program();

    private String bootstrapServers() {
        return KafkaClients.bootstrapServers(broker::bootstrapServers);
    }

    private void transaction(String topic, String transactionalId, String ending, int count, String prefix) {
        List<String> command = new ArrayList<>(program());
        command.addAll(List.of(bootstrapServers(), topic, transactionalId, ending, Integer.toString(count), prefix));
        SetupRun run = GroupConsumerCompatibility.setup(GroupConsumerCompatibility.moduleDir(), Map.of(), WAIT,
            command.toArray(new String[0]));
        if (!run.succeeded() || !run.output().contains("done " + count)) {
            throw new AssertionError(String.join(" ", command) + " failed:\n" + run.output());
        }
    }

    private static List<String> numbered(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
    }

    @Test
    void committedTransactionsAreReadAndAbortedOnesSkippedByReadCommitted() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String topic = client() + "-txn-" + run;
        String transactionalId = client() + "-producer-" + run;
        Admin admin = closer.add(KafkaClients.admin(bootstrapServers()));
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);

        // One transactional id throughout: each run initialises it again, as a restarted application does.
        transaction(topic, transactionalId, "commit", 5, "committed-");
        transaction(topic, transactionalId, "abort", 4, "aborted-");
        transaction(topic, transactionalId, "commit", 3, "later-");

        TopicPartition tp = new TopicPartition(topic, 0);
        List<String> committed = new ArrayList<>(numbered("committed-", 5));
        committed.addAll(numbered("later-", 3));
        assertEquals(committed, KafkaClients.readToEnd(bootstrapServers(), tp, IsolationLevel.READ_COMMITTED, WAIT));
        List<String> everything = new ArrayList<>(numbered("committed-", 5));
        everything.addAll(numbered("aborted-", 4));
        everything.addAll(numbered("later-", 3));
        assertEquals(everything, KafkaClients.readToEnd(bootstrapServers(), tp, IsolationLevel.READ_UNCOMMITTED, WAIT));
    }
}
