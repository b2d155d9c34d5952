package dev.sluice.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class LogSafeTest {

    @Test
    void anOrdinaryStringIsLoggedAsItIs() {
        String id = "orders-consumer-7f3a.v2_eu";
        assertSame(id, LogSafe.escape(id));
    }

    @Test
    void lineBreaksAndTerminalEscapesBecomeVisibleEscapes() {
        assertEquals("evil\\n2026-01-01 ERROR forged\\r\\t\\u001b[31mred\\u007f\\u0085",
            LogSafe.escape("evil\n2026-01-01 ERROR forged\r\t\u001b[31mred\u007f\u0085"));
    }

    @Test
    void unicodeSeparatorsAndBidiOverridesAreEscapedAndBackslashesDoubled() {
        assertEquals("a\\u2028b\\u202ec\\u2066d\\\\n", LogSafe.escape("a\u2028b\u202ec\u2066d\\n"));
    }

    @Test
    void aVeryLongStringIsCutWithItsRemainingLength() {
        String escaped = LogSafe.escape("g".repeat(LogSafe.MAX_CHARS + 1000));
        assertEquals("g".repeat(LogSafe.MAX_CHARS) + "...(1000 more characters)", escaped);
        assertEquals("null", LogSafe.of(null).toString());
    }
}
