package dev.sluice.broker.security.sasl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void readsEveryKindOfValue() {
        Object value = Json.parse(" {\"s\":\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\", \"n\":-1.5e3, \"i\":0,"
            + " \"t\":true, \"f\":false, \"z\":null, \"a\":[1,[],{}], \"o\":{\"k\":\"v\"}} ");
        Map<?, ?> object = (Map<?, ?>) value;
        assertEquals("a\"b\\c/d\né😀", object.get("s"));
        assertEquals(new BigDecimal("-1.5e3"), object.get("n"));
        assertEquals(BigDecimal.ZERO, object.get("i"));
        assertEquals(true, object.get("t"));
        assertEquals(false, object.get("f"));
        assertTrue(object.containsKey("z"));
        assertNull(object.get("z"));
        assertEquals(Arrays.asList(BigDecimal.ONE, List.of(), Map.of()), object.get("a"));
        assertEquals(Map.of("k", "v"), object.get("o"));
        assertEquals(List.of("s", "n", "i", "t", "f", "z", "a", "o"), new ArrayList<>(object.keySet()));
    }

    @Test
    void refusesWhatRfc8259Refuses() {
        for (String text : new String[] {"", "{", "{\"a\":1,}", "[1,]", "01", "1.", "-", "1e", ".5", "+1", "'a'",
                "\"a", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"tab\there\"", "tru", "nul", "{\"a\" 1}", "{a:1}",
                "[1 2]", "1 2", "{\"a\":1,\"a\":2}", "1e99999999999", "\"\\", "[", "{\"a\":"}) {
            assertThrows(IllegalArgumentException.class, () -> Json.parse(text), text);
        }
    }

    @Test
    void deepNestingIsRefusedWithoutExhaustingTheStack() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Json.parse(deep)).getMessage()
            .contains("nesting"));
        String allowed = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertTrue(Json.parse(allowed) instanceof List<?>);
    }

    @Test
    void quotedStringsReadBack() {
        String awkward = "q\"b\\s\n\t\u0001é";
        assertEquals(awkward, Json.parse(Json.quote(awkward)));
    }
}
