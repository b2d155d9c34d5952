package dev.sluice.broker.security.sasl;

/**
 * The GS2 header (RFC 5801) that opens the first client message of SCRAM and of OAUTHBEARER:
 * {@code gs2-cbind-flag "," [ "a=" authzid ] ","}. Channel binding is not offered (no -PLUS
 * mechanism is advertised), so a client that requires it ({@code p=}) is refused, while {@code n}
 * (no support) and {@code y} (supported, but the client believes the server does not) are accepted.
 *
 * @param text the header as sent, which SCRAM's client-final message must echo in {@code c=}
 * @param authorizationId the identity the client asks to act as, empty when it names none
 */
record Gs2Header(String text, String authorizationId) {

    /** Reads the header at the start of {@code message}; {@link #text()}'s length is where the rest begins. */
    static Gs2Header parse(String message) throws MalformedTokenException {
        int flagEnd = message.indexOf(',');
        if (flagEnd < 0) {
            throw new MalformedTokenException("no GS2 header");
        }
        String flag = message.substring(0, flagEnd);
        if (flag.startsWith("p=")) {
            throw new MalformedTokenException("the client requires channel binding, which is not supported");
        }
        if (!flag.equals("n") && !flag.equals("y")) {
            throw new MalformedTokenException("an unknown GS2 channel binding flag");
        }
        int authzEnd = message.indexOf(',', flagEnd + 1);
        if (authzEnd < 0) {
            throw new MalformedTokenException("a GS2 header without its second ','");
        }
        String authz = message.substring(flagEnd + 1, authzEnd);
        String authorizationId = "";
        if (!authz.isEmpty()) {
            if (!authz.startsWith("a=")) {
                throw new MalformedTokenException("a GS2 authorization identity without 'a='");
            }
            authorizationId = ClientText.decodeSaslName(authz.substring(2));
        }
        return new Gs2Header(message.substring(0, authzEnd + 1), authorizationId);
    }
}
