package dev.sluice.wire.message;

import dev.sluice.wire.generator.FieldType;
import dev.sluice.wire.generator.FieldType.Primitive;
import dev.sluice.wire.generator.Schema;
import dev.sluice.wire.generator.Versions;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Random;

/**
 * Builds a message of either implementation (Sluice's generated classes or kafka-clients') from a
 * schema, through reflection on the {@code setXxx} methods both share. Two fillers with the same
 * seed walk the schema identically and draw the same values, so the two messages hold the same
 * content and must serialize to the same bytes.
 */
final class MessageFiller {
    /** What to put in each field. */
    enum Mode {
        /** A non-default, non-null value in every field the version has, plus unknown tagged fields. */
        FULL,
        /** Like FULL, but null wherever the version allows null. */
        NULLS,
        /**
         * A non-default value in every field of every version, even those the version lacks: writing
         * must fail for non-ignorable absent fields and drop ignorable ones.
         */
        ABSENT
    }

    /** How one implementation names its classes and builds its leaf values. */
    interface Side {
        Class<?> topClass(Schema schema) throws ClassNotFoundException;

        Object uuid(long msb, long lsb);

        Object records(byte[] bytes);

        Object rawTaggedField(int tag, byte[] data);

        List<Object> unknownTaggedFields(Object message) throws ReflectiveOperationException;
    }

    private static final String ODD_CHARS = "é日\uD83D\uDE00ß";

    private final Schema schema;
    private final Side side;
    private final Random random;
    private final Mode mode;
    private final short version;
    private final Class<?> top;

    MessageFiller(Schema schema, Side side, long seed, Mode mode, short version) throws ClassNotFoundException {
        this.schema = schema;
        this.side = side;
        this.random = new Random(seed);
        this.mode = mode;
        this.version = version;
        this.top = side.topClass(schema);
    }

    Object fill() throws ReflectiveOperationException {
        return fillStruct(top, schema.fields());
    }

    private boolean flexible() {
        return schema.flexibleVersions().contains(version);
    }

    private Object fillStruct(Class<?> cls, List<Schema.Field> fields) throws ReflectiveOperationException {
        Object message = cls.getConstructor().newInstance();
        for (Schema.Field f : fields) {
            if (!f.versions().contains(version) && mode != Mode.ABSENT) {
                continue;
            }
            Method setter = setter(cls, f);
            Object value = value(f, setter.getParameterTypes()[0]);
            setter.invoke(message, value);
        }
        if (mode == Mode.FULL && flexible()) {
            List<Object> unknown = side.unknownTaggedFields(message);
            // Tags above every known tag, so both implementations write them last, in order.
            unknown.add(side.rawTaggedField(1000 + random.nextInt(100), bytes(1 + random.nextInt(5))));
            unknown.add(side.rawTaggedField(2000 + random.nextInt(100), bytes(random.nextInt(3))));
        }
        return message;
    }

    private static Method setter(Class<?> cls, Schema.Field f) {
        String name = "set" + f.capitalized();
        for (Method m : cls.getMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() == 1) {
                return m;
            }
        }
        throw new IllegalStateException(cls.getName() + " has no " + name);
    }

    private boolean nullHere(Schema.Field f) {
        return mode == Mode.NULLS && f.nullableVersions().contains(version);
    }

    private Object value(Schema.Field f, Class<?> parameterType) throws ReflectiveOperationException {
        FieldType type = f.type();
        if (type instanceof Primitive p) {
            if (p.fixedSize < 0 && nullHere(f)) {
                return null;
            }
            return nonDefaultPrimitive(p, f, parameterType);
        }
        if (type instanceof FieldType.Struct s) {
            if (nullHere(f)) {
                return null;
            }
            return fillStruct(nested(s.name()), schema.structs().get(s.name()).fields());
        }
        if (nullHere(f)) {
            return null;
        }
        FieldType element = ((FieldType.Array) type).element();
        @SuppressWarnings("unchecked")
        Collection<Object> collection = List.class.isAssignableFrom(parameterType) && parameterType.isInterface()
            ? new ArrayList<>()
            : (Collection<Object>) parameterType.getConstructor().newInstance();
        int n = 1 + random.nextInt(3);
        for (int i = 0; i < n; i++) {
            if (element instanceof Primitive p) {
                collection.add(primitive(p, false));
            } else {
                FieldType.Struct s = (FieldType.Struct) element;
                collection.add(fillStruct(nested(s.name()), schema.structs().get(s.name()).fields()));
            }
        }
        return collection;
    }

    private Class<?> nested(String structName) throws ClassNotFoundException {
        return Class.forName(top.getName() + "$" + structName);
    }

    private Object nonDefaultPrimitive(Primitive p, Schema.Field f, Class<?> parameterType) {
        String def = f.defaultValue().orElse(null);
        for (int attempt = 0; ; attempt++) {
            Object v = primitive(p, parameterType == ByteBuffer.class);
            if (attempt > 20 || !equalsDefault(p, v, def)) {
                return v;
            }
        }
    }

    private static boolean equalsDefault(Primitive p, Object v, String def) {
        switch (p) {
            case BOOL:
                return v.equals(def != null && def.equalsIgnoreCase("true"));
            case STRING:
                return v.equals(def == null ? "" : def);
            case FLOAT64:
                return (Double) v == (def == null ? 0.0 : Double.parseDouble(def));
            case UUID:
            case BYTES:
            case RECORDS:
                return false;
            default:
                long d = def == null ? 0 : def.startsWith("0x") ? Long.parseLong(def.substring(2), 16) : Long.parseLong(def);
                return ((Number) v).longValue() == d;
        }
    }

    private Object primitive(Primitive p, boolean zeroCopyBytes) {
        switch (p) {
            case BOOL: return random.nextBoolean();
            case INT8: return (byte) random.nextInt();
            case INT16: return (short) random.nextInt();
            case UINT16: return random.nextInt(0x10000);
            case INT32: return random.nextInt();
            case UINT32: return random.nextLong() & 0xFFFFFFFFL;
            case INT64: return random.nextLong();
            case FLOAT64: return random.nextDouble() * 1e6 - 5e5;
            case UUID: return side.uuid(random.nextLong() | 1, random.nextLong());
            case STRING: return string();
            case BYTES: {
                byte[] b = bytes(1 + random.nextInt(20));
                return zeroCopyBytes ? ByteBuffer.wrap(b) : b;
            }
            case RECORDS: return side.records(bytes(1 + random.nextInt(40)));
            default: throw new IllegalStateException(p.name());
        }
    }

    private String string() {
        int n = 1 + random.nextInt(12);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (random.nextInt(8) == 0) {
                // Whole code points only: a lone surrogate is not valid text and would not survive UTF-8.
                int[] codePoints = ODD_CHARS.codePoints().toArray();
                b.appendCodePoint(codePoints[random.nextInt(codePoints.length)]);
            } else {
                b.append((char) ('a' + random.nextInt(26)));
            }
        }
        return b.toString();
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** Whether the version has every field the schema ever had: {@link Mode#ABSENT} adds nothing then. */
    static boolean hasAbsentFields(Schema schema, short version) {
        return hasAbsent(schema, schema.fields(), version);
    }

    private static boolean hasAbsent(Schema schema, List<Schema.Field> fields, short version) {
        for (Schema.Field f : fields) {
            if (!f.versions().contains(version)) {
                return true;
            }
            FieldType t = f.type() instanceof FieldType.Array a ? a.element() : f.type();
            if (t instanceof FieldType.Struct s && hasAbsent(schema, schema.structs().get(s.name()).fields(), version)) {
                return true;
            }
        }
        return false;
    }

    static List<Short> versions(Versions v) {
        List<Short> list = new ArrayList<>();
        for (int i = v.lowest(); i <= v.highest(); i++) {
            list.add((short) i);
        }
        return list;
    }
}
