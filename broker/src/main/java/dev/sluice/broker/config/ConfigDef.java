package dev.sluice.broker.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * One configuration key as Kafka defines it: name, type, default, an optional check on values,
 * whether it can change while the broker runs, and a description for DescribeConfigs.
 *
 * @param defaultValue the default in its string form, or null where there is none
 * @param dynamic      whether AlterConfigs may change it at run time
 */
public record ConfigDef(String name, ConfigType type, String defaultValue, Check check, boolean dynamic,
                        String documentation) {

    /** A constraint on a parsed value; returns why the value is unacceptable, or null if it is fine. */
    @FunctionalInterface
    public interface Check {
        String problem(Object value);

        Check NONE = v -> null;

        static Check atLeast(long min) {
            return v -> ((Number) v).longValue() >= min ? null : "must be at least " + min;
        }

        static Check between(double min, double max) {
            return v -> {
                double d = ((Number) v).doubleValue();
                return d >= min && d <= max ? null : "must be between " + min + " and " + max;
            };
        }

        static Check oneOf(String... allowed) {
            Set<String> set = Set.of(allowed);
            return v -> set.contains(String.valueOf(v).toLowerCase(Locale.ROOT)) ? null : "must be one of " + Arrays.toString(allowed);
        }

        /** For lists: every element must be one of {@code allowed}; an empty list is fine. */
        static Check eachOf(String... allowed) {
            Set<String> set = Set.of(allowed);
            return v -> {
                @SuppressWarnings("unchecked")
                List<String> list = (List<String>) v;
                for (String s : list) {
                    if (!set.contains(s.toLowerCase(Locale.ROOT))) {
                        return "'" + s + "' is not one of " + Arrays.toString(allowed);
                    }
                }
                return null;
            };
        }
    }

    public Optional<String> defaultString() {
        return Optional.ofNullable(defaultValue);
    }

    /** Parses and checks a value given as text, as in server.properties or AlterConfigs. */
    public Object parse(String text) {
        if (text == null) {
            if (defaultValue == null) {
                return null;
            }
            text = defaultValue;
        }
        Object value = parseType(text.trim());
        String problem = check.problem(value);
        if (problem != null) {
            throw new ConfigException(name, text, problem);
        }
        return value;
    }

    private Object parseType(String text) {
        try {
            switch (type) {
                case BOOLEAN:
                    if (text.equalsIgnoreCase("true")) {
                        return Boolean.TRUE;
                    }
                    if (text.equalsIgnoreCase("false")) {
                        return Boolean.FALSE;
                    }
                    throw new ConfigException(name, text, "expected true or false");
                case INT:
                    return Integer.parseInt(text);
                case SHORT:
                    return Short.parseShort(text);
                case LONG:
                    return Long.parseLong(text);
                case DOUBLE:
                    return Double.parseDouble(text);
                case LIST: {
                    List<String> list = new ArrayList<>();
                    for (String part : text.split(",")) {
                        if (!part.isBlank()) {
                            list.add(part.trim());
                        }
                    }
                    return List.copyOf(list);
                }
                default:
                    return text;
            }
        } catch (NumberFormatException e) {
            throw new ConfigException(name, text, "expected " + type.name().toLowerCase(Locale.ROOT));
        }
    }
}
