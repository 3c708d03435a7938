package org.dust4j.weights;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dust4j.tensor.CpuStorage;
import org.dust4j.tensor.Device;
import org.dust4j.tensor.Half;
import org.dust4j.tensor.Tensor;

/**
 * Writes one safetensors file in the official layout: the JSON header (optional {@code __metadata__} first,
 * then the tensors in data order) padded with spaces to a multiple of 8 bytes, tensors ordered by descending
 * dtype size and then by name so every tensor starts aligned to its element size. The write is atomic: a
 * temporary file in the target directory is written, fsynced and renamed over the target.
 */
public final class SafetensorsWriter {
    private static final int CHUNK = 1 << 20;

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Entry> entries = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    /** Adds {@code __metadata__} entries (written only when at least one is present). */
    public SafetensorsWriter metadata(Map<String, String> m) {
        metadata.putAll(m);
        return this;
    }

    /** Adds a CPU tensor (any view) stored in its own dtype. */
    public SafetensorsWriter put(String name, Tensor t) {
        return put(name, t, SafeDType.of(t.dtype()));
    }

    /**
     * Adds a tensor converted to {@code as}: floating tensors to F32/F16/BF16/F64 (round to nearest even),
     * integer tensors to I64/I32/U8/BOOL (range-checked). A device tensor is copied to the CPU first.
     */
    public SafetensorsWriter put(String name, Tensor t, SafeDType as) {
        t = t.to(Device.CPU);
        boolean floatTarget = as == SafeDType.F32 || as == SafeDType.F16 || as == SafeDType.BF16 || as == SafeDType.F64;
        boolean intTarget = as == SafeDType.I64 || as == SafeDType.I32 || as == SafeDType.U8 || as == SafeDType.BOOL;
        if (!floatTarget && !intTarget) throw new IllegalArgumentException("put '" + name + "': cannot write dtype " + as);
        if (t.dtype().isFloating() && !floatTarget) {
            throw new IllegalArgumentException("put '" + name + "': cannot store floating " + t.dtype() + " as " + as);
        }
        int[] s = t.shape();
        long[] shape = new long[s.length];
        for (int i = 0; i < s.length; i++) shape[i] = s[i];
        add(new Entry(name, as, shape, t, null, null));
        return this;
    }

    /** Adds raw little-endian bytes (any safetensors dtype); the length must match shape and dtype. */
    public SafetensorsWriter putRaw(String name, SafeDType dtype, long[] shape, MemorySegment bytes) {
        long need = checkedBytes("putRaw", name, dtype, shape);
        if (need != bytes.byteSize()) {
            throw new IllegalArgumentException("putRaw '" + name + "': shape " + Arrays.toString(shape) + " of " + dtype
                    + " needs " + need + " bytes, got " + bytes.byteSize());
        }
        add(new Entry(name, dtype, shape.clone(), null, bytes, null));
        return this;
    }

    /**
     * Produces a tensor's little-endian bytes chunk by chunk while the file is written, so data larger than
     * the heap (or generated on the fly) never has to be held. {@code chunk} is little-endian with
     * {@code chunk.remaining()} bytes to fill, the tensor's bytes from {@code byteOffset}; every chunk but the
     * last is 1 MiB, so chunks start on element boundaries.
     */
    @FunctionalInterface
    public interface ByteProducer {
        void fill(long byteOffset, ByteBuffer chunk);
    }

    /** Adds a tensor whose bytes {@code producer} generates during {@link #write} (called once per chunk). */
    public SafetensorsWriter putStreamed(String name, SafeDType dtype, long[] shape, ByteProducer producer) {
        checkedBytes("putStreamed", name, dtype, shape);
        add(new Entry(name, dtype, shape.clone(), null, null, producer));
        return this;
    }

    private static long checkedBytes(String op, String name, SafeDType dtype, long[] shape) {
        long numel = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException(op + " '" + name + "': negative dimension in " + Arrays.toString(shape));
            numel = Math.multiplyExact(numel, d);
        }
        long need = dtype.byteSize(numel);
        if (need < 0) throw new IllegalArgumentException(op + " '" + name + "': shape " + Arrays.toString(shape) + " of " + dtype + " has no valid byte size");
        return need;
    }

    /** Adds raw little-endian bytes from an array. */
    public SafetensorsWriter putRaw(String name, SafeDType dtype, long[] shape, byte[] bytes) {
        return putRaw(name, dtype, shape, MemorySegment.ofArray(bytes));
    }

    private void add(Entry e) {
        if (e.name.equals("__metadata__")) throw new IllegalArgumentException("'__metadata__' is reserved and cannot name a tensor");
        if (!names.add(e.name)) throw new IllegalArgumentException("tensor '" + e.name + "' added twice");
        entries.add(e);
    }

    /** Number of tensors added. */
    public int size() { return entries.size(); }

    List<Entry> entries() { return entries; }

    /** Total bytes of tensor data. */
    public long dataBytes() {
        long n = 0;
        for (Entry e : entries) n += e.nbytes;
        return n;
    }

    /** Writes the file atomically (temp file, fsync, rename). */
    public void write(Path file) throws IOException {
        write(file, metadata, entries);
    }

    static void write(Path file, Map<String, String> metadata, List<Entry> entries) throws IOException {
        List<Entry> order = new ArrayList<>(entries);
        order.sort(Comparator.comparingInt((Entry e) -> -e.dtype.bits())
                .thenComparing((a, b) -> Arrays.compareUnsigned(a.name.getBytes(StandardCharsets.UTF_8), b.name.getBytes(StandardCharsets.UTF_8))));
        ObjectNode root = SafetensorsFile.JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Entry e : order) {
            ObjectNode t = root.putObject(e.name);
            t.put("dtype", e.dtype.name());
            ArrayNode sh = t.putArray("shape");
            for (long d : e.shape) sh.add(d);
            ArrayNode off = t.putArray("data_offsets");
            off.add(offset);
            offset += e.nbytes;
            off.add(offset);
        }
        byte[] json = SafetensorsFile.JSON.writeValueAsBytes(root);
        int padded = (json.length + 7) / 8 * 8;
        if (padded > SafetensorsFile.MAX_HEADER_SIZE) {
            throw new IOException(file + ": header of " + padded + " bytes exceeds the safetensors limit of "
                    + SafetensorsFile.MAX_HEADER_SIZE + " bytes");
        }
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();

        atomicWrite(file, ch -> {
            writeFully(ch, head);
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry e : order) e.writeTo(ch, buf);
        });
    }

    /** Body of an atomic write. */
    interface ChannelBody extends AtomicFiles.ChannelBody {}

    /** Writes {@code file} atomically through {@link AtomicFiles} (temp, fsync, rename, directory fsync). */
    static void atomicWrite(Path file, ChannelBody body) throws IOException {
        AtomicFiles.write(file, body);
    }

    static void writeFully(WritableByteChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /** One tensor to write: a dust4j tensor (converted while writing), raw bytes, or a byte producer. */
    static final class Entry {
        final String name;
        final SafeDType dtype;
        final long[] shape;
        final long nbytes;
        final Tensor tensor;
        final MemorySegment raw;
        final ByteProducer producer;

        Entry(String name, SafeDType dtype, long[] shape, Tensor tensor, MemorySegment raw, ByteProducer producer) {
            if (name == null) throw new IllegalArgumentException("tensor name is null");
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
            this.tensor = tensor;
            this.raw = raw;
            this.producer = producer;
            long numel = 1;
            for (long d : shape) numel = Math.multiplyExact(numel, d);
            this.nbytes = dtype.byteSize(numel);
        }

        void writeTo(FileChannel ch, ByteBuffer buf) throws IOException {
            if (raw != null) {
                for (long p = 0; p < raw.byteSize(); p += 1L << 30) {
                    long len = Math.min(1L << 30, raw.byteSize() - p);
                    writeFully(ch, raw.asSlice(p, len).asByteBuffer());
                }
                return;
            }
            if (producer != null) {
                for (long p = 0; p < nbytes; p += CHUNK) {
                    buf.clear().order(ByteOrder.LITTLE_ENDIAN);
                    buf.limit((int) Math.min(CHUNK, nbytes - p));
                    producer.fill(p, buf);
                    if (buf.hasRemaining()) {
                        throw new IllegalStateException("tensor '" + name + "': producer left " + buf.remaining()
                                + " of the bytes at offset " + p + " unfilled");
                    }
                    buf.flip();
                    writeFully(ch, buf);
                }
                return;
            }
            int n = tensor.numel();
            buf.clear();
            switch (dtype) {
                case F32, F64 -> {
                    float[] f = tensor.toFloatArray();
                    for (int i = 0; i < n; i++) {
                        if (buf.remaining() < 8) flush(ch, buf);
                        if (dtype == SafeDType.F32) buf.putFloat(f[i]);
                        else buf.putDouble(f[i]);
                    }
                }
                case BF16, F16 -> {
                    short[] bits = sameHalfBits(tensor, dtype);
                    float[] f = bits == null ? tensor.toFloatArray() : null;
                    for (int i = 0; i < n; i++) {
                        if (buf.remaining() < 2) flush(ch, buf);
                        short b = bits != null ? bits[i] : dtype == SafeDType.BF16 ? Half.floatToBf16(f[i]) : Half.floatToF16(f[i]);
                        buf.putShort(b);
                    }
                }
                case I64, I32, U8, BOOL -> {
                    long[] v = tensor.toLongArray();
                    for (int i = 0; i < n; i++) {
                        if (buf.remaining() < 8) flush(ch, buf);
                        long x = v[i];
                        switch (dtype) {
                            case I64 -> buf.putLong(x);
                            case I32 -> {
                                if (x != (int) x) throw new IllegalArgumentException("tensor '" + name + "': element " + i + " = " + x + " does not fit I32");
                                buf.putInt((int) x);
                            }
                            case U8 -> {
                                if (x < 0 || x > 255) throw new IllegalArgumentException("tensor '" + name + "': element " + i + " = " + x + " does not fit U8");
                                buf.put((byte) x);
                            }
                            default -> buf.put((byte) (x != 0 ? 1 : 0));
                        }
                    }
                }
                default -> throw new IllegalStateException("cannot encode " + dtype);
            }
            flush(ch, buf);
        }

        /** The tensor's 16-bit patterns in logical order when it already holds {@code dtype}, else null. */
        private static short[] sameHalfBits(Tensor t, SafeDType dtype) {
            if (!t.dtype().name().equals(dtype.name())) return null;
            Tensor c = t.contiguous();
            short[] all = ((CpuStorage.Shorts) c.storage()).data();
            return Arrays.copyOfRange(all, c.offset(), c.offset() + c.numel());
        }

        private static void flush(FileChannel ch, ByteBuffer buf) throws IOException {
            buf.flip();
            writeFully(ch, buf);
            buf.clear();
        }
    }
}
