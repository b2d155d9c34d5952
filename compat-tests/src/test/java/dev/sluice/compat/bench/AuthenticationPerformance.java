package dev.sluice.compat.bench;

import dev.sluice.compat.RawKafkaConnection;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.sasl.SaslClient;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.apache.kafka.common.security.scram.internals.ScramSaslClient;

/**
 * Authentications per second: {@code threads} clients each open a connection, do the TLS
 * handshake (when {@code truststore} is given), ApiVersions, SaslHandshake and the SCRAM exchange
 * in SaslAuthenticate requests (Kafka's own SCRAM client), then close it, over and over for
 * {@code seconds} seconds after {@code warmup} seconds not counted. Prints the rate and the
 * latency percentiles of one whole authentication, with the machine, the settings and, with
 * {@code pid}, the broker's CPU seconds. Works against any Kafka-compatible broker. Not a test.
 *
 * <p>Usage: {@code AuthenticationPerformance <host:port> user=<name> password=<secret>
 * [mechanism=SCRAM-SHA-512] [truststore=<PKCS12 file>] [truststore.password=<secret>] [threads=4]
 * [seconds=10] [warmup=3] [pid=<broker pid>]}
 */
public final class AuthenticationPerformance {
    private static final String USAGE = "usage: AuthenticationPerformance <host:port> user=<name> password=<secret>"
        + " [mechanism=SCRAM-SHA-512] [truststore=<PKCS12 file>] [truststore.password=<secret>] [threads=4]"
        + " [seconds=10] [warmup=3] [pid=<broker pid>]";

    private AuthenticationPerformance() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("user", "");
        defaults.put("password", "");
        defaults.put("mechanism", "SCRAM-SHA-512");
        defaults.put("truststore", "");
        defaults.put("truststore.password", "");
        defaults.put("threads", "4");
        defaults.put("seconds", "10");
        defaults.put("warmup", "3");
        defaults.put("pid", "");
        BenchArgs a = BenchArgs.parse(args, defaults, USAGE);
        Machine.print();
        a.print("auth");
        String host = a.bootstrap.substring(0, a.bootstrap.lastIndexOf(':'));
        int port = Integer.parseInt(a.bootstrap.substring(a.bootstrap.lastIndexOf(':') + 1));
        SSLContext tls = a.get("truststore").isEmpty() ? null : tls(Path.of(a.get("truststore")),
            a.get("truststore.password"));
        ScramMechanism mechanism = ScramMechanism.forMechanismName(a.get("mechanism"));
        if (mechanism == null) {
            throw new IllegalArgumentException("not a SCRAM mechanism: " + a.get("mechanism"));
        }
        long warmupEnd = System.nanoTime() + a.getInt("warmup") * 1_000_000_000L;
        long end = warmupEnd + a.getInt("seconds") * 1_000_000_000L;
        AtomicLong failures = new AtomicLong();
        List<long[]> perThread = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long cpuBefore = -1;
        for (int t = 0; t < a.getInt("threads"); t++) {
            List<Long> latencies = new ArrayList<>();
            Thread thread = new Thread(() -> {
                while (System.nanoTime() < end) {
                    long start = System.nanoTime();
                    try {
                        authenticate(host, port, tls, mechanism, a.get("user"), a.get("password"));
                    } catch (Exception e) {
                        if (failures.incrementAndGet() == 1) {
                            System.err.println("authentication failed: " + e);
                        }
                        continue;
                    }
                    if (start >= warmupEnd) {
                        latencies.add(System.nanoTime() - start);
                    }
                }
                synchronized (perThread) {
                    perThread.add(latencies.stream().mapToLong(Long::longValue).toArray());
                }
            }, "auth-" + t);
            threads.add(thread);
            thread.start();
        }
        while (System.nanoTime() < warmupEnd) {
            Thread.sleep(10);
        }
        if (!a.get("pid").isEmpty()) {
            cpuBefore = cpuTicks(a.get("pid"));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        long[] all = perThread.stream().flatMapToLong(java.util.Arrays::stream).sorted().toArray();
        System.out.printf("auth_count=%d%n", all.length);
        System.out.printf("auth_failures=%d%n", failures.get());
        System.out.printf("auth_per_sec=%.1f%n", all.length / (double) a.getInt("seconds"));
        for (double q : new double[] {0.5, 0.99, 0.999}) {
            System.out.printf("auth_latency_ms_p%s=%.3f%n", Percentiles.label(q), Percentiles.of(all, q) / 1e6);
        }
        if (cpuBefore >= 0) {
            double cpu = (cpuTicks(a.get("pid")) - cpuBefore) / 100.0;
            System.out.printf("auth_broker_cpu_s=%.2f%n", cpu);
            System.out.printf("auth_broker_cpu_ms_per_auth=%.3f%n", all.length == 0 ? 0 : cpu * 1000 / all.length);
        }
    }

    /** One whole authentication on a new connection, which is then closed. */
    private static void authenticate(String host, int port, SSLContext tls, ScramMechanism mechanism, String user,
                                     String password) throws Exception {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress(host, port), 10_000);
        try (Socket socket = tls == null ? plain
                : tls.getSocketFactory().createSocket(plain, host, port, true)) {
            socket.setSoTimeout(10_000);
            socket.setTcpNoDelay(true);
            if (socket instanceof SSLSocket ssl) {
                ssl.startHandshake();
            }
            RawKafkaConnection c = new RawKafkaConnection(socket, "auth-bench");
            c.send(ApiKeys.API_VERSIONS, 3, new ApiVersionsRequestData().setClientSoftwareName("auth-bench")
                .setClientSoftwareVersion("1"));
            SaslHandshakeResponseData handshake = c.send(ApiKeys.SASL_HANDSHAKE, 1,
                new SaslHandshakeRequestData().setMechanism(mechanism.mechanismName()));
            if (handshake.errorCode() != 0) {
                throw new IOException("SaslHandshake error " + handshake.errorCode());
            }
            SaslClient client = new ScramSaslClient(mechanism, credentials(user, password));
            byte[] token = client.evaluateChallenge(new byte[0]);
            while (token != null) {
                SaslAuthenticateResponseData answer = c.send(ApiKeys.SASL_AUTHENTICATE, 2,
                    new SaslAuthenticateRequestData().setAuthBytes(token));
                if (answer.errorCode() != 0) {
                    throw new IOException("SaslAuthenticate error " + answer.errorCode() + ": " + answer.errorMessage());
                }
                token = client.isComplete() ? null : client.evaluateChallenge(answer.authBytes());
            }
            if (!client.isComplete()) {
                throw new IOException("the SCRAM exchange did not complete");
            }
        }
    }

    private static CallbackHandler credentials(String user, String password) {
        return callbacks -> {
            for (Callback callback : callbacks) {
                if (callback instanceof NameCallback name) {
                    name.setName(user);
                } else if (callback instanceof PasswordCallback secret) {
                    secret.setPassword(password.toCharArray());
                } else if (!(callback instanceof org.apache.kafka.common.security.scram.ScramExtensionsCallback)) {
                    throw new UnsupportedCallbackException(callback);
                }
            }
        };
    }

    private static SSLContext tls(Path truststore, String password) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(truststore)) {
            trust.load(in, password.toCharArray());
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    /** utime + stime of a process, in clock ticks (100 a second). */
    private static long cpuTicks(String pid) throws IOException {
        String[] fields = Files.readString(Path.of("/proc", pid, "stat")).split(" ");
        return Long.parseLong(fields[13]) + Long.parseLong(fields[14]);
    }
}
