package dev.sluice.broker.security;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Kafka's {@code ssl.principal.mapping.rules}: a comma-separated list of rules tried in order on a
 * client certificate's distinguished name (RFC 2253 form, e.g. {@code CN=alice,OU=eng,O=corp}).
 * {@code RULE:pattern/replacement/} applies when the pattern matches the whole name and gives
 * the name with the replacement applied ({@code $1} for groups), lower- or upper-cased with a
 * trailing {@code L} or {@code U}; a {@code /} or {@code \} inside either part is escaped with
 * {@code \}. {@code DEFAULT} gives the name unchanged. A name no rule matches authenticates no one.
 */
public final class SslPrincipalMapper {
    private record Rule(Pattern pattern, String replacement, char caseFlag) {
        Optional<String> apply(String name) {
            if (pattern == null) {
                return Optional.of(name);
            }
            Matcher m = pattern.matcher(name);
            if (!m.matches()) {
                return Optional.empty();
            }
            String mapped = m.replaceAll(replacement);
            return Optional.of(switch (caseFlag) {
                case 'L' -> mapped.toLowerCase(Locale.ROOT);
                case 'U' -> mapped.toUpperCase(Locale.ROOT);
                default -> mapped;
            });
        }
    }

    private final List<Rule> rules;

    private SslPrincipalMapper(List<Rule> rules) {
        this.rules = rules;
    }

    /** Parses the rules; IllegalArgumentException says what is wrong. */
    public static SslPrincipalMapper parse(String text) {
        List<Rule> rules = new ArrayList<>();
        int i = 0;
        String s = text == null ? "" : text;
        while (true) {
            i = skipSpace(s, i);
            if (i >= s.length()) {
                break;
            }
            if (s.startsWith("DEFAULT", i)) {
                rules.add(new Rule(null, null, ' '));
                i += "DEFAULT".length();
            } else if (s.startsWith("RULE:", i)) {
                StringBuilder pattern = new StringBuilder();
                i = readPart(s, i + "RULE:".length(), pattern);
                StringBuilder replacement = new StringBuilder();
                i = readPart(s, i, replacement);
                char flag = ' ';
                if (i < s.length() && (s.charAt(i) == 'L' || s.charAt(i) == 'U')) {
                    flag = s.charAt(i++);
                }
                try {
                    rules.add(new Rule(Pattern.compile(pattern.toString()), replacement.toString(), flag));
                } catch (PatternSyntaxException e) {
                    throw new IllegalArgumentException("invalid pattern in rule " + (rules.size() + 1) + ": " + e.getDescription());
                }
            } else {
                throw new IllegalArgumentException("expected DEFAULT or RULE:pattern/replacement/ at position " + i);
            }
            i = skipSpace(s, i);
            if (i < s.length()) {
                if (s.charAt(i) != ',') {
                    throw new IllegalArgumentException("expected ',' between rules at position " + i);
                }
                i++;
            }
        }
        if (rules.isEmpty()) {
            rules.add(new Rule(null, null, ' '));
        }
        return new SslPrincipalMapper(List.copyOf(rules));
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    /** Reads up to an unescaped '/', which it consumes; {@code \/} and {@code \\} stand for themselves. */
    private static int readPart(String s, int i, StringBuilder out) {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && (s.charAt(i + 1) == '/' || s.charAt(i + 1) == '\\')) {
                if (s.charAt(i + 1) == '\\') {
                    out.append('\\');
                }
                out.append(s.charAt(i + 1));
                i += 2;
            } else if (c == '/') {
                return i + 1;
            } else {
                out.append(c);
                i++;
            }
        }
        throw new IllegalArgumentException("a rule's pattern and replacement each end with '/'");
    }

    /** The user name for a certificate's distinguished name; empty when no rule matches. */
    public Optional<String> map(String distinguishedName) {
        for (Rule rule : rules) {
            Optional<String> name = rule.apply(distinguishedName);
            if (name.isPresent()) {
                return name;
            }
        }
        return Optional.empty();
    }
}
