package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.ScramCredentialImage;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DescribeUserScramCredentialsRequest;
import dev.sluice.wire.message.DescribeUserScramCredentialsResponse.CredentialInfo;
import dev.sluice.wire.message.DescribeUserScramCredentialsResponse.DescribeUserScramCredentialsResult;
import dev.sluice.wire.message.DescribeUserScramCredentialsResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * DescribeUserScramCredentials (key 50), v0: each user's SCRAM mechanisms and iterations from the
 * metadata image, never the keys. No users listed (null) describes every user; a user without
 * credentials is RESOURCE_NOT_FOUND and one asked twice DUPLICATE_RESOURCE, as in Kafka.
 */
public final class DescribeUserScramCredentialsHandler
        extends ApiHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse> {
    private final MetadataView view;

    public DescribeUserScramCredentialsHandler(MetadataView view) {
        super(ApiKey.DESCRIBE_USER_SCRAM_CREDENTIALS, 0, 0);
        this.view = view;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DescribeUserScramCredentialsResponse> handle(RequestContext context,
                                                                           DescribeUserScramCredentialsRequest request) {
        if (!(context.allowedOnCluster(AclOperation.DESCRIBE))) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
        }
        MetadataImage image = view.image();
        List<DescribeUserScramCredentialsResult> results = new ArrayList<>();
        if (request.users() == null) {
            image.scramCredentials().forEach((user, credentials) -> results.add(described(user, credentials)));
        } else {
            Set<String> asked = new HashSet<>();
            Set<String> twice = new HashSet<>();
            for (DescribeUserScramCredentialsRequest.UserName u : request.users()) {
                if (!asked.add(u.name())) {
                    twice.add(u.name());
                }
            }
            Set<String> answered = new HashSet<>();
            for (DescribeUserScramCredentialsRequest.UserName u : request.users()) {
                if (!answered.add(u.name())) {
                    continue;
                }
                Map<Byte, ScramCredentialImage> credentials = image.scramCredentials().get(u.name());
                if (twice.contains(u.name())) {
                    results.add(failed(u.name(), ErrorCode.DUPLICATE_RESOURCE,
                        "Cannot describe SCRAM credentials for the same user twice in a single request"));
                } else if (credentials == null) {
                    results.add(failed(u.name(), ErrorCode.RESOURCE_NOT_FOUND, "Attempt to describe nonexistent user"));
                } else {
                    results.add(described(u.name(), credentials));
                }
            }
        }
        return CompletableFuture.completedFuture(new DescribeUserScramCredentialsResponse().setResults(results));
    }

    private static DescribeUserScramCredentialsResult described(String user, Map<Byte, ScramCredentialImage> credentials) {
        List<CredentialInfo> infos = new ArrayList<>();
        for (ScramCredentialImage c : credentials.values()) {
            infos.add(new CredentialInfo().setMechanism(c.mechanism()).setIterations(c.iterations()));
        }
        return new DescribeUserScramCredentialsResult().setUser(user).setCredentialInfos(infos);
    }

    private static DescribeUserScramCredentialsResult failed(String user, ErrorCode error, String message) {
        return new DescribeUserScramCredentialsResult().setUser(user).setErrorCode(error.code()).setErrorMessage(message);
    }

    @Override
    public DescribeUserScramCredentialsResponse errorResponse(DescribeUserScramCredentialsRequest request,
                                                              ErrorCode error) {
        return new DescribeUserScramCredentialsResponse().setErrorCode(error.code());
    }
}
