package dev.sluice.broker.security.sasl;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the JAAS text of Kafka's {@code sasl.jaas.config} (and of the entries of a JAAS file),
 * without Kafka's or the JDK's login classes:
 * <pre>
 * org.apache.kafka.common.security.plain.PlainLoginModule required
 *     username="admin" password="admin-secret" user_admin="admin-secret";
 * </pre>
 * Each entry is {@code <login module class> <flag> (<key>=<value>)* ;}, the flag one of
 * {@code required}, {@code requisite}, {@code sufficient} or {@code optional} (in any case, as
 * Kafka reads it). A value is a double-quoted string, in which a backslash takes the next character
 * literally (so {@code \"} and {@code \\}), or an unquoted run of characters other than white
 * space, {@code =}, {@code ;} and {@code "}. White space separates tokens anywhere, and
 * {@code //} and {@code /* *}{@code /} comments may stand between tokens, as Kafka's tokenizer
 * allows. A key given twice keeps its last value, as in Kafka.
 *
 * <p>Option values are often passwords, so an error names the line and column of the problem and
 * what was expected there, but never quotes the text.
 */
public final class JaasConfig {
    private static final Set<String> FLAGS = Set.of("required", "requisite", "sufficient", "optional");
    private static final Pattern CLASS_NAME =
        Pattern.compile("[\\p{L}_$][\\p{L}\\p{N}_$]*(\\.[\\p{L}_$][\\p{L}\\p{N}_$]*)*");

    /**
     * One login module entry.
     *
     * @param loginModule the login module's fully qualified class name
     * @param flag its control flag, in lower case
     * @param options its options in the order written
     */
    public record Entry(String loginModule, String flag, Map<String, String> options) {
        /** The class name without its package, such as {@code PlainLoginModule}. */
        public String simpleName() {
            return loginModule.substring(loginModule.lastIndexOf('.') + 1);
        }

        /** Names the option keys only: their values may be passwords. */
        @Override
        public String toString() {
            return "Entry[" + loginModule + " " + flag + " " + options.keySet() + "]";
        }
    }

    private final String text;
    private int pos;

    private JaasConfig(String text) {
        this.text = text;
    }

    /**
     * The entries of {@code jaasText}, at least one.
     *
     * @throws IllegalArgumentException if the text is malformed; the message says where
     */
    public static List<Entry> parse(String jaasText) {
        JaasConfig reader = new JaasConfig(jaasText);
        List<Entry> entries = new ArrayList<>();
        reader.skipBlanks();
        while (reader.pos < jaasText.length()) {
            entries.add(reader.entry());
            reader.skipBlanks();
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("JAAS config has no login module entry");
        }
        return Collections.unmodifiableList(entries);
    }

    /**
     * The options of the one entry of {@code jaasText}, as {@code sasl.jaas.config} holds exactly one.
     *
     * @param expectedModuleSimpleName the login module the mechanism needs (such as
     *     {@code PlainLoginModule}), or null to take any
     * @throws IllegalArgumentException if the text is malformed, has more than one entry, or names
     *     another login module
     */
    public static Map<String, String> options(String jaasText, String expectedModuleSimpleName) {
        List<Entry> entries = parse(jaasText);
        if (entries.size() != 1) {
            throw new IllegalArgumentException("JAAS config has " + entries.size() + " login module entries, not 1");
        }
        Entry entry = entries.get(0);
        if (expectedModuleSimpleName != null && !entry.simpleName().equals(expectedModuleSimpleName)) {
            throw new IllegalArgumentException("JAAS config names login module " + entry.loginModule()
                + " where " + expectedModuleSimpleName + " is needed");
        }
        return entry.options();
    }

    private Entry entry() {
        int start = pos;
        String loginModule = word("a login module class name");
        if (!CLASS_NAME.matcher(loginModule).matches()) {
            throw error(start, "a login module class name was expected");
        }
        skipBlanks();
        start = pos;
        String flag = word("a control flag").toLowerCase(Locale.ROOT);
        if (!FLAGS.contains(flag)) {
            throw error(start, "a control flag (required, requisite, sufficient or optional) was expected");
        }
        Map<String, String> options = new LinkedHashMap<>();
        while (true) {
            skipBlanks();
            if (pos >= text.length()) {
                throw error(pos, "';' was expected to end the entry");
            }
            if (text.charAt(pos) == ';') {
                pos++;
                return new Entry(loginModule, flag, Collections.unmodifiableMap(options));
            }
            String key = word("an option name or ';'");
            skipBlanks();
            if (pos >= text.length() || text.charAt(pos) != '=') {
                throw error(pos, "'=' was expected after an option name");
            }
            pos++;
            skipBlanks();
            String value = pos < text.length() && text.charAt(pos) == '"' ? quoted() : word("an option value");
            options.put(key, value);
        }
    }

    /** An unquoted token; {@code expected} says what was wanted when there is none. */
    private String word(String expected) {
        int start = pos;
        while (pos < text.length() && !isDelimiter(text.charAt(pos))) {
            pos++;
        }
        if (pos == start) {
            throw error(start, expected + " was expected");
        }
        return text.substring(start, pos);
    }

    private String quoted() {
        int start = pos;
        StringBuilder value = new StringBuilder();
        pos++;
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == '"') {
                return value.toString();
            }
            if (c == '\\') {
                if (pos >= text.length()) {
                    break;
                }
                c = text.charAt(pos++);
            }
            value.append(c);
        }
        throw error(start, "the quoted value starting here is not closed");
    }

    private static boolean isDelimiter(char c) {
        return Character.isWhitespace(c) || c == '=' || c == ';' || c == '"';
    }

    /** Skips white space and comments. */
    private void skipBlanks() {
        while (pos < text.length()) {
            if (Character.isWhitespace(text.charAt(pos))) {
                pos++;
            } else if (text.startsWith("//", pos)) {
                int end = text.indexOf('\n', pos);
                pos = end < 0 ? text.length() : end + 1;
            } else if (text.startsWith("/*", pos)) {
                int end = text.indexOf("*/", pos + 2);
                if (end < 0) {
                    throw error(pos, "the comment starting here is not closed");
                }
                pos = end + 2;
            } else {
                return;
            }
        }
    }

    private IllegalArgumentException error(int at, String what) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < at && i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return new IllegalArgumentException(
            "malformed JAAS config at line " + line + ", column " + (at - lineStart + 1) + ": " + what);
    }
}
