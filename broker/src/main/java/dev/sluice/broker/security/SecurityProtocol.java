package dev.sluice.broker.security;

import java.util.Locale;
import java.util.Optional;

/** Kafka's listener security protocols, with the ids broker registrations carry. */
public enum SecurityProtocol {
    PLAINTEXT(0, false, false),
    SSL(1, true, false),
    SASL_PLAINTEXT(2, false, true),
    SASL_SSL(3, true, true);

    private final short id;
    private final boolean tls;
    private final boolean sasl;

    SecurityProtocol(int id, boolean tls, boolean sasl) {
        this.id = (short) id;
        this.tls = tls;
        this.sasl = sasl;
    }

    public short id() {
        return id;
    }

    /** Whether connections are encrypted with TLS. */
    public boolean tls() {
        return tls;
    }

    /** Whether clients authenticate with SASL before anything else. */
    public boolean sasl() {
        return sasl;
    }

    public static Optional<SecurityProtocol> forName(String name) {
        try {
            return Optional.of(valueOf(name.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
