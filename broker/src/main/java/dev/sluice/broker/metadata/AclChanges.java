package dev.sluice.broker.metadata;

import dev.sluice.broker.metadata.records.RemoveAccessControlEntryRecord;
import dev.sluice.broker.security.KafkaPrincipal;
import dev.sluice.broker.security.acl.AclBinding;
import dev.sluice.broker.security.acl.AclFilter;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclPatternType;
import dev.sluice.broker.security.acl.AclPermission;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.Message;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plans CreateAcls and DeleteAcls against the metadata image, as Kafka's controller does: a new
 * ACL must name a concrete resource type, a LITERAL or PREFIXED pattern, a concrete operation,
 * ALLOW or DENY, a {@code Type:name} principal, a host and a resource name (the cluster is
 * {@code kafka-cluster}); creating one that exists already succeeds without a second copy.
 * Deletion removes every ACL each filter matches.
 */
final class AclChanges {
    /** One creation's outcome: the record to write (none when it exists or is refused) and why it was refused. */
    record Creation(Message record, String problem) {
    }

    private AclChanges() {
    }

    static List<Creation> create(MetadataImage image, List<AclBinding> creations) {
        List<Creation> out = new ArrayList<>();
        List<AclBinding> known = new ArrayList<>(image.acls().values());
        for (AclBinding acl : creations) {
            String problem = problem(acl);
            if (problem != null) {
                out.add(new Creation(null, problem));
            } else if (known.contains(acl)) {
                out.add(new Creation(null, null));
            } else {
                known.add(acl);
                out.add(new Creation(MetadataView.aclRecord(Controller.randomId(), acl), null));
            }
        }
        return out;
    }

    /** The ACLs each filter removes, by id (an ACL matched by several filters is removed once, for the first). */
    static List<Map<Uuid, AclBinding>> delete(MetadataImage image, List<AclFilter> filters) {
        List<Map<Uuid, AclBinding>> out = new ArrayList<>();
        java.util.Set<Uuid> taken = new java.util.HashSet<>();
        for (AclFilter filter : filters) {
            Map<Uuid, AclBinding> matched = new LinkedHashMap<>();
            if (filter.problem() == null) {
                image.acls().forEach((id, acl) -> {
                    if (filter.matches(acl) && taken.add(id)) {
                        matched.put(id, acl);
                    }
                });
            }
            out.add(matched);
        }
        return out;
    }

    static Message removal(Uuid id) {
        return new RemoveAccessControlEntryRecord().setId(id);
    }

    static String problem(AclBinding acl) {
        if (acl.resourceType() == AclResourceType.ANY || acl.resourceType() == AclResourceType.UNKNOWN) {
            return "Invalid resource type " + acl.resourceType();
        }
        if (acl.patternType() != AclPatternType.LITERAL && acl.patternType() != AclPatternType.PREFIXED) {
            return "Invalid pattern type " + acl.patternType();
        }
        if (acl.operation() == AclOperation.ANY || acl.operation() == AclOperation.UNKNOWN) {
            return "Invalid operation " + acl.operation();
        }
        if (acl.permission() != AclPermission.ALLOW && acl.permission() != AclPermission.DENY) {
            return "Invalid permission type " + acl.permission();
        }
        if (acl.resourceName() == null || acl.resourceName().isEmpty()) {
            return "Resource name should not be empty";
        }
        if (acl.resourceType() == AclResourceType.CLUSTER
                && !(acl.patternType() == AclPatternType.LITERAL && acl.resourceName().equals(AclResourceType.CLUSTER_NAME))) {
            return "The only valid name for the CLUSTER resource is " + AclResourceType.CLUSTER_NAME;
        }
        if (acl.host() == null || acl.host().isEmpty()) {
            return "Invalid host";
        }
        try {
            KafkaPrincipal.parse(acl.principal() == null ? "" : acl.principal());
        } catch (IllegalArgumentException e) {
            return "Could not parse principal from `" + acl.principal() + "` (no colon is present separating the "
                + "principal type from the principal name)";
        }
        return null;
    }
}
