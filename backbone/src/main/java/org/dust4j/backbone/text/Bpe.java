package org.dust4j.backbone.text;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The byte-level BPE model: a vocabulary (token string in the byte-level alphabet to id) and ranked merges.
 *
 * <p>Encoding one word: its UTF-8 bytes become one symbol each (the byte's alphabet character, which must be in
 * the vocabulary); then, repeatedly, among all adjacent symbol pairs that have a merge, the pair with the
 * lowest rank (the earliest merge), leftmost on ties, is replaced by the merged symbol, until no adjacent
 * pair has a merge. This is Hugging Face's BPE (and the same result as the GPT-2 "merge every occurrence of
 * the best pair" loop). A merge whose two sides or whose result is not in the vocabulary is a load error.
 * If the same pair is listed twice, the later line's rank counts (as in both reference implementations).
 *
 * <p>Results are cached per word (up to {@link #CACHE_ENTRIES} words of at most {@link #CACHE_MAX_CHARS}
 * characters; once full, new words are no longer cached). Instances are immutable apart from the cache and
 * safe to share between threads.
 */
public final class Bpe {
    static final int CACHE_ENTRIES = 50_000;
    static final int CACHE_MAX_CHARS = 256;

    private final Map<String, Integer> vocab;
    private final Map<Integer, String> byId;
    private final int[] byteIds = new int[256];
    /** (leftId &lt;&lt; 32 | rightId) -> (rank &lt;&lt; 32 | mergedId). */
    private final Map<Long, Long> merges;
    private final boolean ignoreMerges;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param vocab token to id; ids must be distinct and non-negative, and all 256 byte characters present
     * @param mergePairs merges in rank order (index = rank), each {left, right}
     * @param ignoreMerges Hugging Face's ignore_merges: a word that is itself a vocabulary entry is emitted
     *     whole without merging
     * @param source names the files, for error messages
     */
    public Bpe(Map<String, Integer> vocab, List<String[]> mergePairs, boolean ignoreMerges, String source) {
        this.vocab = Map.copyOf(vocab);
        this.ignoreMerges = ignoreMerges;
        Map<Integer, String> rev = new HashMap<>(vocab.size() * 2);
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            int id = e.getValue();
            if (id < 0) {
                throw new IllegalArgumentException(source + ": vocabulary entry " + quote(e.getKey())
                        + " has negative id " + id);
            }
            String prev = rev.put(id, e.getKey());
            if (prev != null) {
                throw new IllegalArgumentException(source + ": vocabulary entries " + quote(prev) + " and "
                        + quote(e.getKey()) + " share id " + id);
            }
        }
        this.byId = rev;
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(String.valueOf(ByteLevel.charOf(b)));
            if (id == null) {
                throw new IllegalArgumentException(source + ": the vocabulary lacks the byte-level symbol "
                        + quote(String.valueOf(ByteLevel.charOf(b))) + String.format(" (byte 0x%02X)", b));
            }
            byteIds[b] = id;
        }
        Map<Long, Long> m = new HashMap<>(mergePairs.size() * 2);
        for (int rank = 0; rank < mergePairs.size(); rank++) {
            String[] p = mergePairs.get(rank);
            Integer a = vocab.get(p[0]);
            Integer b = vocab.get(p[1]);
            Integer ab = vocab.get(p[0] + p[1]);
            String missing = a == null ? p[0] : b == null ? p[1] : ab == null ? p[0] + p[1] : null;
            if (missing != null) {
                throw new IllegalArgumentException(source + ": merge " + (rank + 1) + " (" + quote(p[0]) + " "
                        + quote(p[1]) + ") uses " + quote(missing) + ", which is not in the vocabulary");
            }
            m.put(pairKey(a, b), ((long) rank << 32) | (ab & 0xFFFFFFFFL));
        }
        this.merges = m;
    }

    private static long pairKey(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("'");
        s.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp == 0x7F) sb.append(String.format("\\x%02x", cp));
            else sb.appendCodePoint(cp);
        });
        return sb.append('\'').toString();
    }

    /** Number of vocabulary entries (added tokens not included). */
    public int size() {
        return vocab.size();
    }

    /** Number of merges. */
    public int mergeCount() {
        return merges.size();
    }

    /** The id of a vocabulary entry (byte-level alphabet string), or null. */
    public Integer id(String token) {
        return vocab.get(token);
    }

    /** The vocabulary entry with this id, or null. */
    public String token(int id) {
        return byId.get(id);
    }

    /** Encodes one word (original text, not yet byte-mapped) and appends its ids to {@code out}. */
    public void encodeWord(String word, IntList out) {
        int[] cached = cache.get(word);
        if (cached == null) {
            cached = encodeUncached(word);
            if (word.length() <= CACHE_MAX_CHARS && cache.size() < CACHE_ENTRIES) cache.put(word, cached);
        }
        out.addAll(cached);
    }

    private int[] encodeUncached(String word) {
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        if (ignoreMerges) {
            Integer whole = vocab.get(ByteLevel.encode(bytes));
            if (whole != null) return new int[] {whole};
        }
        int n = bytes.length;
        int[] ids = new int[n];
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] dead = new boolean[n];
        for (int i = 0; i < n; i++) {
            ids[i] = byteIds[bytes[i] & 0xFF];
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        // Min-heap of (rank << 32 | position): lowest rank first, leftmost on ties.
        LongHeap heap = new LongHeap(Math.max(4, n));
        for (int i = 0; i + 1 < n; i++) push(heap, ids, i, i + 1);
        int live = n;
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int pos = (int) top;
            int rank = (int) (top >>> 32);
            if (dead[pos] || next[pos] < 0) continue;
            int right = next[pos];
            Long merge = merges.get(pairKey(ids[pos], ids[right]));
            if (merge == null || (int) (merge >>> 32) != rank) continue; // stale entry
            ids[pos] = (int) (long) merge;
            dead[right] = true;
            live--;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            if (prev[pos] >= 0) push(heap, ids, prev[pos], pos);
            if (next[pos] >= 0) push(heap, ids, pos, next[pos]);
        }
        int[] out = new int[live];
        int k = 0;
        for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) out[k++] = ids[i];
        return out;
    }

    private void push(LongHeap heap, int[] ids, int left, int right) {
        Long merge = merges.get(pairKey(ids[left], ids[right]));
        if (merge != null) heap.push((merge & 0xFFFFFFFF00000000L) | left);
    }

    /** A binary min-heap of longs. */
    private static final class LongHeap {
        private long[] a;
        private int size;

        LongHeap(int capacity) {
            a = new long[capacity];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(long v) {
            if (size == a.length) a = java.util.Arrays.copyOf(a, a.length * 2);
            int i = size++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (a[p] <= v) break;
                a[i] = a[p];
                i = p;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0];
            long v = a[--size];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= size) break;
                if (c + 1 < size && a[c + 1] < a[c]) c++;
                if (v <= a[c]) break;
                a[i] = a[c];
                i = c;
            }
            a[i] = v;
            return top;
        }
    }
}
