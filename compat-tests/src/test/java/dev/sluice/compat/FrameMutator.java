package dev.sluice.compat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

/**
 * Damages a valid request frame the ways a broken or hostile client would: flipped bits, a body cut
 * short, bytes inserted, lengths and counts that lie (int16/int32 lengths and unsigned varints
 * raised to their extremes), random tagged fields, and a chunk repeated. The size prefix is kept
 * true to what is sent (a frame that lies about its own size only stalls its own connection); the
 * request header's API key and version are left alone most of the time so that the damage reaches
 * the body decoder of the API that was meant.
 *
 * <p>Not thread-safe: one instance per thread, each with its own seeded {@link Random}.
 */
final class FrameMutator {
    /** Bytes of the request header that name the API and version (key int16, version int16). */
    private static final int KEY_AND_VERSION = 4;

    private final Random random;

    FrameMutator(Random random) {
        this.random = random;
    }

    /** One to three mutations of {@code frame} (size prefix included); the result has a true size prefix. */
    byte[] mutate(ByteBuffer frame) {
        byte[] body = new byte[frame.remaining() - 4];
        frame.duplicate().position(frame.position() + 4).get(body);
        int count = 1 + random.nextInt(3);
        for (int i = 0; i < count; i++) {
            body = mutateOnce(body);
        }
        return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
    }

    private byte[] mutateOnce(byte[] body) {
        return switch (random.nextInt(7)) {
            case 0 -> flipBits(body);
            case 1 -> truncate(body);
            case 2 -> insert(body, bytes(1 + random.nextInt(16)));
            case 3 -> lieInt(body);
            case 4 -> insert(body, hugeVarint());
            case 5 -> taggedFields(body);
            default -> repeatChunk(body);
        };
    }

    /** A position past the API key and version, unless the frame is too short for that or by chance. */
    private int position(byte[] body) {
        if (body.length <= KEY_AND_VERSION || random.nextInt(20) == 0) {
            return random.nextInt(Math.max(1, body.length));
        }
        return KEY_AND_VERSION + random.nextInt(body.length - KEY_AND_VERSION);
    }

    private byte[] flipBits(byte[] body) {
        if (body.length == 0) {
            return body;
        }
        byte[] out = body.clone();
        int flips = 1 + random.nextInt(4);
        for (int i = 0; i < flips; i++) {
            int at = position(out);
            out[at] ^= (byte) (1 << random.nextInt(8));
        }
        return out;
    }

    private byte[] truncate(byte[] body) {
        return Arrays.copyOf(body, body.length == 0 ? 0 : position(body));
    }

    private byte[] insert(byte[] body, byte[] extra) {
        int at = body.length == 0 ? 0 : position(body);
        byte[] out = new byte[body.length + extra.length];
        System.arraycopy(body, 0, out, 0, at);
        System.arraycopy(extra, 0, out, at, extra.length);
        System.arraycopy(body, at, out, at + extra.length, body.length - at);
        return out;
    }

    /** Overwrites an int16 or int32 in place with a length or count that cannot be true. */
    private byte[] lieInt(byte[] body) {
        byte[] out = body.clone();
        boolean wide = random.nextBoolean();
        int width = wide ? 4 : 2;
        if (out.length < KEY_AND_VERSION + width) {
            return out;
        }
        int at = KEY_AND_VERSION + random.nextInt(out.length - KEY_AND_VERSION - width + 1);
        ByteBuffer b = ByteBuffer.wrap(out);
        if (wide) {
            int[] lies = {Integer.MAX_VALUE, -1, Integer.MIN_VALUE, -2, out.length, out.length + 1, 1 << 24, random.nextInt()};
            b.putInt(at, lies[random.nextInt(lies.length)]);
        } else {
            short[] lies = {Short.MAX_VALUE, -1, Short.MIN_VALUE, -2, (short) out.length, (short) (out.length + 1)};
            b.putShort(at, lies[random.nextInt(lies.length)]);
        }
        return out;
    }

    /** An unsigned varint of 2^31 and more, or one with too many continuation bytes. */
    private byte[] hugeVarint() {
        return switch (random.nextInt(3)) {
            case 0 -> new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07};
            case 1 -> new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f};
            default -> new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01};
        };
    }

    /**
     * Replaces the last byte (in a flexible request, the top-level tagged-field count, usually 0)
     * with a tagged-field section: random tags, known ones included, with sizes that may lie.
     */
    private byte[] taggedFields(byte[] body) {
        if (body.length == 0) {
            return body;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(body, 0, body.length - 1);
        int fields = random.nextInt(4);
        writeVarint(out, random.nextInt(10) == 0 ? Integer.MAX_VALUE : fields);
        int tag = 0;
        for (int i = 0; i < fields; i++) {
            tag += random.nextInt(4);
            writeVarint(out, random.nextInt(8) == 0 ? random.nextInt(Integer.MAX_VALUE) : tag);
            byte[] data = bytes(random.nextInt(12));
            int size = random.nextInt(6) == 0 ? data.length + 1 + random.nextInt(1 << 20) : data.length;
            writeVarint(out, size);
            out.write(data, 0, data.length);
            tag++;
        }
        return out.toByteArray();
    }

    private byte[] repeatChunk(byte[] body) {
        if (body.length <= KEY_AND_VERSION) {
            return body;
        }
        int from = position(body);
        int length = 1 + random.nextInt(Math.min(64, body.length - from));
        return insert(body, Arrays.copyOfRange(body, from, from + length));
    }

    private static void writeVarint(ByteArrayOutputStream out, int value) {
        int v = value;
        while ((v & ~0x7f) != 0) {
            out.write((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write(v);
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
