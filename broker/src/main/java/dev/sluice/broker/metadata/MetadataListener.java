package dev.sluice.broker.metadata;

/**
 * Told of every metadata change after it is published. Called on the controller's thread, in
 * order; implementations must not block for long.
 */
@FunctionalInterface
public interface MetadataListener {
    void onChange(MetadataImage previous, MetadataImage next);
}
