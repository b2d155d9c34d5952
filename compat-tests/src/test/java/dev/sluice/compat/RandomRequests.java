package dev.sluice.compat;

import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ApiMessage;
import dev.sluice.wire.message.Frames;
import dev.sluice.wire.message.Message;
import dev.sluice.wire.message.RequestHeader;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatchBuilder;
import dev.sluice.wire.record.Records;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Builds well-formed requests of any API and version with random contents, through reflection on
 * the generated classes' {@code setXxx} methods. Every field is set and kept only if the request
 * still encodes at the version (a field the version lacks must keep its default), so what comes out
 * is always a request a client could legally send. Values lean towards the ones handlers branch on
 * (0, -1, small counts, names of topics and groups that exist) so that requests reach past the first
 * lookup; the rest are drawn from the whole range.
 *
 * <p>Not thread-safe: one instance per thread, each with its own seeded {@link Random}.
 */
final class RandomRequests {
    private static final String ODD = "é日\uD83D\uDE00ß";

    private final Random random;
    private final List<String> names;

    /** {@code names}: topic and group names that exist on the broker, used for a share of the strings. */
    RandomRequests(Random random, List<String> names) {
        this.random = random;
        this.names = List.copyOf(names);
    }

    /** A complete request frame, size prefix included, for {@code key} at {@code version}. */
    ByteBuffer frame(ApiKey key, short version, int correlationId) {
        ApiMessage body = key.newRequest();
        RequestHeader header = new RequestHeader().setRequestApiKey(key.id()).setRequestApiVersion(version)
            .setCorrelationId(correlationId).setClientId(random.nextInt(4) == 0 ? null : "fuzz-" + random.nextInt(100));
        try {
            fillStruct(body, body, header, 0);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot fill " + key + " v" + version, e);
        }
        return Frames.writeRequest(header, body);
    }

    private static boolean encodes(RequestHeader header, ApiMessage top) {
        try {
            Frames.writeRequest(header, top);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private void fillStruct(Object struct, ApiMessage top, RequestHeader header, int depth)
            throws ReflectiveOperationException {
        List<Method> setters = new ArrayList<>();
        for (Method m : struct.getClass().getMethods()) {
            if (m.getName().startsWith("set") && m.getParameterCount() == 1 && !m.getName().equals("setUnknownTaggedFields")) {
                setters.add(m);
            }
        }
        // Reflection lists methods in no fixed order; sorting keeps a seed's requests reproducible.
        setters.sort(Comparator.comparing(Method::getName));
        for (Method setter : setters) {
            Method getter = getter(struct.getClass(), setter);
            if (getter == null) {
                continue;
            }
            Object before = getter.invoke(struct);
            Object value = value(setter.getParameterTypes()[0], setter.getGenericParameterTypes()[0], depth);
            setter.invoke(struct, value);
            if (!encodes(header, top)) {
                setter.invoke(struct, before);
                continue;
            }
            if (value instanceof List<?> list) {
                for (Object element : list) {
                    if (element instanceof Message) {
                        fillStruct(element, top, header, depth + 1);
                    }
                }
            } else if (value instanceof Message) {
                fillStruct(value, top, header, depth + 1);
            }
        }
        if (struct instanceof Message m && random.nextInt(8) == 0) {
            // Unknown tags are legal in flexible versions; kept only where the version is flexible.
            m.unknownTaggedFields().add(new dev.sluice.wire.codec.RawTaggedField(10_000 + random.nextInt(1000),
                bytes(random.nextInt(6))));
            if (!encodes(header, top)) {
                m.unknownTaggedFields().clear();
            }
        }
    }

    private static Method getter(Class<?> cls, Method setter) {
        String field = setter.getName().substring(3);
        String name = Character.toLowerCase(field.charAt(0)) + field.substring(1);
        try {
            return cls.getMethod(name);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    private Object value(Class<?> type, Type generic, int depth) throws ReflectiveOperationException {
        if (type == boolean.class) {
            return random.nextBoolean();
        } else if (type == byte.class) {
            return (byte) smallOrAny();
        } else if (type == short.class) {
            return (short) smallOrAny();
        } else if (type == int.class) {
            return (int) smallOrAny();
        } else if (type == long.class) {
            return random.nextInt(4) == 0 ? random.nextLong() : smallOrAny();
        } else if (type == double.class) {
            return random.nextDouble() * 100;
        } else if (type == String.class) {
            return string();
        } else if (type == Uuid.class) {
            return random.nextInt(3) == 0 ? Uuid.ZERO : new Uuid(random.nextLong(), random.nextLong());
        } else if (type == byte[].class) {
            return random.nextInt(8) == 0 ? null : bytes(random.nextInt(24));
        } else if (type == ByteBuffer.class) {
            return ByteBuffer.wrap(bytes(random.nextInt(24)));
        } else if (Records.class.isAssignableFrom(type)) {
            return records();
        } else if (List.class.isAssignableFrom(type)) {
            if (random.nextInt(10) == 0) {
                return null;
            }
            Type element = ((ParameterizedType) generic).getActualTypeArguments()[0];
            Class<?> elementClass = (Class<?>) element;
            int n = depth > 3 ? 0 : random.nextInt(4);
            List<Object> list = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                list.add(Message.class.isAssignableFrom(elementClass)
                    ? elementClass.getConstructor().newInstance()
                    : value(elementClass, elementClass, depth + 1));
            }
            return list;
        } else if (type == Integer.class) {
            return (int) smallOrAny();
        } else if (type == Long.class) {
            return smallOrAny();
        } else if (type == Short.class) {
            return (short) smallOrAny();
        } else if (type == Byte.class) {
            return (byte) smallOrAny();
        } else if (Message.class.isAssignableFrom(type)) {
            return random.nextInt(6) == 0 ? null : type.getConstructor().newInstance();
        }
        throw new IllegalStateException("no random value for " + type);
    }

    /** Mostly the values handlers branch on, sometimes anything at all. */
    private long smallOrAny() {
        return switch (random.nextInt(8)) {
            case 0 -> -1;
            case 1 -> 0;
            case 2, 3 -> random.nextInt(4);
            case 4 -> random.nextInt(1000);
            case 5 -> random.nextBoolean() ? Integer.MAX_VALUE : Integer.MIN_VALUE;
            default -> random.nextInt();
        };
    }

    private String string() {
        return switch (random.nextInt(10)) {
            case 0 -> null;
            case 1 -> "";
            case 2, 3, 4 -> names.get(random.nextInt(names.size()));
            case 5 -> ODD.repeat(1 + random.nextInt(3));
            case 6 -> "x".repeat(random.nextInt(300));
            default -> {
                StringBuilder b = new StringBuilder();
                int n = 1 + random.nextInt(12);
                for (int i = 0; i < n; i++) {
                    b.append((char) ('a' + random.nextInt(26)));
                }
                yield b.toString();
            }
        };
    }

    private Records records() {
        if (random.nextInt(6) == 0) {
            return MemoryRecords.readableRecords(ByteBuffer.wrap(bytes(random.nextInt(80))));
        }
        RecordBatchBuilder builder = new RecordBatchBuilder(0);
        if (random.nextInt(3) == 0) {
            CompressionType[] types = CompressionType.values();
            builder.compression(types[random.nextInt(types.length)]);
        }
        if (random.nextInt(3) == 0) {
            builder.producer(random.nextInt(3) - 1, (short) random.nextInt(2), random.nextInt(3));
        }
        int n = 1 + random.nextInt(4);
        for (int i = 0; i < n; i++) {
            builder.append(System.currentTimeMillis(), random.nextBoolean() ? null : bytes(4),
                ("fuzz-" + i).getBytes(StandardCharsets.UTF_8));
        }
        return MemoryRecords.withBatches(builder.build());
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
