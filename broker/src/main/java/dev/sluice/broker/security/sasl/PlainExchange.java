package dev.sluice.broker.security.sasl;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The server side of PLAIN (RFC 4616): one client token {@code [authzid] NUL authcid NUL passwd},
 * answered with nothing when the password is right. The messages a client sees are Kafka's.
 *
 * <p>As in Kafka, an authorization identity other than the user is refused (it is checked after
 * the password, so that it tells nothing to someone without it), and the password is not
 * SASLprep'd. Passwords travel in clear: listeners offer PLAIN over TLS only, which is the
 * connection layer's concern.
 *
 * <p>Not thread-safe: owned by the connection it authenticates.
 */
public final class PlainExchange extends AbstractSaslExchange {
    public static final String MECHANISM = "PLAIN";

    /** Decides whether a user's password is right. Implementations compare in constant time. */
    @FunctionalInterface
    public interface PasswordCheck {
        /** Whether {@code password} is {@code user}'s; the caller wipes the array afterwards. */
        boolean matches(String user, char[] password);

        /**
         * The users of Kafka's PlainLoginModule JAAS options: each {@code user_<name>="<password>"}
         * option is a user and its password; other options (the broker's own {@code username} and
         * {@code password} for inter-broker connections) are ignored.
         */
        static PasswordCheck fromJaasOptions(Map<String, String> jaasOptions) {
            Map<String, byte[]> passwords = new HashMap<>();
            jaasOptions.forEach((key, value) -> {
                if (key.startsWith("user_")) {
                    passwords.put(key.substring("user_".length()), value.getBytes(StandardCharsets.UTF_8));
                }
            });
            // An unknown user's password is compared with this one, so that the time taken does
            // not tell which users exist.
            byte[] unknownUser = new byte[32];
            return (user, password) -> {
                ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
                byte[] supplied = new byte[encoded.remaining()];
                encoded.get(supplied);
                if (encoded.hasArray()) {
                    Arrays.fill(encoded.array(), (byte) 0);
                }
                byte[] expected = passwords.get(user);
                boolean equal = MessageDigest.isEqual(supplied, expected == null ? unknownUser : expected);
                Arrays.fill(supplied, (byte) 0);
                return equal && expected != null;
            };
        }
    }

    private final PasswordCheck passwords;

    public PlainExchange(PasswordCheck passwords) {
        this.passwords = Objects.requireNonNull(passwords);
    }

    @Override
    public String mechanism() {
        return MECHANISM;
    }

    @Override
    byte[] step(byte[] clientToken) throws SaslAuthenticationException {
        int first = indexOfNul(clientToken, 0);
        int second = first < 0 ? -1 : indexOfNul(clientToken, first + 1);
        if (second < 0 || indexOfNul(clientToken, second + 1) >= 0) {
            int tokens = 1;
            for (byte b : clientToken) {
                tokens += b == 0 ? 1 : 0;
            }
            throw new SaslAuthenticationException("Invalid SASL/PLAIN response: expected 3 tokens, got " + tokens);
        }
        String authorizationId;
        String user;
        CharBuffer password;
        try {
            authorizationId = ClientText.utf8(Arrays.copyOfRange(clientToken, 0, first));
            user = ClientText.utf8(Arrays.copyOfRange(clientToken, first + 1, second));
            byte[] passwordBytes = Arrays.copyOfRange(clientToken, second + 1, clientToken.length);
            try {
                password = ClientText.utf8Chars(passwordBytes);
            } finally {
                Arrays.fill(passwordBytes, (byte) 0);
            }
        } catch (MalformedTokenException e) {
            throw refuse("malformed PLAIN token: " + e.getMessage());
        }
        if (user.isEmpty()) {
            throw new SaslAuthenticationException("Authentication failed: username not specified");
        }
        char[] chars = new char[password.remaining()];
        password.get(chars);
        if (password.hasArray()) {
            Arrays.fill(password.array(), '\0');
        }
        boolean matches;
        try {
            if (chars.length == 0) {
                throw new SaslAuthenticationException("Authentication failed: password not specified");
            }
            matches = passwords.matches(user, chars);
        } finally {
            Arrays.fill(chars, '\0');
        }
        if (!matches) {
            throw new SaslAuthenticationException("Authentication failed: Invalid username or password",
                "unknown user or wrong password for " + user);
        }
        if (!authorizationId.isEmpty() && !authorizationId.equals(user)) {
            throw new SaslAuthenticationException(
                "Authentication failed: Client requested an authorization id that is different from username",
                "authorization id requested for user " + user + " is another user");
        }
        complete(user);
        return new byte[0];
    }

    private static int indexOfNul(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                return i;
            }
        }
        return -1;
    }
}
