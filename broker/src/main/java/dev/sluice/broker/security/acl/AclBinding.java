package dev.sluice.broker.security.acl;

/**
 * One ACL: which resources (type, name, pattern), whom ({@code principal} as {@code Type:name},
 * {@code User:*} for everyone), from where ({@code host}, {@code *} for anywhere), what
 * ({@code operation}), and whether it is allowed or denied.
 */
public record AclBinding(AclResourceType resourceType, String resourceName, AclPatternType patternType,
                         String principal, String host, AclOperation operation, AclPermission permission) {

    /** Whether this binding's pattern covers the resource {@code type}/{@code name}. */
    boolean covers(AclResourceType type, String name) {
        if (type != resourceType) {
            return false;
        }
        return switch (patternType) {
            case LITERAL -> resourceName.equals(name) || resourceName.equals("*");
            case PREFIXED -> name.startsWith(resourceName);
            default -> false;
        };
    }
}
