package dev.sluice.broker.metadata;

import dev.sluice.broker.metadata.records.AccessControlEntryRecord;
import dev.sluice.broker.metadata.records.BrokerRegistrationChangeRecord;
import dev.sluice.broker.metadata.records.ClientQuotaRecord;
import dev.sluice.broker.metadata.records.ConfigRecord;
import dev.sluice.broker.metadata.records.DelegationTokenRecord;
import dev.sluice.broker.metadata.records.FeatureLevelRecord;
import dev.sluice.broker.metadata.records.NextBrokerEpochRecord;
import dev.sluice.broker.metadata.records.PartitionRecord;
import dev.sluice.broker.metadata.records.ProducerIdsRecord;
import dev.sluice.broker.metadata.records.RegisterBrokerRecord;
import dev.sluice.broker.metadata.records.RemoveAccessControlEntryRecord;
import dev.sluice.broker.metadata.records.RemoveDelegationTokenRecord;
import dev.sluice.broker.metadata.records.RemoveTopicRecord;
import dev.sluice.broker.metadata.records.RemoveUserScramCredentialRecord;
import dev.sluice.broker.metadata.records.TopicRecord;
import dev.sluice.broker.metadata.records.UnregisterBrokerRecord;
import dev.sluice.broker.metadata.records.UserScramCredentialRecord;
import dev.sluice.broker.quota.QuotaEntity;
import dev.sluice.broker.security.acl.AclBinding;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclPatternType;
import dev.sluice.broker.security.acl.AclPermission;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.Message;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this node knows of the cluster metadata: the current {@link MetadataImage}, built from the
 * committed record batches its {@link MetadataLog} feeds it (it is the log's applier), and the
 * {@link MetadataListener}s told of every change. Every node holds one; handlers and coordinators
 * read it, and only ask the {@link Controller} when they want a change.
 *
 * <p>Threading: {@link #image()} may be read from any thread without locking (each image is
 * immutable; the current one is published through a volatile field). {@link #load},
 * {@link #apply} and {@link #snapshot} run on the log's applying thread, one at a time; the
 * listeners are called there, after the new image is published, in the order they were added.
 * Listeners are added at start-up, from any thread.
 */
public final class MetadataView implements MetadataLog.Applier {
    private static final Logger log = LoggerFactory.getLogger(MetadataView.class);

    private final List<MetadataListener> listeners = new CopyOnWriteArrayList<>();
    private volatile MetadataImage image;
    private volatile long appliedOffset = -1;

    /** An empty view of cluster {@code clusterId}, to be filled by its log's replay. */
    public MetadataView(String clusterId) {
        this.image = MetadataImage.empty(clusterId);
    }

    /** The current image. */
    public MetadataImage image() {
        return image;
    }

    /** The log offset the current image covers, -1 before anything was loaded or applied. */
    public long appliedOffset() {
        return appliedOffset;
    }

    public void addListener(MetadataListener listener) {
        listeners.add(listener);
    }

    /** The listeners in order, as a live read-only list (the single-node controller's partition preparers). */
    public List<MetadataListener> listeners() {
        return Collections.unmodifiableList(listeners);
    }

    /** Replaces the image by the one {@code records} build from nothing; its version keeps counting up. */
    @Override
    public void load(List<Message> records, long offset) {
        MetadataImage current = image;
        MetadataImage.Builder builder = new MetadataImage.Builder(new MetadataImage(current.clusterId(),
            current.version(), Map.of(), Map.of(), Map.of(), 0));
        for (Message record : records) {
            apply(builder, record, offset);
        }
        publish(builder.build(), offset);
    }

    @Override
    public void apply(List<Message> records, long offset) {
        MetadataImage.Builder builder = new MetadataImage.Builder(image);
        for (Message record : records) {
            apply(builder, record, offset);
        }
        publish(builder.build(), offset);
    }

    @Override
    public List<Message> snapshot() {
        return snapshot(image);
    }

    private void publish(MetadataImage next, long offset) {
        MetadataImage previous = image;
        image = next;
        appliedOffset = offset;
        for (MetadataListener listener : listeners) {
            try {
                listener.onChange(previous, next);
            } catch (RuntimeException e) {
                log.error("metadata listener {} failed to apply version {}", listener, next.version(), e);
            }
        }
    }

    private static void apply(MetadataImage.Builder builder, Message record, long offset) {
        if (record instanceof TopicRecord t) {
            builder.putTopic(new TopicImage(t.name(), t.topicId(), List.of(), Map.of()));
        } else if (record instanceof PartitionRecord p) {
            TopicImage topic = builder.topic(p.topicId()).orElseThrow(
                () -> new IllegalStateException("partition record for unknown topic " + p.topicId()));
            List<PartitionImage> partitions = new ArrayList<>(topic.partitions());
            PartitionImage partition = new PartitionImage(p.partitionId(), p.replicas(), p.isr(), p.leader(),
                p.leaderEpoch(), p.partitionEpoch(), orEmpty(p.addingReplicas()), orEmpty(p.removingReplicas()));
            if (p.partitionId() < partitions.size()) {
                partitions.set(p.partitionId(), partition);
            } else if (p.partitionId() == partitions.size()) {
                partitions.add(partition);
            } else {
                throw new IllegalStateException("partition " + p.partitionId() + " of " + topic.name() + " out of order");
            }
            builder.putTopic(topic.withPartitions(partitions));
        } else if (record instanceof RemoveTopicRecord r) {
            builder.removeTopic(r.topicId());
        } else if (record instanceof ProducerIdsRecord ids) {
            builder.nextProducerId(ids.nextProducerId());
        } else if (record instanceof ConfigRecord c) {
            if (c.resourceType() == Controller.TOPIC_RESOURCE) {
                builder.topic(c.resourceName()).ifPresent(topic -> {
                    Map<String, String> configs = new TreeMap<>(topic.configs());
                    if (c.value() == null) {
                        configs.remove(c.name());
                    } else {
                        configs.put(c.name(), c.value());
                    }
                    builder.putTopic(topic.withConfigs(configs));
                });
            } else if (c.resourceType() == Controller.GROUP_RESOURCE) {
                builder.setGroupConfig(c.resourceName(), c.name(), c.value());
            } else {
                builder.setBrokerConfig(c.resourceName(), c.name(), c.value());
            }
        } else if (record instanceof RegisterBrokerRecord r) {
            List<BrokerRegistration.Endpoint> endpoints = new ArrayList<>();
            for (RegisterBrokerRecord.BrokerEndpoint e : r.endpoints()) {
                endpoints.add(new BrokerRegistration.Endpoint(e.name(), e.host(), e.port(), e.securityProtocol()));
            }
            builder.putBroker(new BrokerRegistration(r.brokerId(), r.incarnationId(), r.brokerEpoch(), endpoints,
                Optional.ofNullable(r.rack()), r.fenced(), false, offset));
        } else if (record instanceof BrokerRegistrationChangeRecord c) {
            // A change written for an earlier registration of the id no longer applies.
            builder.broker(c.brokerId()).filter(b -> b.epoch() == c.brokerEpoch())
                .ifPresent(b -> builder.putBroker(b.withState(c.fenced(), c.inControlledShutdown())));
        } else if (record instanceof UnregisterBrokerRecord u) {
            builder.nextBrokerEpoch(u.brokerEpoch() + 1);
            if (builder.broker(u.brokerId()).filter(b -> b.epoch() == u.brokerEpoch()).isPresent()) {
                builder.removeBroker(u.brokerId());
            }
        } else if (record instanceof NextBrokerEpochRecord n) {
            builder.nextBrokerEpoch(n.nextBrokerEpoch());
        } else if (record instanceof UserScramCredentialRecord c) {
            builder.putScramCredential(new ScramCredentialImage(c.name(), c.mechanism(), c.salt(), c.storedKey(),
                c.serverKey(), c.iterations()));
        } else if (record instanceof RemoveUserScramCredentialRecord r) {
            builder.removeScramCredential(r.name(), r.mechanism());
        } else if (record instanceof AccessControlEntryRecord a) {
            builder.putAcl(a.id(), aclBinding(a));
        } else if (record instanceof RemoveAccessControlEntryRecord r) {
            builder.removeAcl(r.id());
        } else if (record instanceof ClientQuotaRecord q) {
            builder.setClientQuota(quotaEntity(q), q.key(), q.remove() ? null : q.value());
        } else if (record instanceof FeatureLevelRecord f) {
            builder.setFeatureLevel(f.name(), f.featureLevel());
        } else if (record instanceof DelegationTokenRecord t) {
            builder.putDelegationToken(new DelegationTokenImage(t.tokenId(), t.owner(), t.requester(), t.renewers(),
                t.issueTimestamp(), t.maxTimestamp(), t.expirationTimestamp()));
        } else if (record instanceof RemoveDelegationTokenRecord r) {
            builder.removeDelegationToken(r.tokenId());
        }
    }

    /** A tagged list a record may carry as null. */
    private static List<Integer> orEmpty(List<Integer> list) {
        return list == null ? List.of() : list;
    }

    static RegisterBrokerRecord registerBrokerRecord(BrokerRegistration b) {
        List<RegisterBrokerRecord.BrokerEndpoint> endpoints = new ArrayList<>();
        for (BrokerRegistration.Endpoint e : b.endpoints()) {
            endpoints.add(new RegisterBrokerRecord.BrokerEndpoint().setName(e.listener()).setHost(e.host())
                .setPort(e.port()).setSecurityProtocol(e.securityProtocol()));
        }
        return new RegisterBrokerRecord().setBrokerId(b.id()).setIncarnationId(b.incarnationId())
            .setBrokerEpoch(b.epoch()).setEndpoints(endpoints).setRack(b.rack().orElse(null)).setFenced(b.fenced());
    }

    static QuotaEntity quotaEntity(ClientQuotaRecord q) {
        Map<String, String> parts = new java.util.HashMap<>();
        for (ClientQuotaRecord.EntityData e : q.entity()) {
            parts.put(e.entityType(), e.entityName());
        }
        return new QuotaEntity(parts);
    }

    /** The record that sets {@code key} of {@code entity} to {@code value}, or removes it when null. */
    static ClientQuotaRecord quotaRecord(QuotaEntity entity, String key, Double value) {
        List<ClientQuotaRecord.EntityData> parts = new ArrayList<>();
        entity.parts().forEach((type, name) -> parts.add(new ClientQuotaRecord.EntityData().setEntityType(type)
            .setEntityName(name)));
        return new ClientQuotaRecord().setEntity(parts).setKey(key).setValue(value == null ? 0 : value)
            .setRemove(value == null);
    }

    static AclBinding aclBinding(AccessControlEntryRecord a) {
        return new AclBinding(AclResourceType.forCode(a.resourceType()).orElse(AclResourceType.UNKNOWN), a.resourceName(),
            AclPatternType.forCode(a.patternType()).orElse(AclPatternType.UNKNOWN), a.principal(), a.host(),
            AclOperation.forCode(a.operation()).orElse(AclOperation.UNKNOWN),
            AclPermission.forCode(a.permissionType()).orElse(AclPermission.UNKNOWN));
    }

    static AccessControlEntryRecord aclRecord(Uuid id, AclBinding acl) {
        return new AccessControlEntryRecord().setId(id).setResourceType(acl.resourceType().code())
            .setResourceName(acl.resourceName()).setPatternType(acl.patternType().code()).setPrincipal(acl.principal())
            .setHost(acl.host()).setOperation(acl.operation().code()).setPermissionType(acl.permission().code());
    }

    static UserScramCredentialRecord scramCredentialRecord(ScramCredentialImage c) {
        return new UserScramCredentialRecord().setName(c.user()).setMechanism(c.mechanism()).setSalt(c.salt())
            .setStoredKey(c.storedKey()).setServerKey(c.serverKey()).setIterations(c.iterations());
    }

    static DelegationTokenRecord delegationTokenRecord(DelegationTokenImage t) {
        return new DelegationTokenRecord().setTokenId(t.tokenId()).setOwner(t.owner()).setRequester(t.requester())
            .setRenewers(new ArrayList<>(t.renewers())).setIssueTimestamp(t.issueMs()).setMaxTimestamp(t.maxMs())
            .setExpirationTimestamp(t.expiryMs());
    }

    static PartitionRecord partitionRecord(Uuid topicId, PartitionImage p) {
        return new PartitionRecord().setTopicId(topicId).setPartitionId(p.partition())
            .setReplicas(new ArrayList<>(p.replicas())).setIsr(new ArrayList<>(p.isr())).setLeader(p.leader())
            .setLeaderEpoch(p.leaderEpoch()).setPartitionEpoch(p.partitionEpoch())
            .setAddingReplicas(new ArrayList<>(p.addingReplicas()))
            .setRemovingReplicas(new ArrayList<>(p.removingReplicas()));
    }

    /** Records that rebuild {@code image} from nothing. */
    static List<Message> snapshot(MetadataImage image) {
        List<Message> records = new ArrayList<>();
        for (TopicImage topic : image.topics()) {
            records.add(new TopicRecord().setName(topic.name()).setTopicId(topic.id()));
            for (PartitionImage p : topic.partitions()) {
                records.add(partitionRecord(topic.id(), p));
            }
            for (Map.Entry<String, String> e : topic.configs().entrySet()) {
                records.add(new ConfigRecord().setResourceType(Controller.TOPIC_RESOURCE).setResourceName(topic.name())
                    .setName(e.getKey()).setValue(e.getValue()));
            }
        }
        for (BrokerRegistration b : image.brokers().values()) {
            records.add(registerBrokerRecord(b));
            if (b.inControlledShutdown()) {
                records.add(new BrokerRegistrationChangeRecord().setBrokerId(b.id()).setBrokerEpoch(b.epoch())
                    .setFenced(b.fenced()).setInControlledShutdown(true));
            }
        }
        if (image.nextBrokerEpoch() > 0) {
            records.add(new NextBrokerEpochRecord().setNextBrokerEpoch(image.nextBrokerEpoch()));
        }
        if (image.nextProducerId() > 0) {
            records.add(new ProducerIdsRecord().setNextProducerId(image.nextProducerId()));
        }
        image.acls().forEach((id, acl) -> records.add(aclRecord(id, acl)));
        image.clientQuotas().forEach((entity, values) -> values.forEach((key, value) ->
            records.add(quotaRecord(entity, key, value))));
        image.groupConfigs().forEach((group, configs) -> configs.forEach((key, value) ->
            records.add(new ConfigRecord().setResourceType(Controller.GROUP_RESOURCE).setResourceName(group)
                .setName(key).setValue(value))));
        image.features().forEach((name, level) ->
            records.add(new FeatureLevelRecord().setName(name).setFeatureLevel(level)));
        for (Map<Byte, ScramCredentialImage> byMechanism : image.scramCredentials().values()) {
            for (ScramCredentialImage c : byMechanism.values()) {
                records.add(scramCredentialRecord(c));
            }
        }
        image.delegationTokens().values().forEach(t -> records.add(delegationTokenRecord(t)));
        for (Map.Entry<String, Map<String, String>> resource : image.brokerConfigs().entrySet()) {
            for (Map.Entry<String, String> e : resource.getValue().entrySet()) {
                records.add(new ConfigRecord().setResourceType(Controller.BROKER_RESOURCE)
                    .setResourceName(resource.getKey()).setName(e.getKey()).setValue(e.getValue()));
            }
        }
        return records;
    }
}
