package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.wire.message.AlterUserScramCredentialsRequest;
import dev.sluice.wire.message.AlterUserScramCredentialsResponse;
import dev.sluice.wire.message.AlterUserScramCredentialsResponse.AlterUserScramCredentialsResult;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * AlterUserScramCredentials (key 51), v0: sets and deletes SCRAM credentials in the metadata log,
 * a controller decision (forwarded to the active controller in a cluster). What
 * {@code kafka-configs --alter --add-config 'SCRAM-SHA-256=[password=...]' --entity-type users}
 * sends: the client salts and hashes the password itself.
 */
public final class AlterUserScramCredentialsHandler
        extends ApiHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse> {
    private final Controller controller;

    public AlterUserScramCredentialsHandler(Controller controller) {
        super(ApiKey.ALTER_USER_SCRAM_CREDENTIALS, 0, 0);
        this.controller = controller;
    }

    @Override
    public CompletableFuture<AlterUserScramCredentialsResponse> handle(RequestContext context,
                                                                        AlterUserScramCredentialsRequest request) {
        return controller.alterScramCredentials(request);
    }

    @Override
    public AlterUserScramCredentialsResponse errorResponse(AlterUserScramCredentialsRequest request, ErrorCode error) {
        Set<String> users = new LinkedHashSet<>();
        request.deletions().forEach(d -> users.add(d.name()));
        request.upsertions().forEach(u -> users.add(u.name()));
        List<AlterUserScramCredentialsResult> results = new ArrayList<>();
        for (String user : users) {
            results.add(new AlterUserScramCredentialsResult().setUser(user).setErrorCode(error.code()));
        }
        return new AlterUserScramCredentialsResponse().setResults(results);
    }
}
