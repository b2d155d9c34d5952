package dev.sluice.broker.metadata;

/**
 * One user's SCRAM credential for one mechanism, as the metadata log keeps it: the salted keys of
 * RFC 5802, from which the password cannot be recovered.
 *
 * @param mechanism Kafka's SCRAM mechanism type: 1 SCRAM-SHA-256, 2 SCRAM-SHA-512
 */
public record ScramCredentialImage(String user, byte mechanism, byte[] salt, byte[] storedKey, byte[] serverKey,
                                   int iterations) {
}
