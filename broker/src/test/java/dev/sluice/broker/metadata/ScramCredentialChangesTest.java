package dev.sluice.broker.metadata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.security.sasl.ScramCredential;
import dev.sluice.broker.security.sasl.ScramMechanism;
import dev.sluice.wire.message.AlterUserScramCredentialsRequest;
import dev.sluice.wire.message.AlterUserScramCredentialsRequest.ScramCredentialDeletion;
import dev.sluice.wire.message.AlterUserScramCredentialsRequest.ScramCredentialUpsertion;
import dev.sluice.wire.message.AlterUserScramCredentialsResponse.AlterUserScramCredentialsResult;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** AlterUserScramCredentials against the metadata image: Kafka's checks, per-user outcomes, and the image it builds. */
class ScramCredentialChangesTest {
    private static final byte SHA256 = ScramMechanism.SCRAM_SHA_256.type();
    private static final byte SHA512 = ScramMechanism.SCRAM_SHA_512.type();
    private static final byte[] SALT = "salt".getBytes(StandardCharsets.UTF_8);

    private static ScramCredentialUpsertion upsert(String user, byte mechanism, int iterations) {
        return new ScramCredentialUpsertion().setName(user).setMechanism(mechanism).setIterations(iterations)
            .setSalt(SALT).setSaltedPassword(new byte[32]);
    }

    private static ScramCredentialDeletion delete(String user, byte mechanism) {
        return new ScramCredentialDeletion().setName(user).setMechanism(mechanism);
    }

    private static Map<String, Short> errors(ScramCredentialChanges.Plan plan) {
        return plan.results().stream().collect(Collectors.toMap(AlterUserScramCredentialsResult::user,
            AlterUserScramCredentialsResult::errorCode));
    }

    private static MetadataView applied(MetadataView view, List<Message> records) {
        view.apply(records, view.appliedOffset() + 1);
        return view;
    }

    @Test
    void upsertionsStoreKeysDerivedFromTheSaltedPasswordAndDeletionsRemoveThem() {
        MetadataView view = new MetadataView("c");
        view.load(List.of(), -1);
        ScramCredentialChanges.Plan plan = ScramCredentialChanges.plan(view.image(), new AlterUserScramCredentialsRequest()
            .setUpsertions(new ArrayList<>(List.of(upsert("alice", SHA256, 4096), upsert("alice", SHA512, 8192)))));
        assertEquals(Map.of("alice", ErrorCode.NONE.code()), errors(plan));
        applied(view, plan.records());
        ScramCredential expected = ScramMechanism.SCRAM_SHA_256.credentialFromSaltedPassword(new byte[32], SALT, 4096);
        ScramCredentialImage stored = view.image().scramCredential("alice", SHA256).orElseThrow();
        assertArrayEquals(expected.storedKey(), stored.storedKey());
        assertArrayEquals(expected.serverKey(), stored.serverKey());
        assertEquals(8192, view.image().scramCredential("alice", SHA512).orElseThrow().iterations());

        // A snapshot rebuilds the credentials.
        MetadataView restored = new MetadataView("c");
        restored.load(MetadataView.snapshot(view.image()), 5);
        assertEquals(view.image().scramCredentials().keySet(), restored.image().scramCredentials().keySet());

        plan = ScramCredentialChanges.plan(view.image(), new AlterUserScramCredentialsRequest()
            .setDeletions(new ArrayList<>(List.of(delete("alice", SHA256)))));
        applied(view, plan.records());
        assertTrue(view.image().scramCredential("alice", SHA256).isEmpty());
        assertTrue(view.image().scramCredential("alice", SHA512).isPresent());
    }

    @Test
    void eachUsersChangesSucceedOrFailTogetherWithKafkasErrors() {
        MetadataView view = new MetadataView("c");
        view.load(List.of(), -1);
        ScramCredentialChanges.Plan plan = ScramCredentialChanges.plan(view.image(), new AlterUserScramCredentialsRequest()
            .setDeletions(new ArrayList<>(List.of(delete("ghost", SHA256), delete("twice", SHA256))))
            .setUpsertions(new ArrayList<>(List.of(upsert("bob", SHA256, 4096), upsert("bob", SHA512, 100),
                upsert("twice", SHA256, 4096), upsert("", SHA256, 4096), upsert("odd", (byte) 9, 4096),
                upsert("many", SHA256, 20000), upsert("ok", SHA512, 4096)))));
        assertEquals(Map.of("ghost", ErrorCode.RESOURCE_NOT_FOUND.code(),
            "twice", ErrorCode.RESOURCE_NOT_FOUND.code(),
            "bob", ErrorCode.UNACCEPTABLE_CREDENTIAL.code(),
            "", ErrorCode.UNACCEPTABLE_CREDENTIAL.code(),
            "odd", ErrorCode.UNSUPPORTED_SASL_MECHANISM.code(),
            "many", ErrorCode.UNACCEPTABLE_CREDENTIAL.code(),
            "ok", ErrorCode.NONE.code()), errors(plan));
        applied(view, plan.records());
        assertEquals(List.of("ok"), List.copyOf(view.image().scramCredentials().keySet()),
            "bob's valid SHA-256 credential was written although its SHA-512 one failed");
    }

    @Test
    void aCredentialChangedTwiceInOneRequestIsADuplicate() {
        MetadataView view = new MetadataView("c");
        view.load(List.of(), -1);
        ScramCredentialChanges.Plan plan = ScramCredentialChanges.plan(view.image(), new AlterUserScramCredentialsRequest()
            .setUpsertions(new ArrayList<>(List.of(upsert("bob", SHA256, 4096), upsert("bob", SHA256, 5000)))));
        assertEquals(Map.of("bob", ErrorCode.DUPLICATE_RESOURCE.code()), errors(plan));
        assertTrue(plan.records().isEmpty());
    }
}
