package dev.sluice.broker.metadata;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * A single node's metadata as a broker wires it (journal log, view, controller) for tests that
 * drive the controller without a broker. The view's listeners prepare partitions, as on a broker.
 */
public final class SingleNodeMetadata implements AutoCloseable {
    private final JournalMetadataLog log;
    private final MetadataView view;
    private final Controller controller;

    private SingleNodeMetadata(JournalMetadataLog log, String clusterId, int nodeId, Controller.TopicDefaults defaults)
            throws IOException {
        this.log = log;
        this.view = new MetadataView(clusterId);
        try {
            log.start(view);
        } catch (IOException | RuntimeException e) {
            log.close();
            throw e;
        }
        this.controller = new Controller(nodeId, log, view, view.listeners(), () -> defaults);
    }

    /** Opens and replays the journal in {@code dir}. */
    public static SingleNodeMetadata open(Path dir, String clusterId, int nodeId, Controller.TopicDefaults defaults)
            throws IOException {
        return new SingleNodeMetadata(JournalMetadataLog.open(dir, nodeId), clusterId, nodeId, defaults);
    }

    /** As {@link #open(Path, String, int, Controller.TopicDefaults)} on a journal a test opened (to fail its writes). */
    static SingleNodeMetadata open(MetadataJournal journal, String clusterId, int nodeId,
                                   Controller.TopicDefaults defaults) throws IOException {
        return new SingleNodeMetadata(JournalMetadataLog.open(journal, nodeId), clusterId, nodeId, defaults);
    }

    public MetadataView view() {
        return view;
    }

    public Controller controller() {
        return controller;
    }

    public JournalMetadataLog log() {
        return log;
    }

    @Override
    public void close() {
        controller.close();
        try {
            log.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
