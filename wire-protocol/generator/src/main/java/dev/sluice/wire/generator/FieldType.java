package dev.sluice.wire.generator;

/** The type of a schema field: a primitive, a struct, or an array of either. */
public sealed interface FieldType {
    static FieldType parse(String text) {
        if (text.startsWith("[]")) {
            FieldType element = parse(text.substring(2));
            if (element instanceof Array) {
                throw new IllegalArgumentException("arrays of arrays are not part of the schema language: " + text);
            }
            return new Array(element);
        }
        for (Primitive p : Primitive.values()) {
            if (p.schemaName.equals(text)) {
                return p;
            }
        }
        if (!Character.isUpperCase(text.charAt(0))) {
            throw new IllegalArgumentException("unknown field type " + text);
        }
        return new Struct(text);
    }

    public enum Primitive implements FieldType {
        BOOL("bool", "boolean", "Boolean", 1),
        INT8("int8", "byte", "Byte", 1),
        INT16("int16", "short", "Short", 2),
        UINT16("uint16", "int", "Integer", 2),
        INT32("int32", "int", "Integer", 4),
        UINT32("uint32", "long", "Long", 4),
        INT64("int64", "long", "Long", 8),
        FLOAT64("float64", "double", "Double", 8),
        UUID("uuid", "Uuid", "Uuid", 16),
        STRING("string", "String", "String", -1),
        BYTES("bytes", "byte[]", "byte[]", -1),
        RECORDS("records", "Records", "Records", -1);

        public final String schemaName;
        public final String javaType;
        public final String boxedType;
        /** Fixed size on the wire, or -1 for length-prefixed types. */
        public final int fixedSize;

        Primitive(String schemaName, String javaType, String boxedType, int fixedSize) {
            this.schemaName = schemaName;
            this.javaType = javaType;
            this.boxedType = boxedType;
            this.fixedSize = fixedSize;
        }

        boolean isNumeric() {
            return this != BOOL && this != UUID && fixedSize > 0;
        }

        /** Types that may be null (with nullableVersions). */
        boolean canBeNull() {
            return fixedSize < 0;
        }
    }

    public record Struct(String name) implements FieldType {
    }

    public record Array(FieldType element) implements FieldType {
    }
}
