package dev.sluice.storage.remote;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Which segments of one partition the cold tier holds: the commit point of every upload and
 * deletion. Segment objects not named here are invisible (an upload that died before its manifest
 * was written, or a deletion that died after it) and are removed by the next clean-up.
 *
 * <p>Format (UTF-8 text, one item a line, written whole by an atomic put):
 * <pre>
 * sluice-remote-manifest 1
 * start &lt;log start offset&gt;
 * segment &lt;base offset&gt; &lt;next offset&gt; &lt;size&gt; &lt;max timestamp&gt;
 * ...
 * </pre>
 * Segments are in offset order and adjacent or with gaps (compacted data); {@code start} may lie
 * inside the first segment after DeleteRecords.
 */
public record RemoteManifest(long startOffset, List<RemoteSegment> segments) {
    private static final String MAGIC = "sluice-remote-manifest 1";
    public static final RemoteManifest EMPTY = new RemoteManifest(-1, List.of());

    public RemoteManifest {
        segments = List.copyOf(segments);
    }

    /** One past the last tiered offset, or -1 when nothing is tiered. */
    public long endOffset() {
        return segments.isEmpty() ? -1 : segments.get(segments.size() - 1).nextOffset();
    }

    public long size() {
        long n = 0;
        for (RemoteSegment s : segments) {
            n += s.size();
        }
        return n;
    }

    public byte[] encode() {
        StringBuilder out = new StringBuilder(MAGIC).append('\n').append("start ").append(startOffset).append('\n');
        for (RemoteSegment s : segments) {
            out.append("segment ").append(s.baseOffset()).append(' ').append(s.nextOffset()).append(' ')
                .append(s.size()).append(' ').append(s.maxTimestamp()).append('\n');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** @throws IllegalArgumentException if the bytes are not a manifest */
    public static RemoteManifest decode(byte[] bytes) {
        String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n");
        if (lines.length < 2 || !lines[0].equals(MAGIC) || !lines[1].startsWith("start ")) {
            throw new IllegalArgumentException("not a remote manifest");
        }
        long start = Long.parseLong(lines[1].substring(6).trim());
        List<RemoteSegment> segments = new ArrayList<>();
        for (int i = 2; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            String[] f = lines[i].split(" ");
            if (f.length != 5 || !f[0].equals("segment")) {
                throw new IllegalArgumentException("bad manifest line: " + lines[i]);
            }
            segments.add(new RemoteSegment(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
                Long.parseLong(f[4])));
        }
        return new RemoteManifest(start, segments);
    }
}
