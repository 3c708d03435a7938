package org.dust4j.weights;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file, sharded checkpoint or state dict was rejected. The message is one line naming the
 * file, the tensor (when one is concerned) and the broken {@link Rule}.
 */
public class SafetensorsException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The validation rule (or other failure) behind a rejection; tests match on it. */
    public enum Rule {
        /** The file could not be opened or read. */
        IO("cannot read"),
        /** Fewer than 8 bytes: no room for the header length. */
        FILE_TOO_SMALL("file too small"),
        /** Header length above 100,000,000 bytes. */
        HEADER_TOO_LARGE("header too large"),
        /** Header length runs past the end of the file. */
        HEADER_OUT_OF_BOUNDS("header out of bounds"),
        /** Header bytes are not UTF-8. */
        HEADER_NOT_UTF8("header not UTF-8"),
        /** Header does not start with '{' after optional leading spaces. */
        HEADER_START("header start"),
        /** Header is not valid JSON (or has trailing tokens). */
        HEADER_JSON("header not JSON"),
        /** The same tensor name appears twice. */
        DUPLICATE_NAME("duplicate name"),
        /** {@code __metadata__} is not a string-to-string map. */
        METADATA("bad __metadata__"),
        /** A tensor entry is not an object with dtype, shape and data_offsets of the right types. */
        TENSOR_ENTRY("bad tensor entry"),
        /** The dtype string is not a safetensors dtype. */
        UNKNOWN_DTYPE("unknown dtype"),
        /** data_offsets has end before begin. */
        OFFSETS_REVERSED("end before begin"),
        /** Sorted by offset, tensors are not contiguous from 0 (a hole or an overlap). */
        OFFSETS_NOT_CONTIGUOUS("offsets not contiguous"),
        /** prod(shape) * dtype size overflows 64 bits. */
        SIZE_OVERFLOW("size overflow"),
        /** prod(shape) * dtype size differs from end - begin. */
        SIZE_MISMATCH("size mismatch"),
        /** The tensor data does not end exactly at end of file. */
        DATA_NOT_AT_EOF("data does not end at EOF"),
        /** A valid safetensors dtype that dust4j cannot turn into a tensor. */
        UNSUPPORTED_DTYPE("unsupported dtype"),
        /** The tensor is too large for an on-heap array. */
        TOO_LARGE("tensor too large"),
        /** No tensor of that name. */
        NO_SUCH_TENSOR("no such tensor"),
        /** model.safetensors.index.json is malformed or disagrees with its shards. */
        INDEX("bad index"),
        /** A config.json is malformed or of the wrong model type. */
        CONFIG("bad config"),
        /** State-dict names or shapes do not match the model. */
        STATE_DICT("state dict mismatch");

        private final String label;

        Rule(String label) { this.label = label; }

        /** Short human-readable label used in messages. */
        public String label() { return label; }
    }

    private final transient Path file;
    private final String tensor;
    private final Rule rule;

    public SafetensorsException(Path file, String tensor, Rule rule, String detail) {
        this(file, tensor, rule, detail, null);
    }

    public SafetensorsException(Path file, String tensor, Rule rule, String detail, Throwable cause) {
        super(format(file, tensor, rule, detail), cause);
        this.file = file;
        this.tensor = tensor;
        this.rule = rule;
    }

    private static String format(Path file, String tensor, Rule rule, String detail) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<memory>" : file.toString()).append(": ");
        if (tensor != null) sb.append("tensor '").append(printable(tensor)).append("': ");
        sb.append(rule.label());
        if (detail != null && !detail.isEmpty()) sb.append(": ").append(detail);
        return capped(oneLine(sb.toString()));
    }

    /** Truncates and escapes a name taken from a file so a message stays one short line. */
    static String printable(String s) {
        String t = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        return oneLine(t);
    }

    /** The longest message: longer ones are cut and say how much was left out. */
    public static final int MAX_MESSAGE = 2000;

    /** {@code s} cut to {@link #MAX_MESSAGE} characters with a note of how many were left out. */
    public static String capped(String s) {
        if (s.length() <= MAX_MESSAGE) return s;
        return s.substring(0, MAX_MESSAGE) + "... (" + (s.length() - MAX_MESSAGE) + " more characters)";
    }

    static String oneLine(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') sb.append("\\n");
            else if (c == '\r') sb.append("\\r");
            else if (Character.isISOControl(c)) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.toString();
    }

    /** The file concerned (null for in-memory data). */
    public Path file() { return file; }

    /** The tensor concerned, or null. */
    public String tensor() { return tensor; }

    public Rule rule() { return rule; }
}
