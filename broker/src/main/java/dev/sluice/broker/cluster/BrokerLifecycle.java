package dev.sluice.broker.cluster;

import dev.sluice.broker.config.Listener;
import dev.sluice.broker.metadata.BrokerIdentity;
import dev.sluice.broker.metadata.ClusterSettings;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.security.SecurityProtocol;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.BrokerHeartbeatRequest;
import dev.sluice.wire.message.BrokerHeartbeatResponse;
import dev.sluice.wire.message.BrokerRegistrationRequest;
import dev.sluice.wire.message.BrokerRegistrationResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster broker's standing with the controller, as a Kafka broker keeps it: it registers (a new
 * incarnation id per process start; the controller answers with a broker epoch and keeps the broker
 * fenced), then heartbeats with the metadata offset it has applied; the controller unfences it
 * once it has caught up. A stale epoch (the controller fenced and forgot this registration)
 * registers again. On shutdown it asks for a controlled shutdown and waits, bounded, until the
 * controller has moved its leaderships away.
 *
 * <p>Heartbeats go every {@code broker.heartbeat.interval.ms}, but every 100 ms while the broker is
 * fenced, so that a starting broker is unfenced as soon as it has caught up rather than a whole
 * interval later.
 *
 * <p>Threading: one scheduler thread owns the state; the getters are volatile reads.
 */
public final class BrokerLifecycle implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BrokerLifecycle.class);
    /** How soon a fenced broker heartbeats again, and a failed registration is retried. */
    private static final long FAST_MS = 100;

    private final BrokerIdentity identity;
    private final String clusterId;
    private final MetadataView view;
    private final ControllerChannel channel;
    private final long heartbeatIntervalMs;
    private final Uuid incarnationId = Controller.randomId();
    private final ScheduledExecutorService thread;
    private volatile long brokerEpoch = -1;
    private volatile boolean fenced = true;
    private volatile boolean shuttingDown;
    private volatile boolean shutdownGranted;
    private volatile long lastContactNanos = System.nanoTime();
    /**
     * When the last request the controller answered was sent (System.nanoTime), Long.MIN_VALUE
     * before any: the controller heard from this broker no earlier, so it cannot fence it for a
     * lapsed session before this plus the session timeout.
     */
    private volatile long lastAnsweredSentNanos = Long.MIN_VALUE;
    private volatile boolean closed;
    private final long sessionTimeoutMs;
    /** Whether the controller has not answered for longer than the session timeout; lifecycle thread only. */
    private boolean cutOff;
    /** Why the last heartbeat failed, for the warning; lifecycle thread only. */
    private String lastFailure = NO_FAILURE;
    private static final String NO_FAILURE = "none, the heartbeat sent is still unanswered";

    public BrokerLifecycle(BrokerIdentity identity, String clusterId, MetadataView view, ControllerChannel channel,
                           long heartbeatIntervalMs) {
        this(identity, clusterId, view, channel, heartbeatIntervalMs, ClusterSettings.DEFAULT_SESSION_TIMEOUT_MS);
    }

    /**
     * @param sessionTimeoutMs {@code broker.session.timeout.ms}: once heartbeats have failed this
     *                         long, the controller has most likely fenced this broker, which is
     *                         logged once (see {@link #heartbeat})
     */
    public BrokerLifecycle(BrokerIdentity identity, String clusterId, MetadataView view, ControllerChannel channel,
                           long heartbeatIntervalMs, long sessionTimeoutMs) {
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.identity = identity;
        this.clusterId = clusterId;
        this.view = view;
        this.channel = channel;
        this.heartbeatIntervalMs = heartbeatIntervalMs;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-broker-lifecycle");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts registering; returns at once (the quorum may not have a leader yet). */
    public void start() {
        thread.execute(this::register);
        // On its own timer: a heartbeat to a quorum without a majority neither answers nor fails
        // for a long while, and the next one is sent only once it has.
        long period = Math.max(100, Math.min(1000, sessionTimeoutMs / 4));
        thread.scheduleWithFixedDelay(this::checkContact, period, period, TimeUnit.MILLISECONDS);
    }

    /** This broker's epoch, -1 until registered. */
    public long brokerEpoch() {
        return brokerEpoch;
    }

    /** Whether the controller last said this broker is fenced. */
    public boolean isFenced() {
        return fenced;
    }

    /**
     * Whether the controller has this broker unfenced and cannot have fenced it since for a lapsed
     * session: less than {@code broker.session.timeout.ms} has passed since this broker sent a
     * heartbeat that the controller answered.
     */
    public boolean inGoodStanding() {
        long sent = lastAnsweredSentNanos;
        return !fenced && !closed && sent != Long.MIN_VALUE
            && System.nanoTime() - sent < TimeUnit.MILLISECONDS.toNanos(sessionTimeoutMs);
    }

    /** Nanoseconds (System.nanoTime) of the last answer from the controller. */
    public long lastContactNanos() {
        return lastContactNanos;
    }

    private void register() {
        if (closed) {
            return;
        }
        List<BrokerRegistrationRequest.Listener> listeners = new ArrayList<>();
        for (Listener l : identity.advertised()) {
            listeners.add(new BrokerRegistrationRequest.Listener().setName(l.name())
                .setHost(BrokerIdentity.reachableHost(l)).setPort(l.port())
                .setSecurityProtocol(SecurityProtocol.forName(l.securityProtocol()).orElseThrow().id()));
        }
        BrokerRegistrationRequest request = new BrokerRegistrationRequest().setBrokerId(identity.nodeId())
            .setClusterId(clusterId).setIncarnationId(incarnationId).setListeners(listeners)
            .setRack(identity.rack()).setPreviousBrokerEpoch(brokerEpoch);
        channel.<BrokerRegistrationResponse>call(request).whenCompleteAsync((response, failure) -> {
            if (failure != null || response.errorCode() != ErrorCode.NONE.code()) {
                String why = failure != null ? failure.toString() : ErrorCode.forCode(response.errorCode()).toString();
                log.debug("broker {} registration not accepted yet: {}", identity.nodeId(), why);
                if (response != null && response.errorCode() == ErrorCode.INCONSISTENT_CLUSTER_ID.code()) {
                    log.error("broker {} belongs to another cluster than the quorum's: check its cluster id",
                        identity.nodeId());
                }
                schedule(this::register, FAST_MS);
                return;
            }
            lastContactNanos = System.nanoTime();
            brokerEpoch = response.brokerEpoch();
            log.info("Broker {} registered with the controller, broker epoch {}", identity.nodeId(), brokerEpoch);
            heartbeat();
        }, thread);
    }

    private void heartbeat() {
        if (closed) {
            return;
        }
        BrokerHeartbeatRequest request = new BrokerHeartbeatRequest().setBrokerId(identity.nodeId())
            .setBrokerEpoch(brokerEpoch).setCurrentMetadataOffset(view.appliedOffset())
            .setWantFence(false).setWantShutDown(shuttingDown);
        long sent = System.nanoTime();
        channel.<BrokerHeartbeatResponse>call(request).whenCompleteAsync((response, failure) -> {
            if (failure != null) {
                log.debug("broker {} heartbeat failed: {}", identity.nodeId(), failure.toString());
                lastFailure = failure.toString();
                schedule(this::heartbeat, FAST_MS);
                return;
            }
            ErrorCode error = ErrorCode.forCode(response.errorCode());
            if (error == ErrorCode.STALE_BROKER_EPOCH || error == ErrorCode.BROKER_ID_NOT_REGISTERED) {
                log.info("Broker {} lost its registration ({}); registering again", identity.nodeId(), error);
                fenced = true;
                schedule(this::register, FAST_MS);
                return;
            }
            if (error != ErrorCode.NONE) {
                lastFailure = error.toString();
                schedule(this::heartbeat, FAST_MS);
                return;
            }
            if (cutOff) {
                cutOff = false;
                log.info("Broker {} reaches the active controller again after {} ms", identity.nodeId(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastContactNanos));
            }
            lastContactNanos = System.nanoTime();
            lastAnsweredSentNanos = sent;
            lastFailure = NO_FAILURE;
            if (fenced != response.isFenced()) {
                log.info("Broker {} is {} by the controller", identity.nodeId(), response.isFenced() ? "fenced" : "unfenced");
            }
            fenced = response.isFenced();
            if (shuttingDown && response.shouldShutDown()) {
                shutdownGranted = true;
            }
            schedule(this::heartbeat, fenced || shuttingDown ? FAST_MS : heartbeatIntervalMs);
        }, thread);
    }

    /**
     * Whether the controller has answered within the session timeout. Once it has not, the
     * controller has most likely fenced this broker and elected other leaders: said once, as a
     * warning. It then stops acting as the leader of partitions whose followers no longer fetch
     * from it ({@link dev.sluice.broker.log.Partitions#mayLead}), and goes on leading those whose
     * followers do (the whole quorum may be down while the brokers are fine). Once it hears from
     * the controller again, the controller keeps it fenced until it has applied its own fencing, and
     * so learnt of the new leaders; it becomes a follower and truncates what it alone had.
     */
    private void checkContact() {
        long silentMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastContactNanos);
        if (!cutOff && !closed && brokerEpoch >= 0 && silentMs > sessionTimeoutMs) {
            cutOff = true;
            log.warn("Broker {} has not reached the active controller for {} ms (broker.session.timeout.ms is {}): it "
                + "has probably been fenced and its leaderships moved, and leads only partitions whose followers still "
                + "fetch from it until it hears from the controller; last failure: {}", identity.nodeId(), silentMs,
                sessionTimeoutMs, lastFailure);
        }
    }

    private void schedule(Runnable task, long delayMs) {
        if (!closed) {
            try {
                thread.schedule(task, delayMs, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        }
    }

    /**
     * Asks the controller for a controlled shutdown and waits, at most {@code timeoutMs}, until it
     * has moved this broker's leaderships away. Returns whether it granted the shutdown.
     */
    public boolean controlledShutdown(long timeoutMs) {
        if (brokerEpoch < 0 || closed) {
            return false;
        }
        shuttingDown = true;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        thread.execute(this::heartbeat);
        while (!shutdownGranted && System.nanoTime() < deadline) {
            CompletableFuture<Void> pause = new CompletableFuture<>();
            pause.completeOnTimeout(null, 20, TimeUnit.MILLISECONDS).join();
        }
        return shutdownGranted;
    }

    @Override
    public void close() {
        closed = true;
        thread.shutdownNow();
    }
}
