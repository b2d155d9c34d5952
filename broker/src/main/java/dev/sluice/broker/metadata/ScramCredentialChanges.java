package dev.sluice.broker.metadata;

import dev.sluice.broker.metadata.records.RemoveUserScramCredentialRecord;
import dev.sluice.broker.metadata.records.UserScramCredentialRecord;
import dev.sluice.broker.security.sasl.ScramCredential;
import dev.sluice.broker.security.sasl.ScramMechanism;
import dev.sluice.wire.message.AlterUserScramCredentialsRequest;
import dev.sluice.wire.message.AlterUserScramCredentialsRequest.ScramCredentialDeletion;
import dev.sluice.wire.message.AlterUserScramCredentialsRequest.ScramCredentialUpsertion;
import dev.sluice.wire.message.AlterUserScramCredentialsResponse.AlterUserScramCredentialsResult;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.Message;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Plans an AlterUserScramCredentials request against the metadata image, as Kafka's controller
 * does: each user's deletions and upsertions succeed or fail together; a credential may be
 * changed once per request (DUPLICATE_RESOURCE), the user name must not be empty and the
 * mechanism be a SCRAM one (UNACCEPTABLE_CREDENTIAL, UNSUPPORTED_SASL_MECHANISM), iterations lie
 * between the mechanism's minimum and 16384, and only existing credentials can be deleted
 * (RESOURCE_NOT_FOUND). Upsertions carry Kafka's salted password, from which the stored and
 * server keys are derived here; the password itself never reaches the broker.
 */
final class ScramCredentialChanges {
    static final int MAX_ITERATIONS = 16384;

    /** The records to write and one result per user, in the order users first appear. */
    record Plan(List<Message> records, List<AlterUserScramCredentialsResult> results) {
    }

    private ScramCredentialChanges() {
    }

    static Plan plan(MetadataImage image, AlterUserScramCredentialsRequest request) {
        Map<String, List<Message>> byUser = new LinkedHashMap<>();
        Map<String, AlterUserScramCredentialsResult> failed = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        for (ScramCredentialDeletion d : request.deletions()) {
            byUser.computeIfAbsent(d.name(), u -> new ArrayList<>());
            String problem = duplicate(seen, d.name(), d.mechanism());
            ErrorCode error = ErrorCode.DUPLICATE_RESOURCE;
            if (problem == null) {
                error = validName(d.name()) ? ErrorCode.UNSUPPORTED_SASL_MECHANISM : ErrorCode.UNACCEPTABLE_CREDENTIAL;
                problem = validName(d.name()) ? knownMechanism(d.mechanism()) : "Username must not be empty";
            }
            if (problem == null && image.scramCredential(d.name(), d.mechanism()).isEmpty()) {
                error = ErrorCode.RESOURCE_NOT_FOUND;
                problem = "Attempt to delete a user credential that does not exist";
            }
            if (problem != null) {
                failed.putIfAbsent(d.name(), result(d.name(), error, problem));
            } else {
                byUser.get(d.name()).add(new RemoveUserScramCredentialRecord().setName(d.name()).setMechanism(d.mechanism()));
            }
        }
        for (ScramCredentialUpsertion u : request.upsertions()) {
            byUser.computeIfAbsent(u.name(), n -> new ArrayList<>());
            ErrorCode error = ErrorCode.DUPLICATE_RESOURCE;
            String problem = duplicate(seen, u.name(), u.mechanism());
            Optional<ScramMechanism> mechanism = ScramMechanism.forType(u.mechanism());
            if (problem == null && !validName(u.name())) {
                error = ErrorCode.UNACCEPTABLE_CREDENTIAL;
                problem = "Username must not be empty";
            } else if (problem == null && mechanism.isEmpty()) {
                error = ErrorCode.UNSUPPORTED_SASL_MECHANISM;
                problem = knownMechanism(u.mechanism());
            } else if (problem == null && u.iterations() < mechanism.get().minIterations()) {
                error = ErrorCode.UNACCEPTABLE_CREDENTIAL;
                problem = "Too few iterations";
            } else if (problem == null && u.iterations() > MAX_ITERATIONS) {
                error = ErrorCode.UNACCEPTABLE_CREDENTIAL;
                problem = "Too many iterations";
            } else if (problem == null && (u.salt() == null || u.salt().length == 0 || u.saltedPassword() == null
                    || u.saltedPassword().length == 0)) {
                error = ErrorCode.UNACCEPTABLE_CREDENTIAL;
                problem = "Salt and salted password must not be empty";
            }
            if (problem != null) {
                failed.putIfAbsent(u.name(), result(u.name(), error, problem));
                continue;
            }
            ScramCredential credential = mechanism.get().credentialFromSaltedPassword(u.saltedPassword(), u.salt(),
                u.iterations());
            byUser.get(u.name()).add(new UserScramCredentialRecord().setName(u.name()).setMechanism(u.mechanism())
                .setSalt(credential.salt()).setStoredKey(credential.storedKey()).setServerKey(credential.serverKey())
                .setIterations(credential.iterations()));
        }
        List<Message> records = new ArrayList<>();
        List<AlterUserScramCredentialsResult> results = new ArrayList<>();
        for (Map.Entry<String, List<Message>> e : byUser.entrySet()) {
            AlterUserScramCredentialsResult failure = failed.get(e.getKey());
            if (failure != null) {
                results.add(failure);
            } else {
                records.addAll(e.getValue());
                results.add(result(e.getKey(), ErrorCode.NONE, null));
            }
        }
        return new Plan(records, results);
    }

    private static String duplicate(Set<String> seen, String user, byte mechanism) {
        return seen.add(user + "\u0000" + mechanism) ? null
            : "A user credential cannot be altered twice in the same request";
    }

    private static boolean validName(String user) {
        return user != null && !user.isEmpty();
    }

    private static String knownMechanism(byte mechanism) {
        return ScramMechanism.forType(mechanism).isPresent() ? null : "Unknown SCRAM mechanism";
    }

    static AlterUserScramCredentialsResult result(String user, ErrorCode error, String message) {
        return new AlterUserScramCredentialsResult().setUser(user).setErrorCode(error.code()).setErrorMessage(message);
    }
}
