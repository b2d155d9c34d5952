package dev.sluice.broker.metadata;

import dev.sluice.broker.quota.QuotaEntity;
import dev.sluice.broker.security.acl.AclBinding;
import dev.sluice.wire.codec.Uuid;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A consistent snapshot of the cluster metadata: topics by name and id, and dynamic broker configs.
 * Immutable; the controller publishes a new image for every change, and readers (handlers on any
 * thread) take whichever image is current without locking.
 *
 * @param brokerConfigs dynamic broker config overrides: the resource name (broker id, or "" for the
 *                      cluster-wide default) to its key/value overrides
 * @param nextProducerId the first producer id not yet handed out in a block
 * @param brokers the registered brokers by id, sorted; empty on a single node, which registers none
 * @param nextBrokerEpoch the lowest broker epoch not yet handed out: epochs only grow over the
 *                        cluster's life, unregistrations included
 * @param scramCredentials SCRAM credentials by user, then by mechanism type
 * @param acls the ACLs, by id
 * @param clientQuotas client quotas by entity, then by key
 * @param features the feature levels finalized in the cluster, by name; a feature not here has
 *                 its default level (see {@link Features})
 * @param groupConfigs each group's dynamic config overrides (Kafka's GROUP resource), by group id
 * @param delegationTokens the delegation tokens not yet expired and removed, by token id
 */
public record MetadataImage(String clusterId, long version, Map<String, TopicImage> topicsByName,
                            Map<Uuid, TopicImage> topicsById, Map<String, Map<String, String>> brokerConfigs,
                            long nextProducerId, Map<Integer, BrokerRegistration> brokers, long nextBrokerEpoch,
                            Map<String, Map<Byte, ScramCredentialImage>> scramCredentials, Map<Uuid, AclBinding> acls,
                            Map<QuotaEntity, Map<String, Double>> clientQuotas, Map<String, Short> features,
                            Map<String, Map<String, String>> groupConfigs,
                            Map<String, DelegationTokenImage> delegationTokens) {

    /** An image without delegation tokens. */
    public MetadataImage(String clusterId, long version, Map<String, TopicImage> topicsByName,
                         Map<Uuid, TopicImage> topicsById, Map<String, Map<String, String>> brokerConfigs,
                         long nextProducerId, Map<Integer, BrokerRegistration> brokers, long nextBrokerEpoch,
                         Map<String, Map<Byte, ScramCredentialImage>> scramCredentials, Map<Uuid, AclBinding> acls,
                         Map<QuotaEntity, Map<String, Double>> clientQuotas, Map<String, Short> features,
                         Map<String, Map<String, String>> groupConfigs) {
        this(clusterId, version, topicsByName, topicsById, brokerConfigs, nextProducerId, brokers, nextBrokerEpoch,
            scramCredentials, acls, clientQuotas, features, groupConfigs, Map.of());
    }

    /** An image without group configs. */
    public MetadataImage(String clusterId, long version, Map<String, TopicImage> topicsByName,
                         Map<Uuid, TopicImage> topicsById, Map<String, Map<String, String>> brokerConfigs,
                         long nextProducerId, Map<Integer, BrokerRegistration> brokers, long nextBrokerEpoch,
                         Map<String, Map<Byte, ScramCredentialImage>> scramCredentials, Map<Uuid, AclBinding> acls,
                         Map<QuotaEntity, Map<String, Double>> clientQuotas, Map<String, Short> features) {
        this(clusterId, version, topicsByName, topicsById, brokerConfigs, nextProducerId, brokers, nextBrokerEpoch,
            scramCredentials, acls, clientQuotas, features, Map.of());
    }

    /** The dynamic configs of group {@code groupId}; empty when it sets none. */
    public Map<String, String> groupConfigs(String groupId) {
        return groupConfigs.getOrDefault(groupId, Map.of());
    }

    /** An image without finalized feature levels. */
    public MetadataImage(String clusterId, long version, Map<String, TopicImage> topicsByName,
                         Map<Uuid, TopicImage> topicsById, Map<String, Map<String, String>> brokerConfigs,
                         long nextProducerId, Map<Integer, BrokerRegistration> brokers, long nextBrokerEpoch,
                         Map<String, Map<Byte, ScramCredentialImage>> scramCredentials, Map<Uuid, AclBinding> acls,
                         Map<QuotaEntity, Map<String, Double>> clientQuotas) {
        this(clusterId, version, topicsByName, topicsById, brokerConfigs, nextProducerId, brokers, nextBrokerEpoch,
            scramCredentials, acls, clientQuotas, Map.of(), Map.of());
    }

    /** An image without SCRAM credentials or ACLs. */
    public MetadataImage(String clusterId, long version, Map<String, TopicImage> topicsByName,
                         Map<Uuid, TopicImage> topicsById, Map<String, Map<String, String>> brokerConfigs,
                         long nextProducerId, Map<Integer, BrokerRegistration> brokers, long nextBrokerEpoch) {
        this(clusterId, version, topicsByName, topicsById, brokerConfigs, nextProducerId, brokers, nextBrokerEpoch,
            Map.of(), Map.of(), Map.of());
    }

    /** {@code user}'s credential for SCRAM mechanism type {@code mechanism}, if one is set. */
    public Optional<ScramCredentialImage> scramCredential(String user, byte mechanism) {
        return Optional.ofNullable(scramCredentials.getOrDefault(user, Map.of()).get(mechanism));
    }

    /** An image without brokers, as a single node has. */
    public MetadataImage(String clusterId, long version, Map<String, TopicImage> topicsByName,
                         Map<Uuid, TopicImage> topicsById, Map<String, Map<String, String>> brokerConfigs,
                         long nextProducerId) {
        this(clusterId, version, topicsByName, topicsById, brokerConfigs, nextProducerId, Map.of(), 0);
    }

    public static MetadataImage empty(String clusterId) {
        return new MetadataImage(clusterId, 0, Map.of(), Map.of(), Map.of(), 0);
    }

    public Optional<BrokerRegistration> broker(int id) {
        return Optional.ofNullable(brokers.get(id));
    }

    public Optional<TopicImage> topic(String name) {
        return Optional.ofNullable(topicsByName.get(name));
    }

    public Optional<TopicImage> topic(Uuid id) {
        return Optional.ofNullable(topicsById.get(id));
    }

    /** Every topic, sorted by name. */
    public Collection<TopicImage> topics() {
        return topicsByName.values();
    }

    public Map<String, String> brokerConfigs(String resource) {
        return brokerConfigs.getOrDefault(resource, Map.of());
    }

    /** Builds a new image from a base by applying changes; used by the controller and on replay. */
    static final class Builder {
        private final String clusterId;
        private long version;
        private final TreeMap<String, TopicImage> byName;
        private final Map<Uuid, TopicImage> byId;
        private final Map<String, Map<String, String>> brokerConfigs;
        private long nextProducerId;
        private final TreeMap<Integer, BrokerRegistration> brokers;
        private long nextBrokerEpoch;
        private final TreeMap<String, Map<Byte, ScramCredentialImage>> scram;
        private final Map<Uuid, AclBinding> acls;
        private final Map<QuotaEntity, Map<String, Double>> quotas;
        private final Map<String, Short> features;
        private final Map<String, Map<String, String>> groupConfigs;
        private final Map<String, DelegationTokenImage> tokens;

        Builder(MetadataImage base) {
            this.clusterId = base.clusterId();
            this.version = base.version();
            this.byName = new TreeMap<>(base.topicsByName());
            this.byId = new java.util.HashMap<>(base.topicsById());
            this.brokerConfigs = new java.util.HashMap<>(base.brokerConfigs());
            this.nextProducerId = base.nextProducerId();
            this.brokers = new TreeMap<>(base.brokers());
            this.nextBrokerEpoch = base.nextBrokerEpoch();
            this.scram = new TreeMap<>(base.scramCredentials());
            this.acls = new java.util.LinkedHashMap<>(base.acls());
            this.quotas = new java.util.HashMap<>(base.clientQuotas());
            this.features = new TreeMap<>(base.features());
            this.groupConfigs = new java.util.HashMap<>(base.groupConfigs());
            this.tokens = new java.util.HashMap<>(base.delegationTokens());
        }

        void putDelegationToken(DelegationTokenImage token) {
            tokens.put(token.tokenId(), token);
            version++;
        }

        void removeDelegationToken(String tokenId) {
            tokens.remove(tokenId);
            version++;
        }

        void setGroupConfig(String groupId, String key, String value) {
            setNested(groupConfigs, groupId, key, value);
            version++;
        }

        void setFeatureLevel(String name, short level) {
            features.put(name, level);
            version++;
        }

        void setClientQuota(QuotaEntity entity, String key, Double value) {
            setNested(quotas, entity, key, value);
            version++;
        }

        /** Sets (or with a null value removes) {@code key} in the map {@code outer} holds for {@code name}. */
        private static <N, V> void setNested(Map<N, Map<String, V>> outer, N name, String key, V value) {
            Map<String, V> current = new TreeMap<>(outer.getOrDefault(name, Map.of()));
            if (value == null) {
                current.remove(key);
            } else {
                current.put(key, value);
            }
            if (current.isEmpty()) {
                outer.remove(name);
            } else {
                outer.put(name, Collections.unmodifiableMap(current));
            }
        }

        void putAcl(Uuid id, AclBinding acl) {
            acls.put(id, acl);
            version++;
        }

        void removeAcl(Uuid id) {
            acls.remove(id);
            version++;
        }

        void putScramCredential(ScramCredentialImage credential) {
            Map<Byte, ScramCredentialImage> byMechanism = new TreeMap<>(scram.getOrDefault(credential.user(), Map.of()));
            byMechanism.put(credential.mechanism(), credential);
            scram.put(credential.user(), Collections.unmodifiableMap(byMechanism));
            version++;
        }

        void removeScramCredential(String user, byte mechanism) {
            Map<Byte, ScramCredentialImage> byMechanism = new TreeMap<>(scram.getOrDefault(user, Map.of()));
            byMechanism.remove(mechanism);
            if (byMechanism.isEmpty()) {
                scram.remove(user);
            } else {
                scram.put(user, Collections.unmodifiableMap(byMechanism));
            }
            version++;
        }

        Optional<BrokerRegistration> broker(int id) {
            return Optional.ofNullable(brokers.get(id));
        }

        /** Adds or replaces a registration; epochs below and at its epoch count as handed out. */
        void putBroker(BrokerRegistration broker) {
            brokers.put(broker.id(), broker);
            nextBrokerEpoch(broker.epoch() + 1);
        }

        void removeBroker(int id) {
            brokers.remove(id);
            version++;
        }

        void nextBrokerEpoch(long next) {
            nextBrokerEpoch = Math.max(nextBrokerEpoch, next);
            version++;
        }

        void nextProducerId(long next) {
            nextProducerId = Math.max(nextProducerId, next);
            version++;
        }

        Optional<TopicImage> topic(Uuid id) {
            return Optional.ofNullable(byId.get(id));
        }

        Optional<TopicImage> topic(String name) {
            return Optional.ofNullable(byName.get(name));
        }

        void putTopic(TopicImage topic) {
            TopicImage old = byId.put(topic.id(), topic);
            if (old != null && !old.name().equals(topic.name())) {
                byName.remove(old.name());
            }
            byName.put(topic.name(), topic);
            version++;
        }

        void removeTopic(Uuid id) {
            TopicImage old = byId.remove(id);
            if (old != null) {
                byName.remove(old.name());
            }
            version++;
        }

        void setBrokerConfig(String resource, String key, String value) {
            setNested(brokerConfigs, resource, key, value);
            version++;
        }

        MetadataImage build() {
            return new MetadataImage(clusterId, version, Collections.unmodifiableMap(new TreeMap<>(byName)),
                Map.copyOf(byId), Map.copyOf(brokerConfigs), nextProducerId,
                Collections.unmodifiableMap(new TreeMap<>(brokers)), nextBrokerEpoch,
                Collections.unmodifiableMap(new TreeMap<>(scram)), Collections.unmodifiableMap(new java.util.LinkedHashMap<>(acls)),
                Map.copyOf(quotas), Collections.unmodifiableMap(new TreeMap<>(features)), Map.copyOf(groupConfigs),
                Map.copyOf(tokens));
        }
    }
}
