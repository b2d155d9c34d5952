package dev.sluice.broker.security;

/**
 * Who a connection authenticated as, Kafka's way: a type (always {@code User} here) and a name.
 * Unauthenticated connections (PLAINTEXT, TLS without a client certificate) are {@link #ANONYMOUS}.
 */
public record KafkaPrincipal(String type, String name) {
    public static final String USER_TYPE = "User";
    public static final KafkaPrincipal ANONYMOUS = new KafkaPrincipal(USER_TYPE, "ANONYMOUS");

    public static KafkaPrincipal user(String name) {
        return new KafkaPrincipal(USER_TYPE, name);
    }

    /** Parses {@code Type:name} as ACLs and {@code super.users} write it. */
    public static KafkaPrincipal parse(String text) {
        int colon = text.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("a principal is written Type:name, not '" + text + "'");
        }
        return new KafkaPrincipal(text.substring(0, colon), text.substring(colon + 1));
    }

    @Override
    public String toString() {
        return type + ":" + name;
    }
}
