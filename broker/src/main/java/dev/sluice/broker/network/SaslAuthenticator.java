package dev.sluice.broker.network;

import dev.sluice.broker.security.AuthenticationMethod;
import dev.sluice.broker.security.KafkaPrincipal;
import dev.sluice.broker.security.SaslMechanisms;
import dev.sluice.broker.security.sasl.SaslAuthenticationException;
import dev.sluice.broker.security.sasl.SaslExchange;
import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.codec.UnsupportedVersionException;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ApiMessage;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.Frames;
import dev.sluice.wire.message.RequestHeader;
import dev.sluice.wire.message.SaslAuthenticateRequest;
import dev.sluice.wire.message.SaslAuthenticateResponse;
import dev.sluice.wire.message.SaslHandshakeRequest;
import dev.sluice.wire.message.SaslHandshakeResponse;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The server side of Kafka's SASL authentication on one connection, before any other request is
 * served: ApiVersions may come first, then SaslHandshake names a mechanism and SaslAuthenticate
 * requests carry its exchange (or, after a v0 handshake, bare size-prefixed tokens, as clients
 * older than Kafka 1.0 send them). Anything else before the exchange succeeds closes the
 * connection, as Kafka does; so does a failed exchange, after its error is sent.
 *
 * <p>Re-authentication (KIP-368): when {@code connections.max.reauth.ms} is set, or the credential
 * itself expires (an OAUTHBEARER token), SaslAuthenticate v1+ tells the client how long its session
 * lasts; the client then runs a new handshake and exchange, with the same mechanism and principal,
 * between its other requests. A request that arrives after the session ended without that closes
 * the connection.
 *
 * <p>Not thread-safe: confined to the connection's event loop.
 */
final class SaslAuthenticator {
    private enum State { INITIAL, HANDSHAKEN, RAW_TOKENS, AUTHENTICATED }

    /** What the connection does with a frame. */
    sealed interface Outcome {
        /** Serve the request as usual. */
        record Pass() implements Outcome {
        }

        /** Send {@code frame} (size prefix included) as this request's answer. */
        record Respond(ByteBuffer frame) implements Outcome {
        }

        /** Authentication failed: send {@code frame} (if any), then close after the failed-authentication delay. */
        record Fail(ByteBuffer frame, String reason) implements Outcome {
        }

        /** Close at once without an answer. */
        record Close(String reason) implements Outcome {
        }
    }

    private static final Outcome PASS = new Outcome.Pass();

    private final SaslMechanisms mechanisms;
    private final long maxReauthMs;
    private final LongSupplier clockMs;
    private State state = State.INITIAL;
    private SaslExchange exchange;
    private String mechanism;
    private KafkaPrincipal principal;
    private boolean viaToken;
    /** When the current session ends (clock ms), or Long.MAX_VALUE. */
    private long sessionEndsMs = Long.MAX_VALUE;
    private boolean reauthenticating;

    SaslAuthenticator(SaslMechanisms mechanisms, long maxReauthMs, LongSupplier clockMs) {
        this.mechanisms = mechanisms;
        this.maxReauthMs = maxReauthMs;
        this.clockMs = clockMs;
    }

    boolean authenticated() {
        return principal != null;
    }

    KafkaPrincipal principal() {
        return principal;
    }

    /** How the client authenticated: with its own credential or a delegation token. */
    AuthenticationMethod method() {
        return viaToken ? AuthenticationMethod.DELEGATION_TOKEN : AuthenticationMethod.SASL;
    }

    Outcome onFrame(ByteBuffer frame) {
        if (state == State.RAW_TOKENS) {
            return rawToken(frame);
        }
        if (frame.remaining() < 8) {
            return new Outcome.Close("a request too short for its header during SASL authentication");
        }
        short key = frame.getShort(frame.position());
        if (state == State.AUTHENTICATED) {
            if (key == ApiKey.SASL_HANDSHAKE.id()) {
                reauthenticating = true;
                return handshake(frame);
            }
            if (clockMs.getAsLong() >= sessionEndsMs) {
                return new Outcome.Close("its SASL session ended and the client did not re-authenticate");
            }
            return PASS;
        }
        if (state == State.INITIAL && key == ApiKey.API_VERSIONS.id() && !reauthenticating) {
            return PASS;
        }
        if (state == State.INITIAL && key == ApiKey.SASL_HANDSHAKE.id()) {
            return handshake(frame);
        }
        if (state == State.HANDSHAKEN && key == ApiKey.SASL_AUTHENTICATE.id()) {
            return authenticate(frame);
        }
        String name = ApiKey.forId(key).map(ApiKey::displayName).orElse("API key " + key);
        return new Outcome.Close(name + " request before SASL authentication completed");
    }

    /** A request of the exchange, decoded; null (after setting {@link #malformed}) when it does not decode. */
    private record Decoded(RequestHeader header, ApiMessage body) {
    }

    private String malformed;

    private Decoded decode(ByteBuffer frame) {
        try {
            RequestHeader header = Frames.readRequestHeader(frame);
            return new Decoded(header, Frames.readRequestBody(header, frame));
        } catch (MalformedDataException | UnsupportedVersionException e) {
            malformed = e.getMessage();
            return null;
        }
    }

    private Outcome handshake(ByteBuffer frame) {
        Decoded decoded = decode(frame);
        if (decoded == null) {
            return new Outcome.Close("malformed SaslHandshake: " + malformed);
        }
        RequestHeader header = decoded.header();
        SaslHandshakeRequest request = (SaslHandshakeRequest) decoded.body();
        short version = header.requestApiVersion();
        SaslHandshakeResponse response = new SaslHandshakeResponse().setMechanisms(mechanisms.enabled());
        String asked = request.mechanism();
        if (reauthenticating && !asked.equals(mechanism)) {
            response.setErrorCode(ErrorCode.ILLEGAL_SASL_STATE.code());
            return new Outcome.Fail(Frames.writeResponse(header.correlationId(), response, version),
                "re-authentication with mechanism " + asked + " instead of " + mechanism);
        }
        Optional<SaslExchange> started = mechanisms.start(asked);
        if (started.isEmpty()) {
            response.setErrorCode(ErrorCode.UNSUPPORTED_SASL_MECHANISM.code());
            return new Outcome.Fail(Frames.writeResponse(header.correlationId(), response, version),
                "SASL mechanism '" + asked + "' is not enabled on this listener");
        }
        exchange = started.get();
        mechanism = asked;
        state = version == 0 ? State.RAW_TOKENS : State.HANDSHAKEN;
        return new Outcome.Respond(Frames.writeResponse(header.correlationId(), response.setErrorCode((short) 0), version));
    }

    private Outcome authenticate(ByteBuffer frame) {
        Decoded decoded = decode(frame);
        if (decoded == null) {
            return new Outcome.Close("malformed SaslAuthenticate: " + malformed);
        }
        RequestHeader header = decoded.header();
        SaslAuthenticateRequest request = (SaslAuthenticateRequest) decoded.body();
        short version = header.requestApiVersion();
        SaslAuthenticateResponse response = new SaslAuthenticateResponse().setAuthBytes(new byte[0]);
        byte[] challenge;
        try {
            challenge = exchange.evaluate(request.authBytes() == null ? new byte[0] : request.authBytes());
        } catch (SaslAuthenticationException e) {
            response.setErrorCode(ErrorCode.SASL_AUTHENTICATION_FAILED.code()).setErrorMessage(e.getMessage());
            return new Outcome.Fail(Frames.writeResponse(header.correlationId(), response, version),
                mechanism + " authentication failed: " + e.getMessage() + (e.detail() == null ? "" : " (" + e.detail() + ")"));
        }
        response.setAuthBytes(challenge == null ? new byte[0] : challenge);
        if (exchange.isComplete()) {
            String reason = complete();
            if (reason != null) {
                response.setErrorCode(ErrorCode.SASL_AUTHENTICATION_FAILED.code()).setErrorMessage(reason)
                    .setAuthBytes(new byte[0]);
                return new Outcome.Fail(Frames.writeResponse(header.correlationId(), response, version), reason);
            }
            if (version > 0 && sessionEndsMs != Long.MAX_VALUE) {
                response.setSessionLifetimeMs(Math.max(1, sessionEndsMs - clockMs.getAsLong()));
            }
        }
        return new Outcome.Respond(Frames.writeResponse(header.correlationId(), response, version));
    }

    private Outcome rawToken(ByteBuffer frame) {
        byte[] token = new byte[frame.remaining()];
        frame.get(token);
        byte[] challenge;
        try {
            challenge = exchange.evaluate(token);
        } catch (SaslAuthenticationException e) {
            // Bare tokens carry no error: the connection just closes, as Kafka does for these clients.
            return new Outcome.Close(mechanism + " authentication failed: " + e.getMessage());
        }
        if (exchange.isComplete()) {
            String reason = complete();
            if (reason != null) {
                return new Outcome.Close(reason);
            }
        }
        byte[] out = challenge == null ? new byte[0] : challenge;
        return new Outcome.Respond(ByteBuffer.allocate(4 + out.length).putInt(out.length).put(out).flip());
    }

    /** Ends a successful exchange; returns why it must fail after all, or null. */
    private String complete() {
        KafkaPrincipal authenticatedAs = KafkaPrincipal.user(exchange.authorizedUser());
        if (reauthenticating && !authenticatedAs.equals(principal)) {
            return "a re-authentication may not change the principal (" + principal + " to " + authenticatedAs + ")";
        }
        long now = clockMs.getAsLong();
        long ends = Long.MAX_VALUE;
        if (maxReauthMs > 0) {
            ends = now + maxReauthMs;
        }
        java.util.OptionalLong expiry = exchange.credentialExpiryMs();
        if (expiry.isPresent() && expiry.getAsLong() < ends) {
            ends = expiry.getAsLong();
        }
        // A client that cannot re-authenticate (SaslAuthenticate v0, bare tokens) is still held to
        // the session's end: its connection closes then, and it reconnects and authenticates anew.
        sessionEndsMs = ends;
        principal = authenticatedAs;
        viaToken = exchange.viaDelegationToken();
        state = State.AUTHENTICATED;
        reauthenticating = false;
        exchange = null;
        return null;
    }

}
