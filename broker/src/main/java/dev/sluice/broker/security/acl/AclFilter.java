package dev.sluice.broker.security.acl;

/**
 * What DescribeAcls and DeleteAcls select, as Kafka's filters do: a null name, principal or host
 * matches any; ANY (type, pattern, operation, permission) matches any; pattern MATCH selects the
 * bindings that apply to the named resource (the literal name, the literal wildcard, and
 * prefixes of the name).
 */
public record AclFilter(AclResourceType resourceType, String resourceName, AclPatternType patternType,
                        String principal, String host, AclOperation operation, AclPermission permission) {

    public boolean matches(AclBinding b) {
        if (resourceType != AclResourceType.ANY && resourceType != b.resourceType()) {
            return false;
        }
        boolean resource = switch (patternType) {
            case ANY -> resourceName == null || resourceName.equals(b.resourceName());
            case MATCH -> resourceName == null ? true : b.covers(b.resourceType(), resourceName);
            default -> patternType == b.patternType() && (resourceName == null || resourceName.equals(b.resourceName()));
        };
        return resource
            && (principal == null || principal.equals(b.principal()))
            && (host == null || host.equals(b.host()))
            && (operation == AclOperation.ANY || operation == b.operation())
            && (permission == AclPermission.ANY || permission == b.permission());
    }

    /** Why this filter cannot be used (UNKNOWN values), or null. */
    public String problem() {
        if (resourceType == AclResourceType.UNKNOWN || patternType == AclPatternType.UNKNOWN
                || operation == AclOperation.UNKNOWN || permission == AclPermission.UNKNOWN) {
            return "the filter has an unknown resource type, pattern type, operation or permission";
        }
        return null;
    }
}
