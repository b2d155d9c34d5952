package dev.sluice.broker.security.acl;

import dev.sluice.broker.security.KafkaPrincipal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides requests against the cluster's ACLs with the semantics of Kafka's
 * {@code StandardAuthorizer}: a super user may do anything; otherwise the ACLs whose pattern
 * covers the resource are consulted: if none exists, the answer is
 * {@code allow.everyone.if.no.acl.found}; a DENY that names the principal (or {@code User:*}),
 * the host (or {@code *}) and the operation (or ALL) refuses; else an ALLOW that names them, or
 * an operation that implies the one asked ({@link AclOperation#allows}), permits; else refused.
 *
 * <p>Thread-safe: the ACLs are an immutable index replaced whole by {@link #update} as the
 * metadata log changes them; a decision reads one index.
 */
public final class StandardAuthorizer {
    /** Kafka's wildcard principal, for ACLs that apply to every user. */
    public static final String WILDCARD_PRINCIPAL = "User:*";
    public static final String WILDCARD_HOST = "*";

    /** The ACLs of one resource type, by literal name (the wildcard {@code *} included) and by prefix. */
    private record TypeIndex(Map<String, List<AclBinding>> literal, Map<String, List<AclBinding>> prefixed,
                             int longestPrefix) {
    }

    private final Set<KafkaPrincipal> superUsers;
    private final boolean allowIfNoAcl;
    private volatile Map<AclResourceType, TypeIndex> index = Map.of();
    private volatile List<AclBinding> all = List.of();

    public StandardAuthorizer(Set<KafkaPrincipal> superUsers, boolean allowEveryoneIfNoAclFound) {
        this.superUsers = Set.copyOf(superUsers);
        this.allowIfNoAcl = allowEveryoneIfNoAclFound;
    }

    /** Replaces the ACLs decided against. */
    public void update(Collection<AclBinding> acls) {
        Map<AclResourceType, Map<String, List<AclBinding>>> literal = new EnumMap<>(AclResourceType.class);
        Map<AclResourceType, Map<String, List<AclBinding>>> prefixed = new EnumMap<>(AclResourceType.class);
        for (AclBinding b : acls) {
            Map<AclResourceType, Map<String, List<AclBinding>>> target =
                b.patternType() == AclPatternType.PREFIXED ? prefixed : literal;
            target.computeIfAbsent(b.resourceType(), t -> new HashMap<>())
                .computeIfAbsent(b.resourceName(), n -> new ArrayList<>()).add(b);
        }
        Map<AclResourceType, TypeIndex> next = new EnumMap<>(AclResourceType.class);
        for (AclResourceType type : AclResourceType.values()) {
            Map<String, List<AclBinding>> lit = literal.getOrDefault(type, Map.of());
            Map<String, List<AclBinding>> pre = prefixed.getOrDefault(type, Map.of());
            if (!lit.isEmpty() || !pre.isEmpty()) {
                int longest = pre.keySet().stream().mapToInt(String::length).max().orElse(0);
                next.put(type, new TypeIndex(Map.copyOf(lit), Map.copyOf(pre), longest));
            }
        }
        index = next;
        all = List.copyOf(acls);
    }

    public boolean isSuperUser(KafkaPrincipal principal) {
        return superUsers.contains(principal);
    }

    /** Whether {@code principal} connecting from {@code host} may do {@code operation} on the resource. */
    public boolean authorize(KafkaPrincipal principal, String host, AclOperation operation, AclResourceType type,
                             String name) {
        if (superUsers.contains(principal)) {
            return true;
        }
        TypeIndex acls = index.get(type);
        if (acls == null) {
            return allowIfNoAcl;
        }
        List<AclBinding> matching = new ArrayList<>();
        addAll(matching, acls.literal().get(name));
        addAll(matching, acls.literal().get("*"));
        if (!acls.prefixed().isEmpty()) {
            for (int end = Math.min(name.length(), acls.longestPrefix()); end > 0; end--) {
                addAll(matching, acls.prefixed().get(name.substring(0, end)));
            }
        }
        if (matching.isEmpty()) {
            return allowIfNoAcl;
        }
        String who = principal.toString();
        boolean allowed = false;
        for (AclBinding b : matching) {
            if (!appliesTo(b, who, host)) {
                continue;
            }
            if (b.permission() == AclPermission.DENY
                    && (b.operation() == AclOperation.ALL || b.operation() == operation)) {
                return false;
            }
            if (b.permission() == AclPermission.ALLOW && b.operation().allows().contains(operation)) {
                allowed = true;
            }
        }
        return allowed;
    }

    /**
     * Whether {@code principal} may do {@code operation} on at least one resource of {@code type}
     * (Kafka's check for an idempotent producer with WRITE on some topic): some ALLOW grants it
     * and no DENY of every resource of the type takes it back.
     */
    public boolean authorizeAny(KafkaPrincipal principal, String host, AclOperation operation, AclResourceType type) {
        if (superUsers.contains(principal)) {
            return true;
        }
        String who = principal.toString();
        boolean allowed = false;
        for (AclBinding b : all) {
            if (b.resourceType() != type || !appliesTo(b, who, host)) {
                continue;
            }
            boolean everything = b.patternType() == AclPatternType.LITERAL && b.resourceName().equals("*");
            if (b.permission() == AclPermission.DENY && everything
                    && (b.operation() == AclOperation.ALL || b.operation() == operation)) {
                return false;
            }
            if (b.permission() == AclPermission.ALLOW && b.operation().allows().contains(operation)) {
                allowed = true;
            }
        }
        return allowed || (allowIfNoAcl && !index.containsKey(type));
    }

    private static boolean appliesTo(AclBinding b, String principal, String host) {
        return (b.principal().equals(principal) || b.principal().equals(WILDCARD_PRINCIPAL))
            && (b.host().equals(host) || b.host().equals(WILDCARD_HOST));
    }

    private static void addAll(List<AclBinding> out, List<AclBinding> found) {
        if (found != null) {
            out.addAll(found);
        }
    }
}
