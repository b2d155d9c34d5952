package dev.sluice.broker.group;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.re2j.PatternSyntaxException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SubscriptionRegexTest {

    @Test
    void nestedQuantifiersMatchALongNameInLinearTime() {
        SubscriptionRegex regex = SubscriptionRegex.compile("((a+)+)+b");
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertFalse(regex.matches("a".repeat(249))));
        assertTrue(regex.matches("aaab"));
    }

    @Test
    void nestedCountedRepetitionIsRefusedBeforeItIsCompiled() {
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            assertThrows(PatternSyntaxException.class, () -> SubscriptionRegex.compile("((a{1000}){1000}){1000}"));
            assertThrows(PatternSyntaxException.class, () -> SubscriptionRegex.compile("(a{1000}){30}"));
            assertThrows(PatternSyntaxException.class, () -> SubscriptionRegex.compile("(x|a{1000}b{1000}){1000}"));
        });
    }

    @Test
    void aPatternLongerThanTheLimitIsRefused() {
        assertThrows(PatternSyntaxException.class,
            () -> SubscriptionRegex.compile("x".repeat(SubscriptionRegex.MAX_LENGTH + 1)));
    }

    @Test
    void ordinaryPatternsAndLiteralBracesAreAccepted() {
        assertTrue(SubscriptionRegex.compile("orders-[0-9]{1,3}").matches("orders-42"));
        assertTrue(SubscriptionRegex.compile("\\Q(a{1000}){1000}\\E|x").matches("x"));
        assertTrue(SubscriptionRegex.compile("[{}]{2}a{").matches("{}a{"));
        assertTrue(SubscriptionRegex.compile("[[:alpha:]]+\\.v[0-9]+").matches("payments.v2"));
        assertTrue(SubscriptionRegex.compile("(eu|us)-(orders|payments)-.*").matches("eu-orders-raw"));
    }

    @Test
    void re2SyntaxRefusesWhatOnlyBacktrackingEnginesHave() {
        for (String regex : new String[] {"(?=a)b", "(a)\\1", "a++", "(?>a)"}) {
            assertThrows(PatternSyntaxException.class, () -> SubscriptionRegex.compile(regex), regex);
        }
    }
}
