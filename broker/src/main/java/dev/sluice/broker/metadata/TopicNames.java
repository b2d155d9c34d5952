package dev.sluice.broker.metadata;

/** Kafka's rules for topic names. */
public final class TopicNames {
    /** Longest legal name: a partition directory adds "-" and up to 10 digits of partition number. */
    public static final int MAX_LENGTH = 249;

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

    /** Two distinct names that become the same metric name ('.' and '_' are interchangeable there). */
    public static boolean collide(String a, String b) {
        return !a.equals(b) && a.replace('.', '_').equals(b.replace('.', '_'));
    }
}
