package dev.sluice.broker.junit;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.SluiceCluster;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.junit.platform.commons.support.ReflectionSupport;

/**
 * JUnit 5 extension that runs tests against an embedded {@link SluiceBroker}: a free port on
 * localhost, a fresh temporary data directory, started in milliseconds, closed (and its directory
 * deleted) when the tests that use it are done. Usually applied through {@link SluiceTest}, whose
 * attributes configure it; {@code @ExtendWith(SluiceExtension.class)} alone gives a default broker
 * per class.
 *
 * <p>The broker reaches the test in three ways:
 * <ul>
 *   <li>static fields of type {@code SluiceBroker} are set before {@code @BeforeAll} methods run
 *       (per-class lifecycle only: with {@link SluiceTest.Lifecycle#PER_TEST} there is no class
 *       broker, and a static field is a configuration error);</li>
 *   <li>instance fields of type {@code SluiceBroker} (of the test instance and, for
 *       {@code @Nested} tests, of its enclosing instances) are set before {@code @BeforeEach}
 *       methods run, to the broker that test runs against;</li>
 *   <li>parameters of type {@code SluiceBroker} of test, lifecycle and constructor methods.</li>
 * </ul>
 * Final fields are left alone.
 *
 * <p>Which broker a test gets: the class's (or, for a {@code @Nested} class without its own
 * {@code @SluiceTest}, its enclosing class's) with the per-class lifecycle; a fresh one per test
 * method with {@link SluiceTest.Lifecycle#PER_TEST} or when the method carries its own
 * {@code @SluiceTest}. Brokers live in JUnit's extension store and are closed when their class or
 * method context closes, after {@code @AfterAll} or {@code @AfterEach} methods.
 *
 * <p>Safe with parallel test execution: brokers are kept per extension context, never in fields
 * of the extension.
 */
public final class SluiceExtension implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SluiceExtension.class);
    private static final String CLASS_BROKER = "class-broker";
    private static final String METHOD_BROKER = "method-broker";

    /** A broker or a cluster owned by an extension context, closed with it. */
    private record Running(AutoCloseable target) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() throws Exception {
            target.close();
        }

        Object broker() {
            return target;
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Class<?> testClass = context.getRequiredTestClass();
        Optional<SluiceTest> settings = classSettings(testClass);
        Object broker = null;
        if (lifecycle(settings) == SluiceTest.Lifecycle.PER_CLASS) {
            ExtensionContext.Store store = context.getStore(NAMESPACE);
            Running inherited = store.get(CLASS_BROKER, Running.class);
            boolean ownSettings = AnnotationSupport.findAnnotation(testClass, SluiceTest.class).isPresent();
            if (inherited == null || ownSettings) {
                Running started = new Running(start(config(settings, Optional.empty()), brokers(settings, Optional.empty())));
                store.put(CLASS_BROKER, started);
                broker = started.broker();
            } else {
                broker = inherited.broker();
            }
        }
        for (Field field : brokerFields(testClass, true)) {
            if (broker == null) {
                throw new ExtensionConfigurationException("static field " + field + " cannot be given a broker: with"
                    + " lifecycle PER_TEST each test method has its own; use an instance field or a parameter");
            }
            set(field, null, broker);
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        Object broker = brokerFor(context);
        for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
            for (Field field : brokerFields(instance.getClass(), false)) {
                set(field, instance, broker);
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == SluiceBroker.class || type == SluiceCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        try {
            return fitting(parameter.getParameter().getType(), brokerFor(context), parameter.getParameter().toString());
        } catch (ExtensionConfigurationException e) {
            throw new ParameterResolutionException(e.getMessage(), e);
        }
    }

    /** The broker for a class or method context, starting a method's own broker on first use. */
    private static Object brokerFor(ExtensionContext context) {
        Optional<Method> method = context.getTestMethod();
        Optional<SluiceTest> classSettings = classSettings(context.getRequiredTestClass());
        if (method.isPresent()) {
            Optional<SluiceTest> methodSettings = AnnotationSupport.findAnnotation(method.get(), SluiceTest.class);
            if (methodSettings.isPresent() || lifecycle(classSettings) == SluiceTest.Lifecycle.PER_TEST) {
                Map<String, String> config = config(classSettings, methodSettings);
                int brokers = brokers(classSettings, methodSettings);
                return context.getStore(NAMESPACE)
                    .getOrComputeIfAbsent(METHOD_BROKER, key -> new Running(start(config, brokers)), Running.class)
                    .broker();
            }
        }
        Running running = context.getStore(NAMESPACE).get(CLASS_BROKER, Running.class);
        if (running == null) {
            throw new ExtensionConfigurationException("no broker for " + context.getDisplayName() + ": with lifecycle"
                + " PER_TEST brokers exist only for test methods (not for constructors or @BeforeAll methods)");
        }
        return running.broker();
    }

    private static AutoCloseable start(Map<String, String> config, int brokers) {
        if (brokers == 1) {
            return SluiceBroker.builder().configs(config).start();
        }
        SluiceCluster.Builder cluster = SluiceCluster.builder().brokers(brokers);
        config.forEach(cluster::config);
        return cluster.start();
    }

    /** The method's broker count when it has its own settings, else the class's. */
    private static int brokers(Optional<SluiceTest> classSettings, Optional<SluiceTest> methodSettings) {
        int brokers = methodSettings.or(() -> classSettings).map(SluiceTest::brokers).orElse(1);
        if (brokers < 1) {
            throw new ExtensionConfigurationException("@SluiceTest(brokers = " + brokers + "): at least one broker");
        }
        return brokers;
    }

    /** {@code running} if it is of the {@code wanted} type (a broker, or a cluster of several). */
    private static Object fitting(Class<?> wanted, Object running, String what) {
        if (!wanted.isInstance(running)) {
            throw new ExtensionConfigurationException(what + " wants a " + wanted.getSimpleName() + " but the test runs"
                + " against a " + running.getClass().getSimpleName() + ": use SluiceCluster with @SluiceTest(brokers"
                + " > 1) and SluiceBroker with one broker");
        }
        return running;
    }

    /** The class's own settings, else those of the class it is nested in, and so on outwards. */
    private static Optional<SluiceTest> classSettings(Class<?> testClass) {
        for (Class<?> c = testClass; c != null; c = isInner(c) ? c.getEnclosingClass() : null) {
            Optional<SluiceTest> found = AnnotationSupport.findAnnotation(c, SluiceTest.class);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static boolean isInner(Class<?> c) {
        return c.isMemberClass() && !Modifier.isStatic(c.getModifiers());
    }

    private static SluiceTest.Lifecycle lifecycle(Optional<SluiceTest> settings) {
        return settings.map(SluiceTest::lifecycle).orElse(SluiceTest.Lifecycle.PER_CLASS);
    }

    /** The class's {@code config} entries, then the method's, later ones winning. */
    private static Map<String, String> config(Optional<SluiceTest> classSettings, Optional<SluiceTest> methodSettings) {
        Map<String, String> config = new LinkedHashMap<>();
        for (Optional<SluiceTest> settings : List.of(classSettings, methodSettings)) {
            for (String entry : settings.map(SluiceTest::config).orElse(new String[0])) {
                int eq = entry.indexOf('=');
                if (eq <= 0) {
                    throw new ExtensionConfigurationException("@SluiceTest config entries are key=value, got '"
                        + entry + "'");
                }
                config.put(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim());
            }
        }
        return config;
    }

    private static List<Field> brokerFields(Class<?> type, boolean isStatic) {
        List<Field> fields = new ArrayList<>();
        for (Field f : ReflectionSupport.findFields(type, f -> (f.getType() == SluiceBroker.class
            || f.getType() == SluiceCluster.class)
            && Modifier.isStatic(f.getModifiers()) == isStatic && !Modifier.isFinal(f.getModifiers()),
            HierarchyTraversalMode.TOP_DOWN)) {
            fields.add(f);
        }
        return fields;
    }

    private static void set(Field field, Object target, Object broker) {
        Object value = fitting(field.getType(), broker, "field " + field);
        try {
            field.setAccessible(true);
            field.set(target, value);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ExtensionConfigurationException("cannot set " + field + " to the broker", e);
        }
    }
}
