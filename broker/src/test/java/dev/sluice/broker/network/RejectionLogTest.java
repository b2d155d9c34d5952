package dev.sluice.broker.network;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RejectionLogTest {
    @Test
    void aFloodOfRejectionsLogsTheFirstFewPerMinuteAsWarnings() {
        Logger logger = (Logger) LoggerFactory.getLogger("rejection-log-test");
        logger.setLevel(Level.DEBUG);
        logger.setAdditive(false);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        RejectionLog rejections = new RejectionLog(logger);
        for (int i = 0; i < 1000; i++) {
            rejections.warn("closing connection {}", i);
        }
        long warnings = appender.list.stream().filter(e -> e.getLevel() == Level.WARN).count();
        long debug = appender.list.stream().filter(e -> e.getLevel() == Level.DEBUG).count();
        assertEquals(RejectionLog.FULL_PER_MINUTE, warnings);
        assertEquals(1000 - RejectionLog.FULL_PER_MINUTE, debug);
        logger.detachAppender(appender);
    }
}
