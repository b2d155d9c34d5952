package dev.sluice.broker.security.sasl;

import java.util.Optional;

/**
 * Where a SCRAM exchange finds delegation tokens (KIP-48). A client authenticating with a token
 * sends the SCRAM extension {@code tokenauth=true}, the token id as user name and the token's HMAC
 * as password; it is then authenticated as the token's owner until the token expires.
 */
@FunctionalInterface
public interface DelegationTokens {
    /**
     * The token with this id, if it exists and has not expired: the exchange does not look at the
     * clock itself.
     */
    Optional<TokenCredential> find(String tokenId, ScramMechanism mechanism);

    /**
     * @param owner the user the token authenticates as
     * @param credential the SCRAM credential made from the token's HMAC
     * @param expiryMs when the token expires, in epoch milliseconds
     */
    record TokenCredential(String owner, ScramCredential credential, long expiryMs) {
    }
}
