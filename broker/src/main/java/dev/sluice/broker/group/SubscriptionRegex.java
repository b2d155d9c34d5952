package dev.sluice.broker.group;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A consumer group member's subscription regex (KIP-848), compiled with RE2/J as Kafka does.
 *
 * <p>The pattern comes from a client and is matched against every topic name on the coordinator's
 * threads, so it must not be able to cost more than a bounded amount of work:
 * <ul>
 *   <li>RE2/J matches in time linear in the topic name (no backtracking), so {@code (a|aa)+}
 *       against a long name costs microseconds, not forever as with {@code java.util.regex};</li>
 *   <li>the pattern is at most {@link #MAX_LENGTH} characters, and its compiled program at most
 *       {@link #MAX_PROGRAM_SIZE} instructions: counted repetition multiplies the program
 *       ({@code ((a{1000}){1000}){1000}} would need a billion instructions and exhaust the heap
 *       while compiling), so its expanded size is estimated before compiling and the exact size
 *       checked after. Matching one name costs at most the program size times the name length.</li>
 * </ul>
 * A pattern beyond those limits, or one RE2/J cannot compile, is refused like a malformed one
 * (INVALID_REGULAR_EXPRESSION). RE2/J's syntax is RE2's: no lookaround, backreferences, possessive
 * quantifiers or atomic groups, which {@code java.util.regex} would accept; these are refused the
 * same way, as a Kafka broker refuses them.
 *
 * <p>Immutable and thread-safe.
 */
final class SubscriptionRegex {
    /** Longest accepted pattern, in characters: room for an alternation of dozens of long topic names. */
    static final int MAX_LENGTH = 4096;
    /** Largest accepted compiled program, in RE2/J instructions. */
    static final int MAX_PROGRAM_SIZE = 20_000;
    /** Largest repeat count the estimate parses; RE2/J itself refuses counts above 1000. */
    private static final int MAX_COUNT = 100_000;

    private final Pattern pattern;

    private SubscriptionRegex(Pattern pattern) {
        this.pattern = pattern;
    }

    /**
     * Compiles {@code regex}.
     *
     * @throws PatternSyntaxException if RE2/J cannot compile it or it is beyond the limits; its
     *     description says why
     */
    static SubscriptionRegex compile(String regex) {
        if (regex.length() > MAX_LENGTH) {
            throw new PatternSyntaxException("the pattern is longer than " + MAX_LENGTH + " characters");
        }
        if (estimatedSize(regex) > MAX_PROGRAM_SIZE) {
            throw new PatternSyntaxException("the pattern's repetitions expand beyond " + MAX_PROGRAM_SIZE
                + " instructions");
        }
        Pattern compiled = Pattern.compile(regex);
        if (compiled.programSize() > MAX_PROGRAM_SIZE) {
            throw new PatternSyntaxException("the pattern compiles to " + compiled.programSize()
                + " instructions, more than " + MAX_PROGRAM_SIZE);
        }
        return new SubscriptionRegex(compiled);
    }

    /** Whether the whole of {@code topic} matches, in time linear in its length. */
    boolean matches(String topic) {
        return pattern.matches(topic);
    }

    /**
     * An estimate of the compiled program's size, one per atom with counted repetition multiplying
     * what it repeats, or a number above {@link #MAX_PROGRAM_SIZE} as soon as it exceeds it. Cheap
     * and conservative for what matters: it never allocates in proportion to the expansion.
     */
    static long estimatedSize(String regex) {
        Deque<long[]> groups = new ArrayDeque<>();
        long total = 0;
        long last = 0;
        int i = 0;
        int n = regex.length();
        while (i < n) {
            char c = regex.charAt(i);
            if (c == '\\') {
                total += last;
                last = 1;
                i = afterEscape(regex, i);
            } else if (c == '[') {
                total += last;
                last = 1;
                i = afterClass(regex, i);
            } else if (c == '(') {
                groups.push(new long[] {total, last});
                total = 0;
                last = 0;
                i++;
            } else if (c == ')' && !groups.isEmpty()) {
                long size = total + last;
                long[] outer = groups.pop();
                total = outer[0] + outer[1];
                last = size;
                i++;
            } else if (c == '|') {
                total += last;
                last = 0;
                i++;
            } else if (c == '{' && repeatEnd(regex, i) > 0) {
                int end = repeatEnd(regex, i);
                last *= Math.max(1, largestCount(regex, i + 1, end - 1));
                i = end;
            } else if (c == '*' || c == '+' || c == '?') {
                i++;
            } else {
                total += last;
                last = 1;
                i++;
            }
            if (total + last > MAX_PROGRAM_SIZE) {
                return MAX_PROGRAM_SIZE + 1L;
            }
        }
        long size = total + last;
        for (long[] outer : groups) {
            size += outer[0] + outer[1];
        }
        return size;
    }

    /** The index after the escape starting at {@code i}: {@code \Q…\E}, {@code \p{…}}, {@code \x{…}} or two characters. */
    private static int afterEscape(String regex, int i) {
        if (i + 1 >= regex.length()) {
            return regex.length();
        }
        char next = regex.charAt(i + 1);
        if (next == 'Q') {
            int end = regex.indexOf("\\E", i + 2);
            return end < 0 ? regex.length() : end + 2;
        }
        if ((next == 'p' || next == 'P' || next == 'x') && i + 2 < regex.length() && regex.charAt(i + 2) == '{') {
            int end = regex.indexOf('}', i + 3);
            return end < 0 ? regex.length() : end + 1;
        }
        return i + 2;
    }

    /** The index after the character class starting at {@code i} ({@code []a]} and {@code [[:alpha:]]} included). */
    private static int afterClass(String regex, int i) {
        int n = regex.length();
        int j = i + 1;
        if (j < n && regex.charAt(j) == '^') {
            j++;
        }
        if (j < n && regex.charAt(j) == ']') {
            j++;
        }
        while (j < n) {
            char c = regex.charAt(j);
            if (c == '\\') {
                j = afterEscape(regex, j);
            } else if (c == '[' && j + 1 < n && regex.charAt(j + 1) == ':') {
                int end = regex.indexOf(":]", j + 2);
                j = end < 0 ? j + 1 : end + 2;
            } else if (c == ']') {
                return j + 1;
            } else {
                j++;
            }
        }
        return n;
    }

    /** The index after a repeat {@code {n}}, {@code {n,}} or {@code {n,m}} starting at {@code i}; 0 if it is not one. */
    private static int repeatEnd(String regex, int i) {
        int j = i + 1;
        int digits = 0;
        boolean comma = false;
        while (j < regex.length()) {
            char c = regex.charAt(j);
            if (c >= '0' && c <= '9') {
                digits++;
            } else if (c == ',' && !comma && digits > 0) {
                comma = true;
            } else if (c == '}' && digits > 0) {
                return j + 1;
            } else {
                return 0;
            }
            j++;
        }
        return 0;
    }

    /** The larger of the counts in {@code regex[from, to)}, digits and one comma; capped. */
    private static int largestCount(String regex, int from, int to) {
        int largest = 0;
        int current = 0;
        for (int j = from; j < to; j++) {
            char c = regex.charAt(j);
            if (c == ',') {
                largest = Math.max(largest, current);
                current = 0;
            } else {
                current = Math.min(MAX_COUNT, current * 10 + (c - '0'));
            }
        }
        return Math.max(largest, current);
    }

    @Override
    public String toString() {
        return pattern.pattern();
    }
}
