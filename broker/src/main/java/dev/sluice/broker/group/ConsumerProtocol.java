package dev.sluice.broker.group;

import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.codec.UnsupportedVersionException;
import dev.sluice.wire.message.ConsumerProtocolAssignment;
import dev.sluice.wire.message.ConsumerProtocolSubscription;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The consumer protocol embedded in a classic group whose protocol type is "consumer": what the
 * coordinator reads from a member's opaque subscription bytes (the subscribed topics, for
 * OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC; the whole subscription, when the member joins a
 * consumer group), and the assignment bytes it reads and writes when a group changes protocol.
 */
final class ConsumerProtocol {
    private ConsumerProtocol() {
    }

    /** A consumer-protocol subscription; empty when the bytes are not one. */
    static java.util.Optional<ConsumerProtocolSubscription> subscription(byte[] bytes) {
        if (bytes == null || bytes.length < 2) {
            return java.util.Optional.empty();
        }
        try {
            ByteReader in = new ByteReader(ByteBuffer.wrap(bytes));
            short version = in.readShort();
            if (version < 0) {
                return java.util.Optional.empty();
            }
            short readAs = (short) Math.min(version, ConsumerProtocolSubscription.HIGHEST_SUPPORTED_VERSION);
            return java.util.Optional.of(new ConsumerProtocolSubscription(in, readAs));
        } catch (MalformedDataException | UnsupportedVersionException e) {
            return java.util.Optional.empty();
        }
    }

    /** The version a member's subscription bytes were written at, which its assignment is written at too (0-3). */
    static short version(byte[] subscription) {
        if (subscription == null || subscription.length < 2) {
            return 0;
        }
        short version = ByteBuffer.wrap(subscription).getShort();
        return (short) Math.max(0, Math.min(version, ConsumerProtocolAssignment.HIGHEST_SUPPORTED_VERSION));
    }

    /** The partitions in consumer-protocol assignment bytes, by topic name; empty when they are not one. */
    static java.util.Map<String, java.util.Set<Integer>> assignment(byte[] bytes) {
        java.util.Map<String, java.util.Set<Integer>> out = new java.util.HashMap<>();
        if (bytes == null || bytes.length < 2) {
            return out;
        }
        try {
            ByteReader in = new ByteReader(ByteBuffer.wrap(bytes));
            short version = in.readShort();
            short readAs = (short) Math.max(0, Math.min(version, ConsumerProtocolAssignment.HIGHEST_SUPPORTED_VERSION));
            for (ConsumerProtocolAssignment.TopicPartition tp : new ConsumerProtocolAssignment(in, readAs)
                .assignedPartitions()) {
                out.computeIfAbsent(tp.topic(), k -> new java.util.HashSet<>()).addAll(tp.partitions());
            }
        } catch (MalformedDataException | UnsupportedVersionException e) {
            out.clear();
        }
        return out;
    }

    /** Consumer-protocol assignment bytes at {@code version}: the version prefix, then the assignment. */
    static byte[] encodeAssignment(java.util.Map<String, java.util.Set<Integer>> partitions, short version) {
        List<ConsumerProtocolAssignment.TopicPartition> tps = new java.util.ArrayList<>();
        new java.util.TreeMap<>(partitions).forEach((topic, ps) -> tps.add(new ConsumerProtocolAssignment.TopicPartition()
            .setTopic(topic).setPartitions(new java.util.ArrayList<>(new java.util.TreeSet<>(ps)))));
        ConsumerProtocolAssignment assignment = new ConsumerProtocolAssignment().setAssignedPartitions(tps);
        ByteBuffer buffer = ByteBuffer.allocate(2 + assignment.size(version));
        dev.sluice.wire.codec.ByteWriter out = new dev.sluice.wire.codec.ByteWriter(buffer);
        out.writeShort(version);
        assignment.write(out, version);
        return buffer.array();
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
