package org.dust4j.backbone.text;

/**
 * GPT-2's byte-level alphabet, as Qwen2's tokenizer uses it: every byte 0..255 is written as one printable
 * character, so that BPE works on strings of visible characters. Bytes {@code !..~}, {@code ¡..¬} and
 * {@code ®..ÿ} stand for themselves; the remaining 68 bytes (controls, space, DEL, NBSP, soft hyphen), in
 * increasing byte order, become U+0100, U+0101, ... (so the space 0x20 is {@code Ġ} U+0120 and the newline
 * 0x0A is {@code Ċ} U+010A).
 */
public final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + extra++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    /** The alphabet character standing for byte {@code b} (0..255). */
    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte that alphabet character {@code c} stands for, or -1 if {@code c} is not in the alphabet. */
    public static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** Maps bytes to their alphabet characters (one character per byte). */
    public static String encode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }
}
