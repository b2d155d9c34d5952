package dev.sluice.wire.generator;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parsed content of one Kafka message schema file, with every struct it defines resolved.
 * Public so that wire-protocol's tests can walk the same model the generator used.
 */
public record Schema(
        String name,
        String type,
        Optional<Short> apiKey,
        Versions validVersions,
        Versions flexibleVersions,
        boolean latestVersionUnstable,
        List<String> listeners,
        List<Field> fields,
        Map<String, Struct> structs) {

    private static final JsonMapper JSON = JsonMapper.builder()
        .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
        .enable(JsonReadFeature.ALLOW_TRAILING_COMMA)
        .build();

    /** One field as the schema declares it. */
    public record Field(
            String name,
            FieldType type,
            Versions versions,
            Versions nullableVersions,
            Versions taggedVersions,
            Optional<Integer> tag,
            Optional<Versions> flexibleVersions,
            Optional<String> defaultValue,
            boolean ignorable,
            boolean zeroCopy) {

        public boolean isTagged() {
            return tag.isPresent();
        }

        public String javaName() {
            return Character.toLowerCase(name.charAt(0)) + name.substring(1);
        }

        public String capitalized() {
            return Character.toUpperCase(name.charAt(0)) + name.substring(1);
        }
    }

    /** A struct type: inline in a field, or one of the schema's common structs. */
    public record Struct(String name, Versions versions, List<Field> fields) {
    }

    public static Schema load(Path file) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        String name = text(root, "name");
        Versions valid = Versions.parse(text(root, "validVersions"), null);
        Map<String, Struct> structs = new LinkedHashMap<>();
        for (JsonNode common : iterable(root.get("commonStructs"))) {
            Struct s = new Struct(text(common, "name"), Versions.parse(text(common, "versions"), Versions.ALL),
                parseFields(common.get("fields"), structs, name));
            define(structs, s, name);
        }
        List<Field> fields = parseFields(root.get("fields"), structs, name);
        List<String> listeners = new ArrayList<>();
        for (JsonNode l : iterable(root.get("listeners"))) {
            listeners.add(l.asText());
        }
        Optional<Short> apiKey = root.has("apiKey") ? Optional.of((short) root.get("apiKey").asInt()) : Optional.empty();
        Schema schema = new Schema(name, text(root, "type"), apiKey, valid,
            Versions.parse(text(root, "flexibleVersions"), Versions.NONE),
            root.path("latestVersionUnstable").asBoolean(false), listeners, fields, structs);
        schema.checkReferences(fields);
        return schema;
    }

    private static List<Field> parseFields(JsonNode array, Map<String, Struct> structs, String schemaName) {
        List<Field> fields = new ArrayList<>();
        for (JsonNode f : iterable(array)) {
            String name = text(f, "name");
            FieldType type = FieldType.parse(text(f, "type"));
            Versions versions = Versions.parse(text(f, "versions"), null);
            if (versions == null) {
                throw new IllegalArgumentException(schemaName + "." + name + " has no versions");
            }
            Optional<Integer> tag = f.has("tag") ? Optional.of(f.get("tag").asInt()) : Optional.empty();
            Versions tagged = Versions.parse(text(f, "taggedVersions"), Versions.NONE);
            if (tag.isPresent() != !tagged.isEmpty()) {
                throw new IllegalArgumentException(schemaName + "." + name + ": tag and taggedVersions go together");
            }
            if (tag.isPresent() && !tagged.equals(versions)) {
                // The generated code treats a tagged field as tagged in every version it exists in.
                throw new IllegalArgumentException(schemaName + "." + name + ": taggedVersions must equal versions");
            }
            Field field = new Field(name, type, versions,
                Versions.parse(text(f, "nullableVersions"), Versions.NONE), tagged, tag,
                Optional.ofNullable(text(f, "flexibleVersions")).map(v -> Versions.parse(v, null)),
                Optional.ofNullable(f.has("default") ? f.get("default").asText() : null),
                f.path("ignorable").asBoolean(false), f.path("zeroCopy").asBoolean(false));
            if (f.has("fields")) {
                FieldType element = type instanceof FieldType.Array a ? a.element() : type;
                if (!(element instanceof FieldType.Struct s)) {
                    throw new IllegalArgumentException(schemaName + "." + name + " has fields but is not a struct");
                }
                define(structs, new Struct(s.name(), versions, parseFields(f.get("fields"), structs, schemaName)), schemaName);
            }
            fields.add(field);
        }
        return fields;
    }

    private static void define(Map<String, Struct> structs, Struct struct, String schemaName) {
        if (structs.putIfAbsent(struct.name(), struct) != null) {
            throw new IllegalArgumentException(schemaName + " defines struct " + struct.name() + " twice");
        }
        if (struct.name().equals(schemaName)) {
            throw new IllegalArgumentException(schemaName + " has a struct named like the message");
        }
    }

    private void checkReferences(List<Field> fieldList) {
        for (Field f : fieldList) {
            FieldType element = f.type() instanceof FieldType.Array a ? a.element() : f.type();
            if (element instanceof FieldType.Struct s && !structs.containsKey(s.name())) {
                throw new IllegalArgumentException(name + "." + f.name() + " refers to unknown struct " + s.name());
            }
        }
        for (Struct s : structs.values()) {
            for (Field f : s.fields()) {
                FieldType element = f.type() instanceof FieldType.Array a ? a.element() : f.type();
                if (element instanceof FieldType.Struct ref && !structs.containsKey(ref.name())) {
                    throw new IllegalArgumentException(name + "." + f.name() + " refers to unknown struct " + ref.name());
                }
            }
        }
    }

    private static String text(JsonNode node, String key) {
        JsonNode v = node.get(key);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Iterable<JsonNode> iterable(JsonNode node) {
        return node == null ? List.of() : node::elements;
    }
}
