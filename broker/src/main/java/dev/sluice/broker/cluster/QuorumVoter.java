package dev.sluice.broker.cluster;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One controller of the metadata quorum as {@code controller.quorum.voters} names it:
 * {@code id@host:port}, where the address is the node's CONTROLLER listener.
 */
public record QuorumVoter(int id, String host, int port) {
    public QuorumVoter {
        if (id < 0) {
            throw new IllegalArgumentException("voter id must be non-negative: " + id);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("voter " + id + " has port " + port + " outside 0..65535");
        }
    }

    /**
     * The voters of a {@code controller.quorum.voters} value, e.g. {@code 1@a:9093,2@b:9093,3@[::1]:9093}.
     *
     * @throws IllegalArgumentException naming the entry that is not {@code id@host:port}, or a repeated id
     */
    public static List<QuorumVoter> parseAll(String voters) {
        List<QuorumVoter> parsed = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (String entry : voters.split(",")) {
            String trimmed = entry.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            QuorumVoter voter = parse(trimmed);
            if (!ids.add(voter.id())) {
                throw new IllegalArgumentException("controller.quorum.voters names voter " + voter.id() + " twice");
            }
            parsed.add(voter);
        }
        return List.copyOf(parsed);
    }

    private static QuorumVoter parse(String entry) {
        int at = entry.indexOf('@');
        int colon = entry.lastIndexOf(':');
        if (at <= 0 || colon <= at + 1 || colon == entry.length() - 1) {
            throw new IllegalArgumentException("controller.quorum.voters entry '" + entry + "' is not id@host:port");
        }
        String host = entry.substring(at + 1, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new QuorumVoter(Integer.parseInt(entry.substring(0, at)), host,
                Integer.parseInt(entry.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("controller.quorum.voters entry '" + entry + "' is not id@host:port", e);
        }
    }

    /** {@code host:port}, with an IPv6 host in brackets, as Ratis and gRPC take an address. */
    String address() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
