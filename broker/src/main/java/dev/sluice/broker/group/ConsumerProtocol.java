package dev.sluice.broker.group;

import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.codec.UnsupportedVersionException;
import dev.sluice.wire.message.ConsumerProtocolSubscription;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Reads what the coordinator needs from the opaque subscription bytes of a classic group whose
 * protocol type is "consumer": the subscribed topics (for OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC).
 */
final class ConsumerProtocol {
    private ConsumerProtocol() {
    }

    /** The topics in a consumer-protocol subscription; empty when the bytes are not one. */
    static List<String> subscribedTopics(byte[] subscription) {
        if (subscription == null || subscription.length < 2) {
            return List.of();
        }
        try {
            ByteReader in = new ByteReader(ByteBuffer.wrap(subscription));
            short version = in.readShort();
            // Newer clients may write a version above the schema's: its leading fields are the same.
            short readAs = (short) Math.min(Math.max(version, 0), ConsumerProtocolSubscription.HIGHEST_SUPPORTED_VERSION);
            return new ConsumerProtocolSubscription(in, readAs).topics();
        } catch (MalformedDataException | UnsupportedVersionException e) {
            return List.of();
        }
    }
}
