package dev.sluice.broker.handler;

/**
 * The {@code authorized_operations} bit sets of Metadata, DescribeCluster and friends. Bits are
 * Kafka's ACL operation codes. Without an authorizer every operation is allowed, so the sets
 * contain every operation that applies to the resource type.
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

    static int topic(boolean requested) {
        return requested ? TOPIC : OMITTED;
    }

    static int cluster(boolean requested) {
        return requested ? CLUSTER : OMITTED;
    }
}
