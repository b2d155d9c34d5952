package dev.sluice.broker.config;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** A role of a node in a KRaft cluster, as {@code process.roles} names it. */
public enum ProcessRole {
    /** Serves clients: holds partitions, answers produce, fetch and the rest. */
    BROKER,
    /** Votes in the metadata quorum and may become the active controller. */
    CONTROLLER;

    /** Each entry of {@code process.roles} must name a role, once. */
    static final ConfigDef.Check CHECK = value -> {
        @SuppressWarnings("unchecked")
        List<String> names = (List<String>) value;
        Set<String> seen = new HashSet<>();
        for (String name : names) {
            if (!name.equals("broker") && !name.equals("controller")) {
                return "unknown process role '" + name + "' (only 'broker' and 'controller' are allowed roles)";
            }
            if (!seen.add(name)) {
                return "role '" + name + "' appears twice";
            }
        }
        return null;
    };

    /** The name in {@code process.roles}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The roles a checked {@code process.roles} list names. */
    static Set<ProcessRole> of(List<String> names) {
        Set<ProcessRole> roles = EnumSet.noneOf(ProcessRole.class);
        for (String name : names) {
            roles.add(valueOf(name.toUpperCase(Locale.ROOT)));
        }
        return roles;
    }
}
