package dev.sluice.broker.security.sasl;

import java.nio.charset.StandardCharsets;

/**
 * The client side of PLAIN (RFC 4616): one token, {@code NUL user NUL password}; the server's
 * empty reply ends it.
 */
public final class PlainClient implements SaslClientExchange {
    private final String user;
    private final String password;
    private boolean complete;

    public PlainClient(String user, String password) {
        this.user = user;
        this.password = password;
    }

    @Override
    public String mechanism() {
        return "PLAIN";
    }

    @Override
    public byte[] first() {
        return ("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] respond(byte[] serverToken) {
        complete = true;
        return null;
    }

    @Override
    public boolean isComplete() {
        return complete;
    }
}
