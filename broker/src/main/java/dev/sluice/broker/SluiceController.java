package dev.sluice.broker;

import dev.sluice.broker.cluster.ClusterNode;
import dev.sluice.broker.cluster.MetadataQuorum;
import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.BrokerConfigKeys;
import dev.sluice.broker.config.ConfigResolver;
import dev.sluice.broker.handler.HandlerTable;
import dev.sluice.broker.handler.RequestDispatcher;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metrics.MetricsEndpoint;
import dev.sluice.broker.metrics.RequestMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A controller-only node ({@code process.roles=controller}): a voter of the metadata quorum and,
 * while it leads, the active controller, with no broker of its own. It binds only its CONTROLLER
 * listener (the quorum's address), holds no partitions, does not register as a broker, and serves
 * what brokers send the active controller: their controller requests, and the client requests
 * they forward whole (CreateTopics, reassignments, DescribeQuorum…) with the same handlers a
 * combined node uses. This is Kafka's usual production shape: three controllers beside the brokers.
 *
 * <p>Thread-safe; {@link #close} and {@link #halt} may be called from any thread.
 */
public final class SluiceController implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SluiceController.class);

    private final int nodeId;
    private final DataDirectory dataDirectory;
    private final MetadataQuorum quorum;
    private final Controller controller;
    private final ClusterNode clusterNode;
    private final MetricsEndpoint metricsEndpoint;
    private final PrometheusMeterRegistry registry;
    private volatile boolean closed;

    private SluiceController(int nodeId, DataDirectory dataDirectory, MetadataQuorum quorum, Controller controller,
                             ClusterNode clusterNode, MetricsEndpoint metricsEndpoint, PrometheusMeterRegistry registry) {
        this.nodeId = nodeId;
        this.dataDirectory = dataDirectory;
        this.quorum = quorum;
        this.controller = controller;
        this.clusterNode = clusterNode;
        this.metricsEndpoint = metricsEndpoint;
        this.registry = registry;
    }

    /** Whether {@code config} describes a controller-only node. */
    public static boolean isControllerOnly(BrokerConfig config) {
        return config.isClusterMode() && config.processRoles().equals(
            java.util.EnumSet.of(dev.sluice.broker.config.ProcessRole.CONTROLLER));
    }

    /** Starts a controller-only node; returns once its quorum member has replayed its own log. */
    public static SluiceController start(BrokerConfig config) {
        long started = System.nanoTime();
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            ClusterNode.checkSupported(config);
            int nodeId = config.nodeId();
            String clusterId = config.getString(BrokerConfigKeys.CLUSTER_ID);
            if (clusterId == null) {
                clusterId = ClusterNode.derivedClusterId(config.quorumVoters());
            }
            DataDirectory dir = DataDirectory.open(config.logDir(), nodeId, clusterId);
            opened.add(dir);
            MetadataView view = new MetadataView(dir.clusterId());
            MetadataQuorum quorum = ClusterNode.openQuorum(config, config.quorumVoters(), dir.clusterId(),
                dir.path().resolve("__cluster_metadata-0"));
            opened.add(quorum);
            quorum.start(view);
            Controller controller = SluiceBroker.clusterController(config, quorum, view);
            opened.add(controller);
            ClusterNode node = ClusterNode.create(config, quorum, view, controller);
            opened.add(node);
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            RequestMetrics metrics = new RequestMetrics(registry);
            ConfigResolver resolver = new ConfigResolver(config);
            RequestDispatcher forwarded = new RequestDispatcher(new HandlerTable(
                SluiceBroker.controllerDecisions(config, config.quorumVoters(), view, controller, resolver, quorum,
                    SluiceBroker.tokenAuthority(config, view))), metrics);
            forwarded.authorizeWith(SluiceBroker.authorizer(config, view));
            node.wire(view, forwarded, SluiceBroker.controllerApis(view, controller, resolver, metrics));
            MetricsEndpoint endpoint = null;
            int metricsPort = config.getInt(BrokerConfigKeys.METRICS_PORT);
            if (metricsPort >= 0) {
                endpoint = MetricsEndpoint.start(config.getString(BrokerConfigKeys.METRICS_HOST), metricsPort, registry);
            }
            log.info("Sluice controller {} ready in {} ms on {} (cluster {}, data in {})", nodeId,
                (System.nanoTime() - started) / 1_000_000, config.controllerListener().orElseThrow(), dir.clusterId(),
                dir.path().toAbsolutePath().normalize());
            return new SluiceController(nodeId, dir, quorum, controller, node, endpoint, registry);
        } catch (Exception e) {
            throw SluiceBroker.startFailure("controller", e, opened);
        }
    }

    public int nodeId() {
        return nodeId;
    }

    /** The node id of the active controller as this node knows it, or -1 while there is none. */
    public int activeController() {
        return quorum.leaderId().orElse(-1);
    }

    /** Whether this node is the active controller. */
    public boolean isActive() {
        return quorum.isLeader();
    }

    /** Stops: leaves the quorum (another controller takes over) and releases the data directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long started = System.nanoTime();
        if (metricsEndpoint != null) {
            metricsEndpoint.close();
        }
        clusterNode.close();
        controller.close();
        try {
            quorum.close();
        } catch (IOException e) {
            log.warn("could not close the metadata quorum member: {}", e.toString());
        }
        registry.close();
        try {
            dataDirectory.close();
        } catch (IOException e) {
            log.warn("could not release the lock of {}: {}", dataDirectory.path(), e.toString());
        }
        log.info("Sluice controller {} stopped in {} ms", nodeId, (System.nanoTime() - started) / 1_000_000);
    }

    /** As {@link #close}: a controller has nothing in flight that a crash would leave differently. */
    public void halt() {
        close();
    }

    @Override
    public String toString() {
        return "SluiceController[node " + nodeId + ", data in " + dataDirectory.path() + "]";
    }
}
