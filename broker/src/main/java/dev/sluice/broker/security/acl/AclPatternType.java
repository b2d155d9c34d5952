package dev.sluice.broker.security.acl;

import java.util.Optional;

/**
 * How an ACL's resource name matches: LITERAL (the name itself, or {@code *} for every resource of
 * the type) or PREFIXED (every name that starts with it). ANY and MATCH only appear in filters:
 * ANY matches bindings of every pattern type; MATCH those that would apply to the named resource.
 */
public enum AclPatternType {
    UNKNOWN(0), ANY(1), MATCH(2), LITERAL(3), PREFIXED(4);

    private final byte code;

    AclPatternType(int code) {
        this.code = (byte) code;
    }

    public byte code() {
        return code;
    }

    public static Optional<AclPatternType> forCode(byte code) {
        for (AclPatternType t : values()) {
            if (t.code == code) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
