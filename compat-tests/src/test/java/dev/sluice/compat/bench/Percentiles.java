package dev.sluice.compat.bench;

import java.util.Arrays;

/** Percentiles and summaries of a benchmark's samples, printed the same way by every tool. */
final class Percentiles {
    private Percentiles() {
    }

    /** The {@code q} quantile (0 to 1) of {@code sorted}, nearest rank; NaN when there are no samples. */
    static double of(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }

    /** {@code q} as a name suffix: 0.5 is "50", 0.999 is "99.9". */
    static String label(double q) {
        double percent = q * 100;
        return percent == Math.rint(percent) ? Long.toString((long) percent) : Double.toString(percent);
    }

    /** Prints {@code name_median}, {@code _min}, {@code _max} and {@code _n} of {@code values}. */
    static void summarize(String name, double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        System.out.printf("%s_median=%.1f%n%s_min=%.1f%n%s_max=%.1f%n%s_n=%d%n", name, median, name, sorted[0], name,
            sorted[n - 1], name, n);
    }
}
