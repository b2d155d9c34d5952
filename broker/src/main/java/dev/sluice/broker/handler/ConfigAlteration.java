package dev.sluice.broker.handler;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.BrokerConfigKeys;
import dev.sluice.broker.config.ConfigDef;
import dev.sluice.broker.config.ConfigException;
import dev.sluice.broker.config.ConfigType;
import dev.sluice.broker.config.TopicConfigKeys;
import dev.sluice.broker.group.GroupConfigKeys;
import dev.sluice.broker.metadata.Controller.ConfigEditRefused;
import dev.sluice.broker.metadata.Controller.ConfigOutcome;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.TopicNames;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * One resource's part of an AlterConfigs or IncrementalAlterConfigs request: the checks that need
 * no metadata ({@link #precheck}), and the edit the controller applies to the resource's current
 * overrides ({@link #apply}). Shared by both handlers, which differ only in that legacy AlterConfigs
 * replaces the whole set of overrides with SETs.
 *
 * <p>The errors are Kafka's: INVALID_REQUEST for a malformed resource (a broker id that is not
 * this broker's, a key given twice, a null value, an unknown operation) and for broker keys that
 * cannot change at run time or get a bad value; INVALID_CONFIG for unknown or badly valued topic
 * keys and for APPEND/SUBTRACT on a key that is not a list. Broker keys Sluice does not know are
 * stored as given, as Kafka stores them.
 */
final class ConfigAlteration implements Controller.ConfigEdit {
    static final byte TOPIC = Controller.TOPIC_RESOURCE;
    static final byte BROKER = Controller.BROKER_RESOURCE;
    static final byte BROKER_LOGGER = 8;
    static final byte GROUP = GroupConfigKeys.RESOURCE;

    /** IncrementalAlterConfigs operations, by their wire ids. */
    enum Operation {
        SET, DELETE, APPEND, SUBTRACT;

        static Optional<Operation> of(byte id) {
            return id >= 0 && id < values().length ? Optional.of(values()[id]) : Optional.empty();
        }
    }

    /** One key's change; {@code operation} is empty for an id no Kafka version defines. */
    record Change(String name, Optional<Operation> operation, byte operationId, String value) {
    }

    private final byte resourceType;
    private final String resourceName;
    private final List<Change> changes;
    private final boolean replaceAll;
    private final int nodeId;
    private final boolean anyBroker;
    private BrokerConfig broker;

    /**
     * @param replaceAll whether the changes are the resource's complete new set of overrides
     *                   (legacy AlterConfigs) rather than changes to the current set
     * @param anyBroker  whether any broker's resource may be changed here: on a cluster, where the
     *                   active controller writes every broker's configs (Kafka's tools, such as
     *                   {@code kafka-reassign-partitions --throttle}, change several brokers' at
     *                   once); otherwise only this node's ({@code nodeId})
     */
    ConfigAlteration(byte resourceType, String resourceName, List<Change> changes, boolean replaceAll, int nodeId,
                     boolean anyBroker) {
        this.resourceType = resourceType;
        this.resourceName = resourceName;
        this.changes = List.copyOf(changes);
        this.replaceAll = replaceAll;
        this.nodeId = nodeId;
        this.anyBroker = anyBroker;
    }

    /** Accepts GROUP resources, checked against {@code broker}'s group settings (IncrementalAlterConfigs only, as in Kafka). */
    ConfigAlteration withGroups(BrokerConfig broker) {
        this.broker = broker;
        return this;
    }

    /**
     * Kafka's check: ALTER_CONFIGS on the topic or group, or on the cluster for brokers and their
     * loggers; null when allowed.
     */
    ConfigOutcome refusal(RequestContext context) {
        if (resourceType == GROUP) {
            return context.allowed(AclOperation.ALTER_CONFIGS, AclResourceType.GROUP, resourceName) ? null
                : new ConfigOutcome(ErrorCode.GROUP_AUTHORIZATION_FAILED, "Authorization failed.");
        }
        boolean topic = resourceType == TOPIC;
        boolean allowed = topic ? context.allowed(AclOperation.ALTER_CONFIGS, AclResourceType.TOPIC, resourceName)
            : context.allowedOnCluster(AclOperation.ALTER_CONFIGS);
        return allowed ? null : new ConfigOutcome(topic ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
            : ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Authorization failed.");
    }

    /**
     * Submits the alterations of one request in order and completes with their outcomes in the
     * same order. A resource named more than once gets INVALID_REQUEST at every mention, and none
     * of them is applied, as in Kafka.
     */
    static CompletableFuture<List<ConfigOutcome>> submitAll(Controller controller, List<ConfigAlteration> alterations,
                                                            boolean validateOnly, RequestContext context) {
        Map<String, Integer> mentions = new HashMap<>();
        for (ConfigAlteration a : alterations) {
            mentions.merge(a.resourceKey(), 1, Integer::sum);
        }
        List<CompletableFuture<ConfigOutcome>> futures = new ArrayList<>();
        for (ConfigAlteration a : alterations) {
            ConfigOutcome refused = a.refusal(context);
            futures.add(refused != null ? CompletableFuture.completedFuture(refused)
                : mentions.get(a.resourceKey()) > 1
                ? CompletableFuture.completedFuture(invalidRequest("a resource may appear only once in a request"))
                : a.submit(controller, validateOnly));
        }
        return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
            .thenApply(done -> futures.stream().map(CompletableFuture::join).toList());
    }

    private String resourceKey() {
        return resourceType + ":" + resourceName;
    }

    /**
     * Checks everything that does not depend on the current overrides, then hands the edit to
     * the controller. Completes with the resource's outcome.
     */
    CompletableFuture<ConfigOutcome> submit(Controller controller, boolean validateOnly) {
        ConfigOutcome problem = precheck();
        if (problem != null) {
            return CompletableFuture.completedFuture(problem);
        }
        String storedName = resourceType == BROKER && !resourceName.isEmpty()
            ? Integer.toString(anyBroker ? Integer.parseInt(resourceName.trim()) : nodeId) : resourceName;
        return controller.editConfigs(resourceType, storedName, this, validateOnly);
    }

    /** The resource's error if the request is malformed for it, else null. */
    ConfigOutcome precheck() {
        Set<String> seen = new HashSet<>();
        for (Change c : changes) {
            if (!seen.add(c.name())) {
                return invalidRequest("config key " + c.name() + " appears more than once for this resource");
            }
        }
        List<String> nulls = changes.stream()
            .filter(c -> c.value() == null && c.operation().orElse(Operation.SET) != Operation.DELETE)
            .map(Change::name).toList();
        if (!nulls.isEmpty()) {
            return invalidRequest("null values are only allowed to delete a key; given for " + String.join(", ", nulls));
        }
        switch (resourceType) {
            case TOPIC: {
                String problem = TopicNames.problem(resourceName);
                if (problem != null) {
                    return new ConfigOutcome(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
                }
                break;
            }
            case BROKER: {
                String problem = brokerNameProblem(resourceName, anyBroker ? -1 : nodeId, false);
                if (problem != null) {
                    return invalidRequest(problem);
                }
                break;
            }
            case GROUP:
                if (broker == null) {
                    return invalidRequest("unknown resource type " + resourceType);
                }
                if (resourceName == null || resourceName.isEmpty()) {
                    return invalidRequest("a group config resource is named by a group id, not empty");
                }
                break;
            case BROKER_LOGGER:
                // Legacy AlterConfigs never took logger resources; the incremental API does in Kafka.
                return invalidRequest(replaceAll ? "unknown resource type " + resourceType
                    : "Sluice does not change logger levels at run time");
            default:
                return invalidRequest("unknown resource type " + resourceType);
        }
        for (Change c : changes) {
            if (c.operation().isEmpty()) {
                return invalidRequest("unknown config operation " + c.operationId() + " for key " + c.name());
            }
        }
        return null;
    }

    /**
     * Why {@code name} does not name this broker's config resource, or null if it does: it must
     * be this broker's id ({@code nodeId}; any broker's when it is -1), or "" for the default of
     * every broker.
     */
    static String brokerNameProblem(String name, int nodeId, boolean forDescribe) {
        if (name == null || name.isEmpty()) {
            return null;
        }
        int id;
        try {
            id = Integer.parseInt(name.trim());
        } catch (NumberFormatException e) {
            return "a broker config resource is named by a broker id, an integer, not '" + name + "'";
        }
        if (nodeId != -1 && id != nodeId) {
            return "this is broker " + nodeId + "; it can only answer for itself"
                + (forDescribe ? " or for the cluster default (an empty name)" : "") + ", not for broker " + name;
        }
        return null;
    }

    @Override
    public Map<String, String> apply(Map<String, String> current) {
        Map<String, String> next = new LinkedHashMap<>(replaceAll ? Map.of() : current);
        for (Change c : changes) {
            Operation op = c.operation().orElseThrow();
            ConfigDef def = definition(c.name());
            switch (op) {
                case SET:
                    next.put(c.name(), c.value());
                    break;
                case DELETE:
                    next.remove(c.name());
                    break;
                case APPEND:
                case SUBTRACT:
                    next.put(c.name(), editList(c, op, def, next.get(c.name())));
                    break;
                default:
                    throw new IllegalStateException("unhandled operation " + op);
            }
        }
        if (resourceType == TOPIC) {
            checkTopicValues(current, next);
        } else if (resourceType == GROUP) {
            try {
                GroupConfigKeys.validate(next, broker);
            } catch (ConfigException e) {
                throw new ConfigEditRefused(ErrorCode.INVALID_CONFIG, e.getMessage());
            }
        } else {
            checkBrokerValues(next);
        }
        return next;
    }

    private ConfigDef definition(String name) {
        if (resourceType == GROUP) {
            return GroupConfigKeys.find(name).orElse(null);
        }
        return resourceType == TOPIC
            ? TopicConfigKeys.find(name).map(TopicConfigKeys.TopicKey::def).orElse(null)
            : BrokerConfigKeys.find(name).orElse(null);
    }

    /** APPEND adds the elements not yet there; SUBTRACT removes those that are. */
    private String editList(Change c, Operation op, ConfigDef def, String currentValue) {
        if (def == null) {
            throw new ConfigEditRefused(ErrorCode.INVALID_CONFIG, unknownKey(c.name()));
        }
        if (def.type() != ConfigType.LIST) {
            throw new ConfigEditRefused(ErrorCode.INVALID_CONFIG, "cannot " + op + " to " + c.name()
                + ": only keys of type LIST take APPEND and SUBTRACT, and it is " + def.type());
        }
        // Without an override the list starts from the key's default, as in Kafka (not from
        // server.properties: a cluster-wide tool cannot know each broker's file).
        List<String> elements = new ArrayList<>(split(currentValue != null ? currentValue : def.defaultValue()));
        for (String element : split(c.value())) {
            if (op == Operation.APPEND && !elements.contains(element)) {
                elements.add(element);
            } else if (op == Operation.SUBTRACT) {
                elements.remove(element);
            }
        }
        return String.join(",", elements);
    }

    private static List<String> split(String value) {
        if (value == null) {
            return List.of();
        }
        return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /**
     * Every key this request sets must be a topic key with a valid, supported value; the
     * resulting overrides must pass the same rules between keys as CreateTopics; and a tiered
     * topic cannot be turned back (Kafka allows it only with remote.log.copy.disable and
     * remote.log.delete.on.disable, which Sluice does not honour yet).
     */
    private void checkTopicValues(Map<String, String> current, Map<String, String> next) {
        try {
            for (Change c : changes) {
                if (next.containsKey(c.name())) {
                    TopicConfigKeys.validateValue(c.name(), next.get(c.name()));
                }
            }
            TopicConfigKeys.validateCombination(next);
        } catch (ConfigException e) {
            throw new ConfigEditRefused(ErrorCode.INVALID_CONFIG, e.getMessage());
        }
        if (TopicConfigKeys.tiered(current) && !TopicConfigKeys.tiered(next)) {
            throw new ConfigEditRefused(ErrorCode.INVALID_CONFIG, "remote.storage.enable cannot be turned off on a"
                + " tiered topic: Sluice does not yet support remote.log.copy.disable and remote.log.delete.on.disable,"
                + " which Kafka needs for that");
        }
    }

    /**
     * Every known broker key this request sets must be one that may change at run time, with a
     * valid value. Unknown keys pass: Kafka keeps them for plugins that read them.
     */
    private void checkBrokerValues(Map<String, String> next) {
        Set<String> fixed = new TreeSet<>();
        for (Change c : changes) {
            ConfigDef def = definition(c.name());
            if (next.containsKey(c.name()) && def != null && !def.dynamic()) {
                fixed.add(c.name());
            }
        }
        if (!fixed.isEmpty()) {
            throw new ConfigEditRefused(ErrorCode.INVALID_REQUEST,
                "cannot be changed while the broker runs (set them in server.properties): " + String.join(", ", fixed));
        }
        for (Change c : changes) {
            ConfigDef def = definition(c.name());
            if (next.containsKey(c.name()) && def != null) {
                try {
                    def.parse(next.get(c.name()));
                } catch (ConfigException e) {
                    throw new ConfigEditRefused(ErrorCode.INVALID_REQUEST, e.getMessage());
                }
            }
        }
    }

    private String unknownKey(String name) {
        return (resourceType == TOPIC ? "unknown topic config key: " : resourceType == GROUP
            ? "unknown group config key: " : "unknown broker config key: ") + name;
    }

    private static ConfigOutcome invalidRequest(String message) {
        return new ConfigOutcome(ErrorCode.INVALID_REQUEST, message);
    }
}
