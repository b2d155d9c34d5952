package dev.sluice.broker.handler;

import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;

/**
 * The {@code authorized_operations} bit sets of Metadata, DescribeCluster and friends. Bits are
 * Kafka's ACL operation codes: of the operations that apply to the resource type, those the
 * request's principal may do (all of them without an authorizer).
 */
final class AuthorizedOperations {
    /** What Kafka sends when the client did not ask for authorized operations. */
    static final int OMITTED = Integer.MIN_VALUE;

    private static final int READ = 3;
    private static final int WRITE = 4;
    private static final int CREATE = 5;
    private static final int DELETE = 6;
    private static final int ALTER = 7;
    private static final int DESCRIBE = 8;
    private static final int CLUSTER_ACTION = 9;
    private static final int DESCRIBE_CONFIGS = 10;
    private static final int ALTER_CONFIGS = 11;
    private static final int IDEMPOTENT_WRITE = 12;
    private static final int CREATE_TOKENS = 13;
    private static final int DESCRIBE_TOKENS = 14;

    static final int TOPIC = bits(READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS);
    static final int CLUSTER = bits(CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS,
        IDEMPOTENT_WRITE, CREATE_TOKENS, DESCRIBE_TOKENS);
    static final int GROUP = bits(READ, DELETE, DESCRIBE);

    private AuthorizedOperations() {
    }

    private static int bits(int... operations) {
        int set = 0;
        for (int op : operations) {
            set |= 1 << op;
        }
        return set;
    }

    /** The operations of {@code candidates} the request's principal may do on the resource. */
    private static int allowed(RequestContext context, int candidates, AclResourceType type, String name) {
        if (context.authorizer() == null) {
            return candidates;
        }
        int set = 0;
        for (int code = 0; code < 31; code++) {
            if ((candidates & (1 << code)) != 0) {
                AclOperation op = AclOperation.forCode((byte) code).orElse(AclOperation.UNKNOWN);
                if (context.allowed(op, type, name)) {
                    set |= 1 << code;
                }
            }
        }
        return set;
    }

    static int topic(RequestContext context, String topic, boolean requested) {
        return requested ? allowed(context, TOPIC, AclResourceType.TOPIC, topic) : OMITTED;
    }

    static int cluster(RequestContext context, boolean requested) {
        return requested ? allowed(context, CLUSTER, AclResourceType.CLUSTER, AclResourceType.CLUSTER_NAME) : OMITTED;
    }

    static int group(RequestContext context, String group, boolean requested) {
        return requested ? allowed(context, GROUP, AclResourceType.GROUP, group) : OMITTED;
    }
}
