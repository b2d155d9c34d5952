package dev.sluice.broker.handler;

import dev.sluice.broker.security.acl.AclFilter;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclPatternType;
import dev.sluice.broker.security.acl.AclPermission;
import dev.sluice.broker.security.acl.AclResourceType;

/** ACL filters as the ACL APIs carry them: codes a newer client may send that Sluice does not know read as UNKNOWN. */
final class AclCodes {
    private AclCodes() {
    }

    static AclFilter filter(byte resourceType, String resourceName, byte patternType, String principal, String host,
                            byte operation, byte permission) {
        return new AclFilter(AclResourceType.forCode(resourceType).orElse(AclResourceType.UNKNOWN), resourceName,
            AclPatternType.forCode(patternType).orElse(AclPatternType.UNKNOWN), principal, host,
            AclOperation.forCode(operation).orElse(AclOperation.UNKNOWN),
            AclPermission.forCode(permission).orElse(AclPermission.UNKNOWN));
    }

    static final String NO_AUTHORIZER = "No Authorizer is configured on the broker (authorizer.class.name)";
}
