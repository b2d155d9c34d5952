package dev.sluice.compat.oldclient;

import dev.sluice.compat.oldclient.api.ClientDriver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Older releases of the Kafka Java client, each on a class loader of its own, beside the
 * {@code kafka-clients} on the test classpath.
 *
 * <p>The build copies each release with its runtime dependencies into
 * {@code target/old-clients/<version>/} (compat-tests' POM). {@link #load} compiles the driver in
 * {@code src/test/old-client/} against that release, then loads the driver and the jars in a
 * {@link URLClassLoader} whose parent sees only the platform classes and the shared contract
 * ({@link ClientDriver} and its nested types): the test classpath's Kafka classes cannot leak in,
 * and the old release's cannot leak out.
 *
 * <p>Every call through the returned driver, and through the producers and consumers it makes,
 * runs with the isolated loader as the thread's context class loader, because Kafka resolves
 * class-valued settings (assignors, partitioners, serializers named by class) through it; threads
 * the client starts inherit it.
 *
 * <p>A release is loaded once per JVM and its loader stays open for the JVM's life. The old
 * client logs through slf4j-simple at WARN to stderr unless {@code org.slf4j.simpleLogger.defaultLogLevel}
 * says otherwise ({@code -Dorg.slf4j.simpleLogger.defaultLogLevel=debug} shows every request it sends).
 *
 * <p>Where things are, overridable by system properties (surefire sets them from the POM):
 * {@value #CLIENTS_DIR_PROPERTY} (default {@code target/old-clients}),
 * {@value #DRIVER_SOURCE_PROPERTY} (default {@code src/test/old-client}) and
 * {@value #VERSIONS_PROPERTY} (comma-separated; default: every release found in the clients directory).
 */
public final class IsolatedKafkaClient {
    public static final String CLIENTS_DIR_PROPERTY = "sluice.oldClients.dir";
    public static final String DRIVER_SOURCE_PROPERTY = "sluice.oldClients.driverSource";
    public static final String VERSIONS_PROPERTY = "sluice.oldClients.versions";

    private static final String CONTRACT_PACKAGE = ClientDriver.class.getPackageName() + ".";
    private static final String DRIVER_CLASS = "dev.sluice.compat.oldclient.driver.KafkaClientsDriver";
    private static final Map<String, ClientDriver> LOADED = new ConcurrentHashMap<>();

    private IsolatedKafkaClient() {
    }

    /** The releases the build provides, oldest first. */
    public static List<String> versions() {
        String listed = System.getProperty(VERSIONS_PROPERTY, "").trim();
        if (!listed.isEmpty()) {
            return Arrays.stream(listed.split(",")).map(String::trim).filter(v -> !v.isEmpty()).toList();
        }
        Path dir = clientsDir();
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(d -> Files.exists(d.resolve("kafka-clients-" + d.getFileName() + ".jar")))
                .map(d -> d.getFileName().toString())
                .sorted(Comparator.comparing(IsolatedKafkaClient::versionKey))
                .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The driver of {@code version}, loading the release on first use. */
    public static ClientDriver load(String version) {
        return LOADED.computeIfAbsent(version, IsolatedKafkaClient::loadRelease);
    }

    private static ClientDriver loadRelease(String version) {
        Path jarsDir = clientsDir().resolve(version);
        List<Path> jars;
        try (Stream<Path> entries = Files.list(jarsDir)) {
            jars = entries.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("kafka-clients " + version + " is not in " + jarsDir
                + " (the build copies it there at generate-test-resources)", e);
        }
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
            System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        Path classes = compileDriver(version, jars);
        List<URL> urls = new ArrayList<>();
        try {
            urls.add(classes.toUri().toURL());
            for (Path jar : jars) {
                urls.add(jar.toUri().toURL());
            }
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        }
        ClassLoader isolated = new URLClassLoader("kafka-clients-" + version, urls.toArray(URL[]::new),
            new ContractOnlyLoader(IsolatedKafkaClient.class.getClassLoader()));
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(isolated);
        try {
            Object driver = Class.forName(DRIVER_CLASS, true, isolated).getConstructor().newInstance();
            return contextualized(ClientDriver.class, (ClientDriver) driver, isolated);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot instantiate the driver for kafka-clients " + version, e);
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    /** Compiles the driver against {@code jars} into a fresh directory and returns it. */
    private static Path compileDriver(String version, List<Path> jars) {
        Path source = Path.of(System.getProperty(DRIVER_SOURCE_PROPERTY, "src/test/old-client"));
        Path out = clientsDir().resolveSibling("old-client-drivers").resolve(version);
        List<Path> sources;
        try {
            deleteTree(out);
            Files.createDirectories(out);
            try (Stream<Path> files = Files.walk(source)) {
                sources = files.filter(p -> p.toString().endsWith(".java")).toList();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the driver of kafka-clients " + version, e);
        }
        List<String> classpath = new ArrayList<>();
        jars.forEach(j -> classpath.add(j.toString()));
        classpath.add(contractLocation().toString());
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("no Java compiler: the old-client driver needs a JDK, not a JRE");
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            List<String> options = List.of("-d", out.toString(), "-classpath",
                String.join(java.io.File.pathSeparator, classpath), "--release", "17", "-proc:none", "-nowarn");
            boolean ok = javac.getTask(null, files, diagnostics, options, null,
                files.getJavaFileObjectsFromPaths(sources)).call();
            if (!ok) {
                throw new IllegalStateException("the driver does not compile against kafka-clients " + version + ":\n"
                    + diagnostics.getDiagnostics().stream().map(Object::toString).collect(Collectors.joining("\n")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The test-classes directory (or jar) that holds the shared contract. */
    private static Path contractLocation() {
        try {
            return Path.of(ClientDriver.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path clientsDir() {
        return Path.of(System.getProperty(CLIENTS_DIR_PROPERTY, "target/old-clients"));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** "2.8.2" sorts before "3.6.2" and "10.0.0"; non-numeric parts sort as 0. */
    private static String versionKey(String version) {
        StringBuilder key = new StringBuilder();
        for (String part : version.split("[.-]")) {
            key.append(String.format("%06d", part.chars().allMatch(Character::isDigit) && !part.isEmpty()
                ? Integer.parseInt(part) : 0));
        }
        return key.toString();
    }

    /**
     * Wraps a contract object of the isolated side so that each call runs with {@code loader} as
     * context class loader; producers and consumers it returns are wrapped the same way.
     */
    private static <T> T contextualized(Class<T> contract, T target, ClassLoader loader) {
        InvocationHandler handler = (proxy, method, args) -> {
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(loader);
            try {
                Object result = method.invoke(target, args);
                if (result instanceof ClientDriver.Producer p) {
                    return contextualized(ClientDriver.Producer.class, p, loader);
                }
                if (result instanceof ClientDriver.Consumer c) {
                    return contextualized(ClientDriver.Consumer.class, c, loader);
                }
                return result;
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                thread.setContextClassLoader(previous);
            }
        };
        return contract.cast(Proxy.newProxyInstance(IsolatedKafkaClient.class.getClassLoader(),
            new Class<?>[] {contract}, handler));
    }

    /**
     * The isolated loader's parent: platform classes, plus the shared contract from the test
     * class loader, and nothing else.
     */
    private static final class ContractOnlyLoader extends ClassLoader {
        private final ClassLoader testLoader;

        ContractOnlyLoader(ClassLoader testLoader) {
            super("old-client-contract", ClassLoader.getPlatformClassLoader());
            this.testLoader = testLoader;
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            if (name.startsWith(CONTRACT_PACKAGE)) {
                return testLoader.loadClass(name);
            }
            throw new ClassNotFoundException(name);
        }
    }
}
