package dev.sluice.broker.security.sasl;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reading the text of client tokens: strict UTF-8, and the saslname escaping of RFC 5801/5802 in
 * which a user name's {@code ,} and {@code =} travel as {@code =2C} and {@code =3D}.
 */
final class ClientText {
    private ClientText() {
    }

    /** Decodes UTF-8, refusing malformed input rather than replacing it as {@code new String} would. */
    static String utf8(byte[] bytes) throws MalformedTokenException {
        return utf8Chars(bytes).toString();
    }

    /** Decodes UTF-8 into a buffer the caller can wipe (for passwords). */
    static CharBuffer utf8Chars(byte[] bytes) throws MalformedTokenException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException e) {
            throw new MalformedTokenException("the token is not UTF-8");
        }
    }

    /** A saslname as the client wrote it, unescaped; an empty name or a bare {@code =} is malformed. */
    static String decodeSaslName(String escaped) throws MalformedTokenException {
        if (escaped.isEmpty()) {
            throw new MalformedTokenException("an empty user name");
        }
        StringBuilder name = new StringBuilder(escaped.length());
        for (int i = 0; i < escaped.length(); i++) {
            char c = escaped.charAt(i);
            if (c == ',' || c == '\0') {
                throw new MalformedTokenException("a user name with a bare ',' or NUL");
            }
            if (c != '=') {
                name.append(c);
            } else if (escaped.startsWith("2C", i + 1)) {
                name.append(',');
                i += 2;
            } else if (escaped.startsWith("3D", i + 1)) {
                name.append('=');
                i += 2;
            } else {
                throw new MalformedTokenException("a user name with '=' not followed by 2C or 3D");
            }
        }
        return name.toString();
    }

    /** The saslname a client writes for {@code name}. */
    static String encodeSaslName(String name) {
        return name.replace("=", "=3D").replace(",", "=2C");
    }
}
