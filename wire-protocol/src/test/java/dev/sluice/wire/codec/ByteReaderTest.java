package dev.sluice.wire.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteReaderTest {
    @Test
    void utf8LengthAndBytesMatchTheJdkIncludingUnpairedSurrogates() {
        Random random = new Random(5);
        String[] fixed = {"", "plain", "é", "日本", "\uD83D\uDE00", "a\uD800b", "\uDC00", "x\uD83D", "\u07FF\u0800\uFFFF"};
        for (int i = 0; i < fixed.length + 500; i++) {
            String s;
            if (i < fixed.length) {
                s = fixed[i];
            } else {
                char[] chars = new char[random.nextInt(20)];
                for (int c = 0; c < chars.length; c++) {
                    chars[c] = (char) random.nextInt(0x10000);
                }
                s = new String(chars);
            }
            byte[] jdk = s.getBytes(StandardCharsets.UTF_8);
            assertEquals(jdk.length, Utf8.length(s), s);
            ByteBuffer out = ByteBuffer.allocate(jdk.length);
            Utf8.write(s, out);
            assertArrayEquals(jdk, out.array(), s);
        }
    }

    @Test
    void lengthsThatLieAreMalformedBeforeAnythingIsAllocated() {
        // int32 length of 2 GiB for a bytes field in a 10-byte buffer
        ByteBuffer huge = ByteBuffer.allocate(10).putInt(Integer.MAX_VALUE).flip();
        assertThrows(MalformedDataException.class, () -> new ByteReader(huge).readBytes(false, false, "f"));
        // compact array claiming more elements than bytes left
        ByteBuffer array = ByteBuffer.allocate(3);
        Varint.writeUnsigned(1000, array);
        assertThrows(MalformedDataException.class, () -> new ByteReader(array.flip()).readArrayLength(true, false, "a"));
        // negative lengths other than the null marker
        ByteBuffer negative = ByteBuffer.allocate(4).putInt(-5).flip();
        assertThrows(MalformedDataException.class, () -> new ByteReader(negative).readBytes(false, true, "f"));
        ByteBuffer negativeString = ByteBuffer.allocate(2).putShort((short) -7).flip();
        assertThrows(MalformedDataException.class, () -> new ByteReader(negativeString).readString(false, true, "s"));
        // null where the field is not nullable
        ByteBuffer nullString = ByteBuffer.allocate(2).putShort((short) -1).flip();
        assertThrows(MalformedDataException.class, () -> new ByteReader(nullString).readString(false, false, "s"));
        ByteBuffer nullCompact = ByteBuffer.wrap(new byte[] {0});
        assertNull(new ByteReader(nullCompact).readString(true, true, "s"));
        // negative counts for raw reads
        assertThrows(MalformedDataException.class, () -> new ByteReader(ByteBuffer.allocate(4)).readByteArray(-1));
        assertThrows(MalformedDataException.class, () -> new ByteReader(ByteBuffer.allocate(4)).skip(-1));
    }

    @Test
    void slicesAreViewsNotCopies() {
        byte[] backing = {1, 2, 3, 4, 5};
        ByteReader reader = new ByteReader(ByteBuffer.wrap(backing));
        reader.skip(1);
        ByteBuffer slice = reader.readSlice(3);
        backing[2] = 42;
        assertEquals(42, slice.get(1));
        assertEquals(1, reader.remaining());
    }
}
