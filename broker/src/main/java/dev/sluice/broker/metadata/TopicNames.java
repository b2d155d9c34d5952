package dev.sluice.broker.metadata;

import java.util.Set;

/** Kafka's rules for topic names. */
public final class TopicNames {
    /** Longest legal name: a partition directory adds "-" and up to 10 digits of partition number. */
    public static final int MAX_LENGTH = 249;

    /**
     * Kafka's internal topics: written, created and trimmed only by the broker's coordinators.
     * Clients may read them but not produce to, delete, trim or grow them: that would lose every
     * group's committed offsets or move groups to other partitions.
     */
    public static final Set<String> INTERNAL = Set.of("__consumer_offsets", "__transaction_state",
        "__share_group_state");

    private TopicNames() {
    }

    /** Why {@code name} cannot be a topic name, or null if it can. */
    public static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "topic name is empty";
        }
        if (name.equals(".") || name.equals("..")) {
            return "topic name cannot be '.' or '..'";
        }
        if (name.length() > MAX_LENGTH) {
            return "topic name is longer than " + MAX_LENGTH + " characters";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '_' || c == '-';
            if (!legal) {
                return "topic name '" + name + "' has an illegal character; only ASCII letters, digits, '.', '_' and '-' are allowed";
            }
        }
        return null;
    }

    public static boolean isInternal(String name) {
        return name != null && INTERNAL.contains(name);
    }

    /**
     * Why a client may not create {@code name}, or null if it may: an internal topic is created by
     * its coordinator, with the configs it needs (a compacted {@code __consumer_offsets}), and a name
     * colliding with one ({@code __consumer.offsets}) would stop the coordinator from ever creating it.
     */
    public static String reservedProblem(String name) {
        if (isInternal(name)) {
            return name + " is an internal topic; the broker creates it when it is first needed";
        }
        for (String internal : INTERNAL) {
            if (name != null && collide(internal, name)) {
                return "topic name '" + name + "' collides with the internal topic '" + internal + "'";
            }
        }
        return null;
    }

    /** Two distinct names that become the same metric name ('.' and '_' are interchangeable there). */
    public static boolean collide(String a, String b) {
        return !a.equals(b) && a.replace('.', '_').equals(b.replace('.', '_'));
    }
}
