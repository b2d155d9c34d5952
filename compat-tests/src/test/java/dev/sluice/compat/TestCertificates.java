package dev.sluice.compat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A test certificate authority and certificates it signs, made with the JDK's {@code keytool}
 * (no other tool or library needed): PKCS12 key stores, a PKCS12 trust store with the CA, and the
 * same in PEM for the keys that take PEM.
 */
final class TestCertificates {
    static final String PASSWORD = "test-secret";

    private final Path dir;
    private final Path ca;

    private TestCertificates(Path dir) {
        this.dir = dir;
        this.ca = dir.resolve("ca.p12");
    }

    /** A new CA in {@code dir}, with its trust store ({@link #truststore()}) and PEM ({@link #caPem()}). */
    static TestCertificates create(Path dir) throws IOException {
        TestCertificates certs = new TestCertificates(dir);
        certs.keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
            "CN=Sluice Test CA", "-ext", "bc:c", "-validity", "3", "-keystore", certs.ca.toString(), "-storetype",
            "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD);
        certs.keytool("-exportcert", "-alias", "ca", "-keystore", certs.ca.toString(), "-storepass", PASSWORD, "-rfc",
            "-file", certs.caPem().toString());
        certs.keytool("-importcert", "-alias", "ca", "-file", certs.caPem().toString(), "-keystore",
            certs.truststore().toString(), "-storetype", "PKCS12", "-storepass", PASSWORD, "-noprompt");
        return certs;
    }

    Path caPem() {
        return dir.resolve("ca.pem");
    }

    Path truststore() {
        return dir.resolve("truststore.p12");
    }

    /**
     * A PKCS12 key store with a key pair named {@code name}, its certificate (subject {@code dn},
     * valid for localhost and 127.0.0.1) signed by the CA, and the CA's certificate after it.
     */
    Path keystore(String name, String dn) throws IOException {
        Path store = dir.resolve(name + ".p12");
        Path csr = dir.resolve(name + ".csr");
        Path signed = dir.resolve(name + "-cert.pem");
        keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", dn, "-validity",
            "3", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD);
        keytool("-certreq", "-alias", name, "-keystore", store.toString(), "-storepass", PASSWORD, "-file", csr.toString());
        keytool("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass", PASSWORD, "-infile", csr.toString(),
            "-outfile", signed.toString(), "-rfc", "-validity", "3", "-ext", "SAN=dns:localhost,ip:127.0.0.1");
        keytool("-importcert", "-alias", "ca", "-file", caPem().toString(), "-keystore", store.toString(), "-storepass",
            PASSWORD, "-noprompt");
        keytool("-importcert", "-alias", name, "-file", signed.toString(), "-keystore", store.toString(), "-storepass",
            PASSWORD, "-noprompt");
        return store;
    }

    /** The private key (PKCS#8) and certificate chain of a key store made by {@link #keystore}, in PEM. */
    static Pem pem(Path keystore, String name) throws IOException {
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, PASSWORD.toCharArray());
            Key key = store.getKey(name, PASSWORD.toCharArray());
            StringBuilder chain = new StringBuilder();
            for (Certificate c : store.getCertificateChain(name)) {
                chain.append(block("CERTIFICATE", c.getEncoded()));
            }
            return new Pem(block("PRIVATE KEY", key.getEncoded()), chain.toString());
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    record Pem(String key, String chain) {
    }

    private static String block(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(der) + "\n-----END " + label + "-----\n";
    }

    private void keytool(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            byte[] output = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("keytool " + args[0] + " failed: " + new String(output, StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
