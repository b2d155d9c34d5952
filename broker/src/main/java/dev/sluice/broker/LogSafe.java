package dev.sluice.broker;

/**
 * A client-supplied string (group id, member id, instance id, topic name, client id, rack, client
 * host, a leave reason) as a log argument: {@link #toString()} escapes what would let a client
 * forge or hide log lines, so one event stays one line and reads as what it is.
 *
 * <ul>
 *   <li>control characters (C0, DEL, C1) become {@code \n}, {@code \r}, {@code \t} or a
 *       backslash, {@code u} and four hex digits: no new lines, no terminal escape sequences;</li>
 *   <li>Unicode line and paragraph separators and bidirectional overrides are escaped the same
 *       way, so a line cannot be split or shown reordered;</li>
 *   <li>a backslash is doubled, so an escape in the output always stands for one in the input;</li>
 *   <li>beyond {@link #MAX_CHARS} characters the rest is cut and its length given: a 32 KB group
 *       id must not turn every log line about it into 32 KB.</li>
 * </ul>
 * Escaping happens only when the logger formats the event; use it as
 * {@code log.info("Member {} left", LogSafe.of(memberId))}.
 *
 * @param value the string as the client sent it; null logs as {@code null}
 */
public record LogSafe(String value) {
    /** Characters logged before the rest is cut. */
    public static final int MAX_CHARS = 256;

    public static LogSafe of(String value) {
        return new LogSafe(value);
    }

    /** {@code value} escaped and cut as the class describes. */
    public static String escape(String value) {
        if (value == null) {
            return "null";
        }
        int length = Math.min(value.length(), MAX_CHARS);
        StringBuilder out = null;
        for (int i = 0; i < length; i++) {
            char c = value.charAt(i);
            String escaped = escaped(c);
            if (escaped != null && out == null) {
                out = new StringBuilder(length + 16).append(value, 0, i);
            }
            if (out != null) {
                if (escaped != null) {
                    out.append(escaped);
                } else {
                    out.append(c);
                }
            }
        }
        if (out == null && length == value.length()) {
            return value;
        }
        if (out == null) {
            out = new StringBuilder(value.substring(0, length));
        }
        if (length < value.length()) {
            out.append("...(").append(value.length() - length).append(" more characters)");
        }
        return out.toString();
    }

    private static String escaped(char c) {
        return switch (c) {
            case '\\' -> "\\\\";
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            default -> c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029'
                || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')
                ? String.format("\\u%04x", (int) c) : null;
        };
    }

    @Override
    public String toString() {
        return escape(value);
    }
}
