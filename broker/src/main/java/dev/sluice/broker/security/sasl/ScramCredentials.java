package dev.sluice.broker.security.sasl;

import java.util.Optional;

/** Where a SCRAM exchange finds a user's credential (the broker's metadata image). */
@FunctionalInterface
public interface ScramCredentials {
    Optional<ScramCredential> find(String user, ScramMechanism mechanism);
}
