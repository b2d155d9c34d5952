package dev.sluice.broker.security;

import static dev.sluice.broker.config.SecurityConfigKeys.SSL_CIPHER_SUITES;
import static dev.sluice.broker.config.SecurityConfigKeys.SSL_CLIENT_AUTH;
import static dev.sluice.broker.config.SecurityConfigKeys.SSL_ENABLED_PROTOCOLS;
import static dev.sluice.broker.config.SecurityConfigKeys.SSL_KEYSTORE_CERTIFICATE_CHAIN;
import static dev.sluice.broker.config.SecurityConfigKeys.SSL_KEYSTORE_KEY;
import static dev.sluice.broker.config.SecurityConfigKeys.SSL_KEYSTORE_LOCATION;
import static dev.sluice.broker.config.SecurityConfigKeys.SSL_KEYSTORE_PASSWORD;
import static dev.sluice.broker.config.SecurityConfigKeys.SSL_KEYSTORE_TYPE;
import static dev.sluice.broker.config.SecurityConfigKeys.SSL_KEY_PASSWORD;
import static dev.sluice.broker.config.SecurityConfigKeys.SSL_TRUSTMANAGER_ALGORITHM;
import static dev.sluice.broker.config.SecurityConfigKeys.SSL_TRUSTSTORE_CERTIFICATES;
import static dev.sluice.broker.config.SecurityConfigKeys.SSL_TRUSTSTORE_LOCATION;
import static dev.sluice.broker.config.SecurityConfigKeys.SSL_TRUSTSTORE_PASSWORD;
import static dev.sluice.broker.config.SecurityConfigKeys.SSL_TRUSTSTORE_TYPE;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.ConfigException;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty TLS contexts from Kafka's {@code ssl.*} keys, for one listener (its
 * {@code listener.name.<listener>.ssl.*} values first). Key stores may be JKS, PKCS12 or PEM (a
 * file holding the private key and its chain, or {@code ssl.keystore.key} with
 * {@code ssl.keystore.certificate.chain} given inline); trust stores JKS, PKCS12 or PEM
 * certificates. OpenSSL (BoringSSL through netty-tcnative) does the work where it loads, the JDK's
 * engine elsewhere. A key that is wrong or unreadable stops the broker at start with a
 * {@link ConfigException} naming the key, never its secret.
 */
public final class TlsContexts {
    private static final Logger log = LoggerFactory.getLogger(TlsContexts.class);
    private static volatile boolean providerLogged;

    private TlsContexts() {
    }

    /** The TLS engine Netty uses here: OpenSSL when netty-tcnative loads, else the JDK's. */
    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** The server context of a TLS listener. */
    public static SslContext server(BrokerConfig config, String listener) {
        Identity identity = identity(config, listener)
            .orElseThrow(() -> new ConfigException(SSL_KEYSTORE_LOCATION, null,
                "listener " + listener + " uses TLS and needs a key store (" + SSL_KEYSTORE_LOCATION + ", or "
                    + SSL_KEYSTORE_KEY + " and " + SSL_KEYSTORE_CERTIFICATE_CHAIN + " with " + SSL_KEYSTORE_TYPE + "=PEM)"));
        SslContextBuilder builder = SslContextBuilder.forServer(identity.key(), identity.chain());
        String clientAuth = config.listenerString(listener, SSL_CLIENT_AUTH).toLowerCase(Locale.ROOT);
        builder.clientAuth(switch (clientAuth) {
            case "required" -> ClientAuth.REQUIRE;
            case "requested" -> ClientAuth.OPTIONAL;
            default -> ClientAuth.NONE;
        });
        trust(config, listener, builder);
        return build(config, listener, builder);
    }

    /** The client context a broker connects to another's TLS listener with (same keys: its own identity, its trust). */
    public static SslContext client(BrokerConfig config, String listener) {
        SslContextBuilder builder = SslContextBuilder.forClient();
        identity(config, listener).ifPresent(id -> builder.keyManager(id.key(), id.chain()));
        trust(config, listener, builder);
        return build(config, listener, builder);
    }

    private static SslContext build(BrokerConfig config, String listener, SslContextBuilder builder) {
        SslProvider provider = provider();
        builder.sslProvider(provider).protocols(config.listenerList(listener, SSL_ENABLED_PROTOCOLS));
        List<String> ciphers = config.listenerList(listener, SSL_CIPHER_SUITES);
        if (!ciphers.isEmpty()) {
            builder.ciphers(ciphers);
        }
        try {
            SslContext context = builder.build();
            if (!providerLogged) {
                providerLogged = true;
                log.info("TLS through {}", provider == SslProvider.OPENSSL ? OpenSsl.versionString() : "the JDK's engine");
            }
            return context;
        } catch (SSLException | IllegalArgumentException e) {
            throw new ConfigException(SSL_ENABLED_PROTOCOLS, null, "cannot set up TLS for listener " + listener + ": "
                + e.getMessage());
        }
    }

    private record Identity(PrivateKey key, X509Certificate[] chain) {
    }

    private static java.util.Optional<Identity> identity(BrokerConfig config, String listener) {
        String type = config.listenerString(listener, SSL_KEYSTORE_TYPE).toUpperCase(Locale.ROOT);
        String location = config.listenerString(listener, SSL_KEYSTORE_LOCATION);
        String keyPassword = config.listenerString(listener, SSL_KEY_PASSWORD);
        if ("PEM".equals(type)) {
            String inlineKey = config.listenerString(listener, SSL_KEYSTORE_KEY);
            byte[] keyPem;
            byte[] chainPem;
            if (inlineKey != null) {
                String chain = config.listenerString(listener, SSL_KEYSTORE_CERTIFICATE_CHAIN);
                if (chain == null) {
                    throw new ConfigException(SSL_KEYSTORE_CERTIFICATE_CHAIN, null, "needed with " + SSL_KEYSTORE_KEY);
                }
                keyPem = inlineKey.getBytes(StandardCharsets.US_ASCII);
                chainPem = chain.getBytes(StandardCharsets.US_ASCII);
            } else if (location != null) {
                keyPem = read(SSL_KEYSTORE_LOCATION, location);
                chainPem = keyPem;
            } else {
                return java.util.Optional.empty();
            }
            try {
                PrivateKey key = Pem.privateKey(keyPem, keyPassword);
                X509Certificate[] chain = Pem.certificates(chainPem).toArray(X509Certificate[]::new);
                if (chain.length == 0) {
                    throw new ConfigException(SSL_KEYSTORE_CERTIFICATE_CHAIN, null, "no certificate found");
                }
                return java.util.Optional.of(new Identity(key, chain));
            } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
                throw new ConfigException(SSL_KEYSTORE_KEY, null, "cannot read the PEM private key of listener "
                    + listener + ": " + e.getMessage());
            }
        }
        if (location == null) {
            return java.util.Optional.empty();
        }
        String storePassword = config.listenerString(listener, SSL_KEYSTORE_PASSWORD);
        KeyStore store = load(SSL_KEYSTORE_LOCATION, type, location, storePassword);
        char[] password = keyPassword != null ? keyPassword.toCharArray()
            : storePassword != null ? storePassword.toCharArray() : new char[0];
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    Key key = store.getKey(alias, password);
                    Certificate[] chain = store.getCertificateChain(alias);
                    if (key instanceof PrivateKey pk && chain != null) {
                        List<X509Certificate> certs = new ArrayList<>();
                        for (Certificate c : chain) {
                            certs.add((X509Certificate) c);
                        }
                        return java.util.Optional.of(new Identity(pk, certs.toArray(X509Certificate[]::new)));
                    }
                }
            }
        } catch (GeneralSecurityException e) {
            throw new ConfigException(SSL_KEY_PASSWORD, null, "cannot read the private key in " + location + ": "
                + e.getMessage());
        }
        throw new ConfigException(SSL_KEYSTORE_LOCATION, location, "holds no private key with a certificate chain");
    }

    private static void trust(BrokerConfig config, String listener, SslContextBuilder builder) {
        TrustManagerFactory factory = trustManagers(config, listener);
        if (factory != null) {
            builder.trustManager(factory);
        }
    }

    /** The JDK's key and trust managers of a listener, for TLS that is not Netty's own (the Ratis quorum's gRPC). */
    public record JdkManagers(KeyManager keyManager, TrustManager trustManager) {
    }

    /**
     * The listener's identity and trust as JDK managers; the JVM's default trust when the listener
     * names no trust store.
     *
     * @throws ConfigException when the listener has no key store, or a store cannot be read
     */
    public static JdkManagers jdkManagers(BrokerConfig config, String listener) {
        Identity identity = identity(config, listener)
            .orElseThrow(() -> new ConfigException(SSL_KEYSTORE_LOCATION, null,
                "listener " + listener + " uses TLS and needs a key store"));
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            char[] none = new char[0];
            keys.setKeyEntry("identity", identity.key(), none, identity.chain());
            KeyManagerFactory keyFactory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyFactory.init(keys, none);
            TrustManagerFactory trustFactory = trustManagers(config, listener);
            if (trustFactory == null) {
                trustFactory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trustFactory.init((KeyStore) null);
            }
            return new JdkManagers(keyFactory.getKeyManagers()[0], trustFactory.getTrustManagers()[0]);
        } catch (GeneralSecurityException | IOException e) {
            throw new ConfigException(SSL_KEYSTORE_LOCATION, null, "cannot set up TLS for listener " + listener + ": "
                + e.getMessage());
        }
    }

    /** The trust managers of the listener's trust store (or PEM certificates); null when it names none. */
    private static TrustManagerFactory trustManagers(BrokerConfig config, String listener) {
        String type = config.listenerString(listener, SSL_TRUSTSTORE_TYPE).toUpperCase(Locale.ROOT);
        String location = config.listenerString(listener, SSL_TRUSTSTORE_LOCATION);
        KeyStore store;
        if ("PEM".equals(type)) {
            String inline = config.listenerString(listener, SSL_TRUSTSTORE_CERTIFICATES);
            byte[] pem = inline != null ? inline.getBytes(StandardCharsets.US_ASCII)
                : location != null ? read(SSL_TRUSTSTORE_LOCATION, location) : null;
            if (pem == null) {
                return null;
            }
            try {
                store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                int n = 0;
                for (X509Certificate certificate : Pem.certificates(pem)) {
                    store.setCertificateEntry("trusted-" + n++, certificate);
                }
            } catch (GeneralSecurityException | IOException e) {
                throw new ConfigException(SSL_TRUSTSTORE_CERTIFICATES, null, "cannot read the trusted certificates"
                    + " of listener " + listener + ": " + e.getMessage());
            }
        } else if (location == null) {
            return null;
        } else {
            store = load(SSL_TRUSTSTORE_LOCATION, type, location, config.listenerString(listener, SSL_TRUSTSTORE_PASSWORD));
        }
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(
                config.listenerString(listener, SSL_TRUSTMANAGER_ALGORITHM));
            factory.init(store);
            return factory;
        } catch (GeneralSecurityException e) {
            throw new ConfigException(SSL_TRUSTMANAGER_ALGORITHM, null, "cannot use the trust store of listener "
                + listener + ": " + e.getMessage());
        }
    }

    private static KeyStore load(String key, String type, String location, String password) {
        try (InputStream in = Files.newInputStream(Path.of(location))) {
            KeyStore store = KeyStore.getInstance(type);
            store.load(in, password == null ? null : password.toCharArray());
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigException(key, location, "cannot load the " + type + " store: " + e.getMessage());
        }
    }

    private static byte[] read(String key, String location) {
        try {
            return Files.readAllBytes(Path.of(location));
        } catch (IOException e) {
            throw new ConfigException(key, location, "cannot read: " + e);
        }
    }

    /** PEM blocks: certificates, and PKCS#8 private keys, encrypted or not. */
    static final class Pem {
        private Pem() {
        }

        static List<X509Certificate> certificates(byte[] pem) throws GeneralSecurityException {
            List<X509Certificate> certs = new ArrayList<>();
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (byte[] der : blocks(pem, "CERTIFICATE")) {
                certs.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
            }
            return certs;
        }

        static PrivateKey privateKey(byte[] pem, String password) throws GeneralSecurityException, IOException {
            List<byte[]> plain = blocks(pem, "PRIVATE KEY");
            java.security.spec.PKCS8EncodedKeySpec spec;
            if (!plain.isEmpty()) {
                spec = new java.security.spec.PKCS8EncodedKeySpec(plain.get(0));
            } else {
                List<byte[]> encrypted = blocks(pem, "ENCRYPTED PRIVATE KEY");
                if (encrypted.isEmpty()) {
                    throw new IllegalArgumentException("no PKCS#8 PRIVATE KEY block found");
                }
                if (password == null) {
                    throw new IllegalArgumentException("the private key is encrypted and " + SSL_KEY_PASSWORD + " is not set");
                }
                javax.crypto.EncryptedPrivateKeyInfo info = new javax.crypto.EncryptedPrivateKeyInfo(encrypted.get(0));
                javax.crypto.SecretKeyFactory factory = javax.crypto.SecretKeyFactory.getInstance(info.getAlgName());
                javax.crypto.SecretKey secret = factory.generateSecret(new javax.crypto.spec.PBEKeySpec(password.toCharArray()));
                javax.crypto.Cipher cipher = javax.crypto.Cipher.getInstance(info.getAlgName());
                cipher.init(javax.crypto.Cipher.DECRYPT_MODE, secret, info.getAlgParameters());
                spec = info.getKeySpec(cipher);
            }
            GeneralSecurityException last = null;
            for (String algorithm : List.of("RSA", "EC", "Ed25519", "DSA")) {
                try {
                    return java.security.KeyFactory.getInstance(algorithm).generatePrivate(spec);
                } catch (GeneralSecurityException e) {
                    last = e;
                }
            }
            throw last;
        }

        private static List<byte[]> blocks(byte[] pem, String label) {
            String text = new String(pem, StandardCharsets.US_ASCII);
            String begin = "-----BEGIN " + label + "-----";
            String end = "-----END " + label + "-----";
            List<byte[]> out = new ArrayList<>();
            int from = 0;
            while (true) {
                int start = text.indexOf(begin, from);
                if (start < 0) {
                    return out;
                }
                int stop = text.indexOf(end, start);
                if (stop < 0) {
                    throw new IllegalArgumentException("a " + label + " block has no END line");
                }
                String body = text.substring(start + begin.length(), stop).replaceAll("\\s", "");
                out.add(java.util.Base64.getDecoder().decode(body));
                from = stop + end.length();
            }
        }
    }
}
