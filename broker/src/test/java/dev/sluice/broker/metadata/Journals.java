package dev.sluice.broker.metadata;

import dev.sluice.wire.message.Message;
import java.nio.file.Path;
import java.util.List;

/** Metadata journals written directly, for tests that need metadata one broker alone never decides. */
public final class Journals {
    private Journals() {
    }

    /** Appends {@code records} as one change to the journal in {@code dir}, as the controller writes them. */
    public static void write(Path dir, List<? extends Message> records) throws Exception {
        try (MetadataJournal journal = MetadataJournal.open(dir)) {
            journal.replay();
            journal.append(records);
        }
    }
}
