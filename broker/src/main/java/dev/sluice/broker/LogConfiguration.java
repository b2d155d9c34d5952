package dev.sluice.broker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * Sluice's default logging: one line per event on standard output, INFO for Sluice's own loggers
 * (or the level in the {@code SLUICE_LOG_LEVEL} environment variable), WARN for libraries and
 * ERROR for Ratis.
 *
 * <p>Set up in code, with a plain layout, rather than from an XML file with a pattern: parsing the
 * XML and building the pattern's converters cost a noticeable share of the broker's start-up. Any
 * configuration a user supplies wins: a {@code logback.xml} or {@code logback-test.xml} on the
 * classpath, or {@code -Dlogback.configurationFile=...}.
 */
public final class LogConfiguration extends ContextAwareBase implements Configurator {
    @Override
    public ExecutionStatus configure(LoggerContext context) {
        ClassLoader loader = LogConfiguration.class.getClassLoader();
        if (System.getProperty("logback.configurationFile") != null || loader.getResource("logback-test.xml") != null
            || loader.getResource("logback.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        LineLayout layout = new LineLayout();
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("console");
        console.setEncoder(encoder);
        console.start();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(console);
        // Ratis (the metadata quorum) warns, with stack traces, of routine events: a peer that
        // restarts, its own shutdown, a leader change. The broker logs what matters of those itself.
        context.getLogger("org.apache.ratis").setLevel(Level.ERROR);
        // Its client logs, with a stack trace, every request it fails, even those it fails because the
        // node is closing it; each failure reaches the caller's future, and the broker reports those.
        context.getLogger("org.apache.ratis.grpc.client.GrpcClientRpc").setLevel(Level.OFF);
        // Ratis' shaded gRPC logs through java.util.logging, which would print to stderr at INFO.
        RATIS_GRPC_JUL.setLevel(java.util.logging.Level.WARNING);
        String level = System.getenv("SLUICE_LOG_LEVEL");
        context.getLogger("dev.sluice").setLevel(Level.toLevel(level, Level.INFO));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** Held, so that the level set on it is not lost when java.util.logging lets the logger go. */
    private static final java.util.logging.Logger RATIS_GRPC_JUL =
        java.util.logging.Logger.getLogger("org.apache.ratis.thirdparty");

    /** {@code 2026-01-02 03:04:05.678 INFO  [thread] Logger - message}, then the stack trace if any. */
    static final class LineLayout extends LayoutBase<ILoggingEvent> {
        private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
            .withZone(ZoneId.systemDefault());

        @Override
        public String doLayout(ILoggingEvent event) {
            StringBuilder line = new StringBuilder(128);
            TIME.formatTo(Instant.ofEpochMilli(event.getTimeStamp()), line);
            String level = event.getLevel().toString();
            line.append(' ').append(level);
            for (int i = level.length(); i < 5; i++) {
                line.append(' ');
            }
            String logger = event.getLoggerName();
            line.append(" [").append(event.getThreadName()).append("] ")
                .append(logger, logger.lastIndexOf('.') + 1, logger.length())
                .append(" - ").append(event.getFormattedMessage()).append(CoreConstants.LINE_SEPARATOR);
            IThrowableProxy thrown = event.getThrowableProxy();
            if (thrown != null) {
                line.append(ThrowableProxyUtil.asString(thrown)).append(CoreConstants.LINE_SEPARATOR);
            }
            return line.toString();
        }
    }
}
