package dev.sluice.broker.handler;

import dev.sluice.broker.config.ConfigDef;
import dev.sluice.broker.config.ConfigResolver;
import dev.sluice.broker.group.GroupConfigKeys;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.metadata.TopicNames;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DescribeConfigsRequest;
import dev.sluice.wire.message.DescribeConfigsResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * DescribeConfigs (key 32), v1-4.
 *
 * <p>A topic: every topic key with the value in force and its source (topic override, dynamic
 * broker config, dynamic cluster default, server.properties, default), never read-only or
 * sensitive. This broker (its id): every broker key Sluice defines, plus any other key set in
 * server.properties or dynamically; read-only unless Kafka lets the key change at run time;
 * password keys and keys of unknown type are sensitive and shown without a value; a key nothing
 * sets has a null value. The cluster default (empty name): only the keys set dynamically for every
 * broker. A group (Kafka's GROUP resource, any group id, existing or not): every group key with
 * the group's own value (source GROUP_CONFIG) or the broker's for it (DEFAULT_CONFIG), as Kafka
 * describes groups. Synonyms (v1+, when asked) and their order follow {@link ConfigResolver}; type (v3+)
 * always, documentation (v3+) when asked. {@code configuration_keys} null or empty means all.
 *
 * <p>Errors per resource: UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION for an illegal
 * name, INVALID_REQUEST for another broker's id, a broker name that is not an integer, and for
 * resource types Sluice does not serve. Knowingly different from Kafka: BROKER_LOGGER and
 * CLIENT_METRICS resources get INVALID_REQUEST (Kafka describes them), and an unknown resource type
 * fails only its own resource, where Kafka fails the whole request.
 */
public final class DescribeConfigsHandler extends ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse> {
    private final MetadataView view;
    private final int nodeId;
    private final ConfigResolver resolver;

    public DescribeConfigsHandler(MetadataView view, int nodeId, ConfigResolver resolver) {
        super(ApiKey.DESCRIBE_CONFIGS, 1, 4);
        this.view = view;
        this.nodeId = nodeId;
        this.resolver = resolver;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DescribeConfigsResponse> handle(RequestContext context, DescribeConfigsRequest request) {
        MetadataImage image = view.image();
        List<DescribeConfigsResponse.DescribeConfigsResult> results = new ArrayList<>();
        for (DescribeConfigsRequest.DescribeConfigsResource resource : request.resources()) {
            // DESCRIBE_CONFIGS on the topic or group, or on the cluster for brokers and their loggers.
            if (resource.resourceType() == ConfigAlteration.GROUP) {
                results.add(context.allowed(AclOperation.DESCRIBE_CONFIGS, AclResourceType.GROUP, resource.resourceName())
                    ? describeGroup(image, resource, request.includeDocumentation())
                    : failed(resource, ErrorCode.GROUP_AUTHORIZATION_FAILED, "Authorization failed."));
                continue;
            }
            boolean topic = resource.resourceType() == ConfigAlteration.TOPIC;
            if (topic ? !context.allowed(AclOperation.DESCRIBE_CONFIGS, AclResourceType.TOPIC, resource.resourceName())
                    : !context.allowedOnCluster(AclOperation.DESCRIBE_CONFIGS)) {
                results.add(failed(resource, topic ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
                    : ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Authorization failed."));
                continue;
            }
            results.add(describe(image, resource, request.includeSynonyms(), request.includeDocumentation()));
        }
        return CompletableFuture.completedFuture(new DescribeConfigsResponse().setResults(results));
    }

    private DescribeConfigsResponse.DescribeConfigsResult describe(MetadataImage image,
            DescribeConfigsRequest.DescribeConfigsResource resource, boolean synonyms, boolean documentation) {
        String name = resource.resourceName();
        String node = Integer.toString(nodeId);
        List<ConfigResolver.Resolution> configs;
        boolean topic = false;
        switch (resource.resourceType()) {
            case ConfigAlteration.TOPIC: {
                String problem = TopicNames.problem(name);
                if (problem != null) {
                    return failed(resource, ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
                }
                TopicImage t = image.topic(name).orElse(null);
                if (t == null) {
                    return failed(resource, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + name + "' does not exist");
                }
                configs = resolver.allTopic(t.configs(), image.brokerConfigs(node), image.brokerConfigs(""));
                topic = true;
                break;
            }
            case ConfigAlteration.BROKER: {
                String problem = ConfigAlteration.brokerNameProblem(name, nodeId, true);
                if (problem != null) {
                    return failed(resource, ErrorCode.INVALID_REQUEST, problem);
                }
                configs = name == null || name.isEmpty()
                    ? resolver.allClusterDefault(image.brokerConfigs(""))
                    : resolver.allBroker(image.brokerConfigs(node), image.brokerConfigs(""));
                break;
            }
            case ConfigAlteration.BROKER_LOGGER:
                return failed(resource, ErrorCode.INVALID_REQUEST, "Sluice does not report logger levels");
            default:
                return failed(resource, ErrorCode.INVALID_REQUEST,
                    "resource type " + resource.resourceType() + " is not supported; only topics (2) and brokers (4) are");
        }
        List<String> wanted = resource.configurationKeys();
        List<DescribeConfigsResponse.DescribeConfigsResourceResult> entries = new ArrayList<>();
        for (ConfigResolver.Resolution r : configs) {
            if (wanted == null || wanted.isEmpty() || wanted.contains(r.name())) {
                entries.add(entry(r, topic, synonyms, documentation));
            }
        }
        return new DescribeConfigsResponse.DescribeConfigsResult().setResourceType(resource.resourceType())
            .setResourceName(name).setConfigs(entries);
    }

    private DescribeConfigsResponse.DescribeConfigsResult describeGroup(MetadataImage image,
            DescribeConfigsRequest.DescribeConfigsResource resource, boolean documentation) {
        String name = resource.resourceName();
        if (name == null || name.isEmpty()) {
            return failed(resource, ErrorCode.INVALID_REQUEST, "a group config resource is named by a group id");
        }
        Map<String, String> overrides = image.groupConfigs(name);
        List<String> wanted = resource.configurationKeys();
        List<DescribeConfigsResponse.DescribeConfigsResourceResult> entries = new ArrayList<>();
        for (ConfigDef def : GroupConfigKeys.all()) {
            if (wanted != null && !wanted.isEmpty() && !wanted.contains(def.name())) {
                continue;
            }
            ConfigResolver.Source source = overrides.containsKey(def.name()) ? ConfigResolver.Source.GROUP_CONFIG
                : ConfigResolver.Source.DEFAULT_CONFIG;
            entries.add(new DescribeConfigsResponse.DescribeConfigsResourceResult().setName(def.name())
                .setValue(GroupConfigKeys.value(def.name(), overrides, resolver.staticConfig())).setReadOnly(false)
                .setConfigSource(source.wireId()).setIsSensitive(false).setSynonyms(List.of())
                .setConfigType(def.type().wireId()).setDocumentation(documentation ? def.documentation() : null));
        }
        return new DescribeConfigsResponse.DescribeConfigsResult().setResourceType(resource.resourceType())
            .setResourceName(name).setConfigs(entries);
    }

    private static DescribeConfigsResponse.DescribeConfigsResourceResult entry(ConfigResolver.Resolution r,
            boolean topic, boolean includeSynonyms, boolean includeDocumentation) {
        List<DescribeConfigsResponse.DescribeConfigsSynonym> synonyms = new ArrayList<>();
        if (includeSynonyms) {
            for (ConfigResolver.Resolved s : r.synonyms()) {
                synonyms.add(new DescribeConfigsResponse.DescribeConfigsSynonym().setName(s.name()).setValue(s.value())
                    .setSource(s.source().wireId()));
            }
        }
        boolean readOnly = !topic && (r.def() == null || !r.def().dynamic());
        return new DescribeConfigsResponse.DescribeConfigsResourceResult().setName(r.name()).setValue(r.value())
            .setReadOnly(readOnly).setConfigSource(r.source().wireId()).setIsSensitive(r.sensitive())
            .setSynonyms(synonyms).setConfigType(r.typeId())
            .setDocumentation(includeDocumentation ? r.documentation().orElse(null) : null);
    }

    private static DescribeConfigsResponse.DescribeConfigsResult failed(
            DescribeConfigsRequest.DescribeConfigsResource resource, ErrorCode error, String message) {
        return new DescribeConfigsResponse.DescribeConfigsResult().setResourceType(resource.resourceType())
            .setResourceName(resource.resourceName()).setErrorCode(error.code()).setErrorMessage(message)
            .setConfigs(List.of());
    }

    @Override
    public DescribeConfigsResponse errorResponse(DescribeConfigsRequest request, ErrorCode error) {
        List<DescribeConfigsResponse.DescribeConfigsResult> results = new ArrayList<>();
        for (DescribeConfigsRequest.DescribeConfigsResource resource : request.resources()) {
            results.add(failed(resource, error, null));
        }
        return new DescribeConfigsResponse().setResults(results);
    }
}
