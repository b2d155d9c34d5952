package dev.sluice.broker.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One entry of {@code controller.quorum.voters}, {@code id@host:port}: a controller's node id and
 * the address of its CONTROLLER listener, where the metadata quorum reaches it.
 */
public record QuorumVoter(int nodeId, HostPort address) {

    /** Parses the whole list; a node id may appear only once. */
    static List<QuorumVoter> parseAll(String key, List<String> entries) {
        List<QuorumVoter> voters = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (String entry : entries) {
            int at = entry.indexOf('@');
            if (at <= 0) {
                throw new ConfigException(key, entry, "expected {node id}@{host}:{port}");
            }
            int id;
            try {
                id = Integer.parseInt(entry.substring(0, at).trim());
            } catch (NumberFormatException e) {
                throw new ConfigException(key, entry, "the node id is not a number");
            }
            if (id < 0) {
                throw new ConfigException(key, entry, "the node id must be at least 0");
            }
            if (!ids.add(id)) {
                throw new ConfigException(key, entry, "node id " + id + " appears twice");
            }
            voters.add(new QuorumVoter(id, HostPort.parse(key, entry, entry.substring(at + 1).trim())));
        }
        return List.copyOf(voters);
    }

    @Override
    public String toString() {
        return nodeId + "@" + address;
    }
}
