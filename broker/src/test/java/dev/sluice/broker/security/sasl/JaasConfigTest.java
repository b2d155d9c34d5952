package dev.sluice.broker.security.sasl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.security.sasl.JaasConfig.Entry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.security.JaasContext;
import org.junit.jupiter.api.Test;

/** The JAAS text of sasl.jaas.config, read as Kafka reads it, and errors that never show a value. */
class JaasConfigTest {
    private static final String PLAIN = "org.apache.kafka.common.security.plain.PlainLoginModule required"
        + " username=\"admin\" password=\"admin-secret\" user_admin=\"admin-secret\" user_alice=\"alice-secret\";";

    @Test
    void kafkasPlainExampleGivesItsOptionsInOrder() {
        List<Entry> entries = JaasConfig.parse(PLAIN);
        assertEquals(1, entries.size());
        Entry entry = entries.get(0);
        assertEquals("org.apache.kafka.common.security.plain.PlainLoginModule", entry.loginModule());
        assertEquals("PlainLoginModule", entry.simpleName());
        assertEquals("required", entry.flag());
        assertEquals(List.of("username", "password", "user_admin", "user_alice"),
            new ArrayList<>(entry.options().keySet()));
        assertEquals("alice-secret", entry.options().get("user_alice"));
        assertEquals(entry.options(), JaasConfig.options(PLAIN, "PlainLoginModule"));
        assertEquals(entry.options(), JaasConfig.options(PLAIN, null));
    }

    @Test
    void quotingEscapesWhitespaceCommentsAndFlagsAreReadAsKafkaDoes() {
        String text = "\n  a.B  REQUISITE\t/* a comment */ k1=\"say \\\"hi\\\" \\\\ there\"\n"
            + "  // a line comment\n  k2=unquoted-value_1 k3 = \"\" k4=\"semi;colon = and spaces\" ;\n"
            + "x.y.Z optional;  c.D Sufficient k=v;";
        List<Entry> entries = JaasConfig.parse(text);
        assertEquals(3, entries.size());
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("k1", "say \"hi\" \\ there");
        expected.put("k2", "unquoted-value_1");
        expected.put("k3", "");
        expected.put("k4", "semi;colon = and spaces");
        assertEquals(new Entry("a.B", "requisite", expected), entries.get(0));
        assertEquals(new Entry("x.y.Z", "optional", Map.of()), entries.get(1));
        assertEquals(new Entry("c.D", "sufficient", Map.of("k", "v")), entries.get(2));
        assertEquals(Map.of("k", "second"), JaasConfig.parse("m.M required k=first k=second;").get(0).options());
    }

    @Test
    void kafkasOwnParserReadsTheSameOptions() {
        for (String text : new String[] {PLAIN,
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\\\"w\\\\d\";",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required\n"
                    + "  unsecuredLoginStringClaim_sub=\"thePrincipalName\" /* comment */ k=v;"}) {
            JaasContext kafka = JaasContext.loadClientContext(Map.of(SaslConfigs.SASL_JAAS_CONFIG, new Password(text)));
            AppConfigurationEntry theirs = kafka.configurationEntries().get(0);
            Entry ours = JaasConfig.parse(text).get(0);
            assertEquals(theirs.getLoginModuleName(), ours.loginModule());
            assertEquals(theirs.getOptions(), ours.options());
        }
    }

    @Test
    void errorsSayWhereButNeverQuoteTheText() {
        String secret = "hunter2";
        String[][] cases = {
            {"", "no login module entry"},
            {"   // only a comment", "no login module entry"},
            {"m.M", "control flag"},
            {"m.M mandatory k=" + secret + ";", "line 1, column 5"},
            {"m.M required k=\"" + secret + "\"", "';' was expected"},
            {"m.M required\n  k \"" + secret + "\";", "line 2, column 5"},
            {"m.M required k=\"" + secret, "not closed"},
            {"m.M required k=;", "an option value was expected"},
            {"m.M required k=" + secret + " /* " + secret, "comment starting here is not closed"},
            {"1bad.Name required;", "login module class name"},
            {"m.M required pass word=" + secret + ";", "'=' was expected"},
            {"=" + secret + ";", "login module class name"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JaasConfig.parse(c[0]),
                c[0]);
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
            assertFalse(e.getMessage().contains(secret), e.getMessage());
        }
    }

    @Test
    void optionsWantsOneEntryOfTheExpectedModule() {
        assertThrows(IllegalArgumentException.class, () -> JaasConfig.options(PLAIN, "ScramLoginModule"));
        assertThrows(IllegalArgumentException.class, () -> JaasConfig.options(PLAIN + PLAIN, null));
    }

    @Test
    void anEntryPrintsItsKeysButNotItsValues() {
        String printed = JaasConfig.parse(PLAIN).get(0).toString();
        assertTrue(printed.contains("user_alice"), printed);
        assertFalse(printed.contains("secret"), printed);
    }
}
