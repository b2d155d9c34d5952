package dev.sluice.broker.security.sasl;

/**
 * A client token that does not follow its mechanism's grammar. Its message says which rule was
 * broken, for the broker's log; the exchange that catches it tells the client only that
 * authentication failed.
 */
final class MalformedTokenException extends Exception {
    MalformedTokenException(String message) {
        super(message, null, false, false);
    }
}
