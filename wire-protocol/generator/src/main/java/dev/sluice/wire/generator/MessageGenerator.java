package dev.sluice.wire.generator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Build step of {@code wire-protocol}: reads every {@code *.json} message schema in a directory
 * (unpacked from the pinned kafka-clients artifact) and writes one Java class per schema plus the
 * {@code ApiKey} table into the generated-sources directory.
 *
 * <p>Usage: {@code MessageGenerator <schema-dir> <output-dir> [package]}. The package defaults to
 * {@code dev.sluice.wire.message}; the {@code ApiKey} table is written only when the schemas
 * include requests and responses.
 */
public final class MessageGenerator {
    /** Names the generated classes already use; a struct with one of these names would shadow it. */
    private static final Set<String> RESERVED = Set.of("ByteReader", "ByteWriter", "MalformedDataException",
        "RawTaggedField", "UnsupportedVersionException", "Uuid", "Varint", "WireSize", "Records", "ByteBuffer",
        "ArrayList", "Arrays", "List", "Objects", "ApiKey", "ApiMessage", "Message", "Object", "String");

    private MessageGenerator() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2 && args.length != 3) {
            throw new IllegalArgumentException("usage: MessageGenerator <schema-dir> <output-dir> [package]");
        }
        Path schemaDir = Path.of(args[0]);
        String packageName = args.length == 3 ? args[2] : MessageClassWriter.PACKAGE;
        Path packageDir = Path.of(args[1]).resolve(packageName.replace('.', '/'));
        List<Schema> schemas = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(schemaDir, "*.json")) {
            for (Path file : files) {
                try {
                    schemas.add(Schema.load(file));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("cannot generate from " + file + ": " + e.getMessage(), e);
                }
            }
        }
        if (schemas.isEmpty()) {
            throw new IllegalArgumentException("no message schemas in " + schemaDir);
        }
        Files.createDirectories(packageDir);
        for (Schema schema : schemas) {
            for (String struct : schema.structs().keySet()) {
                if (RESERVED.contains(struct)) {
                    throw new IllegalArgumentException(schema.name() + " defines struct " + struct
                        + ", a name the generated code already uses");
                }
            }
            MessageClassWriter writer = new MessageClassWriter(schema, packageName);
            writeIfChanged(packageDir.resolve(writer.className() + ".java"), writer.write());
        }
        if (schemas.stream().anyMatch(s -> s.type().equals("request"))) {
            if (!packageName.equals(MessageClassWriter.PACKAGE)) {
                throw new IllegalArgumentException("request and response schemas belong in " + MessageClassWriter.PACKAGE);
            }
            writeIfChanged(packageDir.resolve("ApiKey.java"), new ApiKeyWriter(schemas).write());
        }
    }

    /** Leaves unchanged files untouched so incremental compilation has nothing to redo. */
    private static void writeIfChanged(Path file, String content) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        if (Files.exists(file) && java.util.Arrays.equals(Files.readAllBytes(file), bytes)) {
            return;
        }
        Files.write(file, bytes);
    }
}
