package dev.sluice.broker.security.acl;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/** Kafka's ACL operations, with their wire codes. ANY only appears in filters; ALL grants every operation. */
public enum AclOperation {
    UNKNOWN(0), ANY(1), ALL(2), READ(3), WRITE(4), CREATE(5), DELETE(6), ALTER(7), DESCRIBE(8), CLUSTER_ACTION(9),
    DESCRIBE_CONFIGS(10), ALTER_CONFIGS(11), IDEMPOTENT_WRITE(12), CREATE_TOKENS(13), DESCRIBE_TOKENS(14),
    TWO_PHASE_COMMIT(15);

    private final byte code;

    AclOperation(int code) {
        this.code = (byte) code;
    }

    public byte code() {
        return code;
    }

    public static Optional<AclOperation> forCode(byte code) {
        for (AclOperation o : values()) {
            if (o.code == code) {
                return Optional.of(o);
            }
        }
        return Optional.empty();
    }

    /**
     * The operations an ALLOW of this one also allows, itself included: as in Kafka, READ, WRITE,
     * DELETE and ALTER imply DESCRIBE, ALTER_CONFIGS implies DESCRIBE_CONFIGS, ALL implies all.
     */
    public Set<AclOperation> allows() {
        return switch (this) {
            case ALL -> EnumSet.range(READ, TWO_PHASE_COMMIT);
            case READ, WRITE, DELETE, ALTER -> EnumSet.of(this, DESCRIBE);
            case ALTER_CONFIGS -> EnumSet.of(ALTER_CONFIGS, DESCRIBE_CONFIGS);
            default -> EnumSet.of(this);
        };
    }
}
