package dev.sluice.wire.codec;

import java.nio.ByteBuffer;

/**
 * UTF-8 length and encoding without an intermediate byte array. Matches
 * {@code String.getBytes(UTF_8)} exactly, including its rule that an unpaired surrogate becomes a
 * single {@code '?'}, so a size computed here always equals the bytes written.
 */
public final class Utf8 {
    private Utf8() {
    }

    public static int length(String s) {
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                continue;
            }
            if (c < 0x800) {
                bytes += 1;
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    bytes += 2; // two chars, four bytes
                    i++;
                }
                // an unpaired surrogate is written as '?': one byte, already counted
            } else {
                bytes += 2;
            }
        }
        return bytes;
    }

    public static void write(String s, ByteBuffer out) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                out.put((byte) c);
            } else if (c < 0x800) {
                out.put((byte) (0xC0 | (c >> 6)));
                out.put((byte) (0x80 | (c & 0x3F)));
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i));
                    out.put((byte) (0xF0 | (cp >> 18)));
                    out.put((byte) (0x80 | ((cp >> 12) & 0x3F)));
                    out.put((byte) (0x80 | ((cp >> 6) & 0x3F)));
                    out.put((byte) (0x80 | (cp & 0x3F)));
                } else {
                    out.put((byte) '?');
                }
            } else {
                out.put((byte) (0xE0 | (c >> 12)));
                out.put((byte) (0x80 | ((c >> 6) & 0x3F)));
                out.put((byte) (0x80 | (c & 0x3F)));
            }
        }
    }
}
