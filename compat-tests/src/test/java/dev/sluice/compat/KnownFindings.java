package dev.sluice.compat;

import dev.sluice.wire.message.ApiMessage;
import dev.sluice.wire.message.CreatePartitionsRequest;
import dev.sluice.wire.message.CreateTopicsRequest;
import dev.sluice.wire.message.DeleteTopicsRequest;

/**
 * Requests the protocol fuzzer holds back because they hit a known, reported fault whose fix is not
 * in yet. Each entry names the fault; an entry goes when its fix arrives, and
 * {@code -Dsluice.fuzz.knownFindings=true} sends them anyway to check a fix.
 */
final class KnownFindings {
    /**
     * More new partitions than one request should be able to ask for. The controller has no bound
     * yet, and it opens every new partition's log on its own thread before it answers anything else
     * (Controller.commit runs Partitions.onChange), at about 3 ms a partition here: 60,000 partitions
     * from one CreatePartitions keep it busy for minutes, so Metadata that must create a topic goes
     * unanswered, and the open files they hold end in "Too many open files" on accept(), after which
     * no new connection is served at all. 2^31-1 runs the heap out first (OutOfMemoryError in
     * Controller.createPartitions). Below this count the stall stays under the prober's deadline.
     */
    private static final int MANY_PARTITIONS = 1_000;

    private KnownFindings() {
    }

    private static boolean longName(String name) {
        return name != null && name.length() > 200;
    }

    static boolean excludes(ApiMessage request) {
        if (request instanceof CreatePartitionsRequest create) {
            return create.topics().stream().anyMatch(t -> t.count() > MANY_PARTITIONS);
        }
        if (request instanceof CreateTopicsRequest create) {
            return create.topics().stream().anyMatch(t -> t.numPartitions() > MANY_PARTITIONS);
        }
        // Deleting a topic renames each partition directory to <name>-<partition>.<32 hex>-delete,
        // which for a legal name of more than about 215 characters exceeds the 255-byte file name
        // limit: PartitionLog.deleteAll fails with "File name too long", the metadata listener
        // logs a stack trace and the directory stays behind.
        if (request instanceof DeleteTopicsRequest delete) {
            return delete.topicNames() != null && delete.topicNames().stream().anyMatch(KnownFindings::longName)
                || delete.topics() != null && delete.topics().stream().anyMatch(t -> longName(t.name()));
        }
        return false;
    }
}
