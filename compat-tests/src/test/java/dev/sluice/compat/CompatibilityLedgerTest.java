package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ApiVersionsRequest;
import dev.sluice.wire.message.ApiVersionsResponse;
import dev.sluice.wire.message.Frames;
import dev.sluice.wire.message.RequestHeader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Keeps the API ledger in {@code docs/compatibility.md} true: its rows must be exactly the APIs
 * Kafka 4.4 serves on a broker listener, its Kafka column what the pinned schemas say, and its
 * Sluice column exactly what a running broker advertises in ApiVersions.
 */
@SluiceTest
class CompatibilityLedgerTest {
    private static final String NOT_SERVED = "not yet";
    private static final String SECTION = "## API ledger";

    /** One row of the ledger table. */
    record Row(int key, String name, String kafka, String sluice) {
    }

    @Test
    void ledgerMatchesTheSchemasAndWhatTheBrokerAdvertises(SluiceBroker broker) throws IOException {
        Map<Integer, Row> ledger = parse(Files.readAllLines(ledgerFile(), StandardCharsets.UTF_8));
        List<String> problems = disagreements(ledger, advertised(broker));
        assertTrue(problems.isEmpty(), "docs/compatibility.md disagrees with the code:\n  " + String.join("\n  ", problems));
    }

    @Test
    void everyKindOfDisagreementIsReported(SluiceBroker broker) throws IOException {
        Map<Integer, Row> ledger = parse(Files.readAllLines(ledgerFile(), StandardCharsets.UTF_8));
        Map<Integer, String> served = advertised(broker);

        Map<Integer, Row> edited = new TreeMap<>(ledger);
        Row produce = edited.get(0);
        edited.put(0, new Row(0, produce.name(), produce.kafka(), "3-12"));       // a range that is not the served one
        Map<Integer, String> servedLess = new TreeMap<>(served);
        servedLess.remove(38);                                                    // listed as served, but is not
        Row fetch = edited.get(1);
        edited.put(1, new Row(1, fetch.name(), fetch.kafka(), NOT_SERVED));      // served, but listed as not
        edited.remove(3);                                                         // a broker API with no row
        edited.put(7, new Row(7, "ControlledShutdown", "0-3", NOT_SERVED));      // a row Kafka 4.4 does not have
        edited.put(29, new Row(29, "DescribeAcl", "1-2", "1-3"));                 // wrong name and Kafka range

        List<String> problems = disagreements(edited, servedLess);
        assertEquals(7, problems.size(), String.join("\n", problems));
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("Produce")), String.join("\n", problems));
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("CreateDelegationToken")), String.join("\n", problems));
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("Fetch")), String.join("\n", problems));
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("Metadata")), String.join("\n", problems));
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("key 7")), String.join("\n", problems));
        assertEquals(2, problems.stream().filter(p -> p.startsWith("DescribeAcl ") || p.startsWith("DescribeAcl:"))
            .count(), String.join("\n", problems));
    }

    /** Everything on which the ledger and the schemas or the broker disagree, one line each. */
    static List<String> disagreements(Map<Integer, Row> ledger, Map<Integer, String> served) {
        List<String> problems = new ArrayList<>();
        TreeSet<Integer> keys = new TreeSet<>(ledger.keySet());
        for (ApiKey api : ApiKey.values()) {
            if (servedByKafkaBrokers(api)) {
                keys.add((int) api.id());
            }
        }
        keys.addAll(served.keySet());
        for (int key : keys) {
            ApiKey api = ApiKey.forId(key).orElse(null);
            Row row = ledger.get(key);
            String name = api != null ? api.displayName() : "key " + key;
            if (api == null || !servedByKafkaBrokers(api)) {
                if (row != null) {
                    problems.add("key " + key + " (" + row.name() + ") is listed, but Kafka 4.4 brokers do not serve it");
                }
                if (served.containsKey(key)) {
                    problems.add(name + " is served (" + served.get(key) + ") but is not a Kafka 4.4 broker API");
                }
                continue;
            }
            if (row == null) {
                problems.add(name + " (key " + key + ") has no row; Sluice serves " + served.getOrDefault(key, NOT_SERVED));
                continue;
            }
            if (!row.name().equals(api.displayName())) {
                problems.add(row.name() + " (key " + key + ") should be named " + api.displayName());
            }
            String kafka = kafkaVersions(api);
            if (!row.kafka().equals(kafka)) {
                problems.add(row.name() + ": Kafka 4.4 column says " + row.kafka() + ", the schema says " + kafka);
            }
            String actual = served.getOrDefault(key, NOT_SERVED);
            if (!row.sluice().equals(actual)) {
                problems.add(row.name() + ": Sluice column says " + row.sluice() + ", the broker advertises " + actual);
            }
        }
        return problems;
    }

    /** Whether a Kafka 4.4 broker serves {@code api} on its broker listeners. */
    static boolean servedByKafkaBrokers(ApiKey api) {
        return api.brokerListener() && api.lowestVersion() <= api.highestVersion();
    }

    /**
     * The versions Kafka 4.4 advertises: the schema's, less a latest version still marked unstable;
     * Produce from version 0, which Kafka 4 lists though it no longer serves 0-2 (KAFKA-18659).
     */
    static String kafkaVersions(ApiKey api) {
        int highest = api.latestVersionUnstable() ? api.highestVersion() - 1 : api.highestVersion();
        int lowest = api == ApiKey.PRODUCE ? 0 : api.lowestVersion();
        return highest < lowest ? "none" : range(lowest, highest);
    }

    static String range(int lowest, int highest) {
        return lowest == highest ? Integer.toString(lowest) : lowest + "-" + highest;
    }

    /** The rows of the table under {@value #SECTION}. */
    static Map<Integer, Row> parse(List<String> lines) {
        Map<Integer, Row> rows = new TreeMap<>();
        boolean inSection = false;
        for (String line : lines) {
            if (line.startsWith("## ")) {
                inSection = line.trim().equals(SECTION);
                continue;
            }
            if (!inSection || !line.startsWith("|")) {
                continue;
            }
            String[] cells = line.split("\\|", -1);
            if (cells.length < 6 || !cells[1].trim().matches("\\d+")) {
                continue; // the header and the alignment row
            }
            int key = Integer.parseInt(cells[1].trim());
            Row row = new Row(key, cells[2].trim(), cells[3].trim(), cells[4].trim());
            if (rows.put(key, row) != null) {
                throw new AssertionError("key " + key + " has two rows in the ledger");
            }
        }
        if (rows.isEmpty()) {
            throw new AssertionError("no ledger table under '" + SECTION + "'");
        }
        return rows;
    }

    /** {@code docs/compatibility.md}, found from the module directory the tests run in. */
    static Path ledgerFile() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("docs").resolve("compatibility.md");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError("docs/compatibility.md not found above " + Path.of("").toAbsolutePath());
    }

    /** What the broker advertises: API key to version range, asked over the wire with Sluice's codec. */
    static Map<Integer, String> advertised(SluiceBroker broker) throws IOException {
        short version = 3;
        RequestHeader header = new RequestHeader().setRequestApiKey(ApiKey.API_VERSIONS.id())
            .setRequestApiVersion(version).setCorrelationId(42).setClientId("ledger-test");
        ApiVersionsRequest request = new ApiVersionsRequest().setClientSoftwareName("sluice-ledger-test")
            .setClientSoftwareVersion("1.0");
        ByteBuffer out = Frames.writeRequest(header, request);
        try (Socket socket = new Socket("localhost", broker.port())) {
            socket.setSoTimeout(10_000);
            OutputStream os = socket.getOutputStream();
            os.write(out.array(), out.arrayOffset() + out.position(), out.remaining());
            os.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] frame = new byte[in.readInt()];
            in.readFully(frame);
            ByteBuffer bytes = ByteBuffer.wrap(frame);
            assertEquals(42, Frames.readResponseHeader(bytes, ApiKey.API_VERSIONS, version).correlationId());
            ApiVersionsResponse response = new ApiVersionsResponse(new ByteReader(bytes), version);
            assertEquals(0, response.errorCode());
            Map<Integer, String> served = new TreeMap<>();
            for (ApiVersionsResponse.ApiVersion v : response.apiKeys()) {
                served.put((int) v.apiKey(), range(v.minVersion(), v.maxVersion()));
            }
            return served;
        }
    }
}
