package dev.sluice.wire.generator;

/**
 * An inclusive range of versions as written in the schemas: {@code "3+"}, {@code "0-4"},
 * {@code "5"} or {@code "none"}. An empty range has {@code lowest > highest}.
 */
public record Versions(short lowest, short highest) {
    public static final Versions NONE = new Versions((short) 0, (short) -1);
    public static final Versions ALL = new Versions((short) 0, Short.MAX_VALUE);

    public static Versions parse(String text, Versions absent) {
        if (text == null) {
            return absent;
        }
        String t = text.trim();
        if (t.equals("none")) {
            return NONE;
        }
        if (t.endsWith("+")) {
            return new Versions(Short.parseShort(t.substring(0, t.length() - 1)), Short.MAX_VALUE);
        }
        int dash = t.indexOf('-');
        if (dash > 0) {
            return new Versions(Short.parseShort(t.substring(0, dash)), Short.parseShort(t.substring(dash + 1)));
        }
        short v = Short.parseShort(t);
        return new Versions(v, v);
    }

    public boolean isEmpty() {
        return lowest > highest;
    }

    public boolean contains(int version) {
        return version >= lowest && version <= highest;
    }

    boolean containsAll(Versions other) {
        return other.isEmpty() || (!isEmpty() && other.lowest >= lowest && other.highest <= highest);
    }

    Versions intersect(Versions other) {
        short lo = (short) Math.max(lowest, other.lowest);
        short hi = (short) Math.min(highest, other.highest);
        return lo > hi ? NONE : new Versions(lo, hi);
    }

    /**
     * A Java boolean expression over the variable {@code version} that is true exactly for the
     * versions of this range, knowing that {@code version} always lies in {@code context}.
     */
    String condition(Versions context) {
        Versions in = intersect(context);
        if (in.isEmpty()) {
            return "false";
        }
        if (containsAll(context)) {
            return "true";
        }
        boolean checkLow = in.lowest > context.lowest;
        boolean checkHigh = in.highest < context.highest;
        if (checkLow && checkHigh) {
            return in.lowest == in.highest
                ? "version == " + in.lowest
                : "version >= " + in.lowest + " && version <= " + in.highest;
        }
        return checkLow ? "version >= " + in.lowest : "version <= " + in.highest;
    }

    @Override
    public String toString() {
        if (isEmpty()) {
            return "none";
        }
        if (highest == Short.MAX_VALUE) {
            return lowest + "+";
        }
        return lowest == highest ? Short.toString(lowest) : lowest + "-" + highest;
    }
}
