package dev.sluice.broker.security.acl;

import static dev.sluice.broker.security.acl.AclOperation.ALL;
import static dev.sluice.broker.security.acl.AclOperation.ALTER_CONFIGS;
import static dev.sluice.broker.security.acl.AclOperation.DESCRIBE;
import static dev.sluice.broker.security.acl.AclOperation.DESCRIBE_CONFIGS;
import static dev.sluice.broker.security.acl.AclOperation.READ;
import static dev.sluice.broker.security.acl.AclOperation.WRITE;
import static dev.sluice.broker.security.acl.AclPatternType.LITERAL;
import static dev.sluice.broker.security.acl.AclPatternType.PREFIXED;
import static dev.sluice.broker.security.acl.AclPermission.ALLOW;
import static dev.sluice.broker.security.acl.AclPermission.DENY;
import static dev.sluice.broker.security.acl.AclResourceType.GROUP;
import static dev.sluice.broker.security.acl.AclResourceType.TOPIC;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.security.KafkaPrincipal;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Kafka's StandardAuthorizer rules: patterns, wildcards, hosts, implications, DENY over ALLOW, super users, no ACL. */
class StandardAuthorizerTest {
    private static final KafkaPrincipal ALICE = KafkaPrincipal.user("alice");
    private static final KafkaPrincipal BOB = KafkaPrincipal.user("bob");
    private static final String HOST = "10.0.0.1";

    private static AclBinding acl(AclResourceType type, String name, AclPatternType pattern, String principal,
                                  String host, AclOperation op, AclPermission permission) {
        return new AclBinding(type, name, pattern, principal, host, op, permission);
    }

    private static StandardAuthorizer with(boolean allowIfNoAcl, AclBinding... acls) {
        StandardAuthorizer authorizer = new StandardAuthorizer(Set.of(KafkaPrincipal.user("admin")), allowIfNoAcl);
        authorizer.update(List.of(acls));
        return authorizer;
    }

    @Test
    void literalPrefixedAndWildcardPatternsApply() {
        StandardAuthorizer a = with(false,
            acl(TOPIC, "orders", LITERAL, "User:alice", "*", WRITE, ALLOW),
            acl(TOPIC, "logs-", PREFIXED, "User:alice", "*", READ, ALLOW),
            acl(TOPIC, "*", LITERAL, "User:*", "*", DESCRIBE, ALLOW));
        assertTrue(a.authorize(ALICE, HOST, WRITE, TOPIC, "orders"));
        assertFalse(a.authorize(ALICE, HOST, WRITE, TOPIC, "orders2"));
        assertTrue(a.authorize(ALICE, HOST, READ, TOPIC, "logs-app"));
        assertFalse(a.authorize(ALICE, HOST, READ, TOPIC, "log"));
        assertTrue(a.authorize(BOB, HOST, DESCRIBE, TOPIC, "anything"));
        assertFalse(a.authorize(BOB, HOST, READ, TOPIC, "logs-app"));
    }

    @Test
    void operationsImplyDescribeAndAlterConfigsImpliesDescribeConfigs() {
        StandardAuthorizer a = with(false,
            acl(TOPIC, "t", LITERAL, "User:alice", "*", READ, ALLOW),
            acl(TOPIC, "c", LITERAL, "User:alice", "*", ALTER_CONFIGS, ALLOW),
            acl(GROUP, "g", LITERAL, "User:alice", "*", ALL, ALLOW));
        assertTrue(a.authorize(ALICE, HOST, DESCRIBE, TOPIC, "t"));
        assertFalse(a.authorize(ALICE, HOST, WRITE, TOPIC, "t"));
        assertTrue(a.authorize(ALICE, HOST, DESCRIBE_CONFIGS, TOPIC, "c"));
        assertFalse(a.authorize(ALICE, HOST, DESCRIBE, TOPIC, "c"));
        assertTrue(a.authorize(ALICE, HOST, READ, GROUP, "g"));
    }

    @Test
    void denyWinsAndHostsMatter() {
        StandardAuthorizer a = with(false,
            acl(TOPIC, "*", LITERAL, "User:alice", "*", ALL, ALLOW),
            acl(TOPIC, "secret", LITERAL, "User:alice", "*", WRITE, DENY),
            acl(TOPIC, "lab-", PREFIXED, "User:alice", "10.0.0.9", ALL, DENY));
        assertTrue(a.authorize(ALICE, HOST, READ, TOPIC, "secret"));
        assertFalse(a.authorize(ALICE, HOST, WRITE, TOPIC, "secret"));
        assertTrue(a.authorize(ALICE, HOST, WRITE, TOPIC, "lab-1"));
        assertFalse(a.authorize(ALICE, "10.0.0.9", READ, TOPIC, "lab-1"));
    }

    @Test
    void superUsersAndResourcesWithoutAcls() {
        StandardAuthorizer closed = with(false, acl(TOPIC, "t", LITERAL, "User:alice", "*", READ, ALLOW));
        assertTrue(closed.authorize(KafkaPrincipal.user("admin"), HOST, WRITE, TOPIC, "t"));
        assertFalse(closed.authorize(BOB, HOST, READ, TOPIC, "untouched"));
        assertFalse(closed.authorize(BOB, HOST, READ, GROUP, "g"));
        StandardAuthorizer open = with(true, acl(TOPIC, "t", LITERAL, "User:alice", "*", READ, ALLOW));
        assertTrue(open.authorize(BOB, HOST, READ, TOPIC, "untouched"));
        assertFalse(open.authorize(BOB, HOST, READ, TOPIC, "t"), "an ACL on the resource, for someone else, closes it");
    }

    @Test
    void authorizeAnyLooksForSomeResourceOfTheType() {
        StandardAuthorizer a = with(false, acl(TOPIC, "orders", LITERAL, "User:alice", "*", WRITE, ALLOW));
        assertTrue(a.authorizeAny(ALICE, HOST, WRITE, TOPIC));
        assertFalse(a.authorizeAny(BOB, HOST, WRITE, TOPIC));
        StandardAuthorizer denied = with(false, acl(TOPIC, "orders", LITERAL, "User:alice", "*", WRITE, ALLOW),
            acl(TOPIC, "*", LITERAL, "User:alice", "*", WRITE, DENY));
        assertFalse(denied.authorizeAny(ALICE, HOST, WRITE, TOPIC));
    }
}
