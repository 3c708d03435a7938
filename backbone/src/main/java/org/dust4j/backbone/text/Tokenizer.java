package org.dust4j.backbone.text;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A byte-level BPE tokenizer (Qwen2 / Qwen3, GPT-2 family) read from a checkpoint's tokenizer files, in pure
 * Java. Encoding follows backbone-contract.md section 7:
 * <ol>
 *   <li>added tokens (tokenizer.json {@code added_tokens}, or tokenizer_config.json {@code added_tokens_decoder}
 *       / added_tokens.json) are cut out whole, leftmost-longest, on the raw text;</li>
 *   <li>each remaining stretch is NFC-normalized (when the files ask for NFC; Qwen2's do) and split into words
 *       by the pre-tokenizer pattern ({@link PreTokenizer#QWEN2_PATTERN} for Qwen2);</li>
 *   <li>each word's UTF-8 bytes are mapped to the byte-level alphabet ({@link ByteLevel}) and BPE-merged by
 *       merge rank ({@link Bpe}).</li>
 * </ol>
 * No BOS/EOS or other post-processing tokens are added (Qwen2 adds none; a tokenizer.json post_processor is
 * ignored).
 *
 * <p>Files, in a directory given to {@link #load(Path)}: {@code tokenizer.json} if present (Hugging Face
 * format: model.type BPE with vocab and merges, merges as {@code "a b"} strings or {@code ["a","b"]} pairs;
 * normalizer null or NFC; pre_tokenizer a Split (Regex or String pattern, behavior Isolated, not inverted)
 * followed by ByteLevel without prefix space and without its own regex, or a lone ByteLevel; added_tokens);
 * otherwise {@code vocab.json} + {@code merges.txt} with Qwen2's fixed pipeline (NFC + Qwen2 pattern) and the
 * added tokens of {@code tokenizer_config.json}'s {@code added_tokens_decoder} and {@code added_tokens.json}
 * (both may be present; they must agree). An added token's {@code normalized} flag is read but not used: added
 * tokens are always matched on the raw text (Qwen2/Qwen3 mark all of theirs {@code normalized: false}).
 * Anything else (lstrip/rstrip/single_word added tokens, BPE dropout,
 * subword prefixes, byte fallback, other normalizers or pre-tokenizers) is refused with an error naming the
 * file and entry rather than silently encoded differently.
 *
 * <p>Bounds: each file at most {@link #MAX_FILE_BYTES} bytes, at most {@link #MAX_ENTRIES} vocabulary
 * entries and merges, at most {@link #MAX_ADDED} added tokens; {@link #encode(String)} takes at most
 * {@link #maxChars()} UTF-16 units ({@link #DEFAULT_MAX_CHARS} unless set by {@link #withMaxChars(int)}).
 * Instances are immutable and thread-safe.
 */
public final class Tokenizer {
    public static final long MAX_FILE_BYTES = 128L << 20;
    public static final int MAX_ENTRIES = 4_000_000;
    public static final int MAX_ADDED = 100_000;
    public static final int DEFAULT_MAX_CHARS = 1 << 20;

    private final Bpe bpe;
    private final PreTokenizer pre;
    private final boolean nfc;
    private final List<AddedToken> added;
    private final Map<String, AddedToken> addedByContent;
    private final Map<Integer, AddedToken> addedById;
    private final AddedTokenMatcher matcher;
    private final int maxChars;
    private final String source;

    /**
     * Builds a tokenizer from parts (for tests and for callers with their own file formats).
     *
     * @param source names where the parts came from, for error messages
     */
    public Tokenizer(Bpe bpe, PreTokenizer pre, boolean nfc, List<AddedToken> added, String source) {
        this(bpe, pre, nfc, added, DEFAULT_MAX_CHARS, source);
    }

    private Tokenizer(Bpe bpe, PreTokenizer pre, boolean nfc, List<AddedToken> added, int maxChars, String source) {
        this.bpe = bpe;
        this.pre = pre;
        this.nfc = nfc;
        this.source = source;
        this.maxChars = maxChars;
        Map<String, AddedToken> byContent = new LinkedHashMap<>();
        Map<Integer, AddedToken> byId = new HashMap<>();
        for (AddedToken t : added) {
            AddedToken other = byContent.put(t.content(), t);
            if (other != null && other.id() != t.id()) {
                throw new IllegalArgumentException(source + ": added token " + Bpe.quote(t.content())
                        + " is listed with ids " + other.id() + " and " + t.id());
            }
            AddedToken sameId = byId.put(t.id(), t);
            if (sameId != null && !sameId.content().equals(t.content())) {
                throw new IllegalArgumentException(source + ": added tokens " + Bpe.quote(sameId.content())
                        + " and " + Bpe.quote(t.content()) + " share id " + t.id());
            }
            String vocabToken = bpe.token(t.id());
            if (vocabToken != null && !vocabToken.equals(t.content())) {
                throw new IllegalArgumentException(source + ": added token " + Bpe.quote(t.content()) + " has id "
                        + t.id() + ", which the vocabulary gives to " + Bpe.quote(vocabToken));
            }
            Integer vocabId = bpe.id(t.content());
            if (vocabId != null && vocabId != t.id()) {
                throw new IllegalArgumentException(source + ": added token " + Bpe.quote(t.content()) + " has id "
                        + t.id() + " but the vocabulary maps it to " + vocabId);
            }
        }
        this.added = List.copyOf(byContent.values());
        this.addedByContent = Collections.unmodifiableMap(byContent);
        this.addedById = Map.copyOf(byId);
        this.matcher = new AddedTokenMatcher(this.added);
    }

    /** The same tokenizer with another bound on the length of encoded text (UTF-16 units, at least 1). */
    public Tokenizer withMaxChars(int maxChars) {
        if (maxChars < 1) throw new IllegalArgumentException("maxChars must be at least 1, got " + maxChars);
        return new Tokenizer(bpe, pre, nfc, added, maxChars, source);
    }

    public int maxChars() {
        return maxChars;
    }

    // ---------------------------------------------------------------- loading

    /**
     * Loads the tokenizer files of directory {@code dir}: tokenizer.json if present, else vocab.json +
     * merges.txt (+ tokenizer_config.json / added_tokens.json for added tokens). See the class comment.
     *
     * @throws IOException on a missing or unreadable file
     * @throws IllegalArgumentException on malformed or unsupported content, naming the file and the entry
     */
    public static Tokenizer load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new NoSuchFileException(dir.toString(), null, "not a directory");
        Path tj = dir.resolve("tokenizer.json");
        if (Files.isRegularFile(tj)) return fromTokenizerJson(tj);
        Path vocab = dir.resolve("vocab.json");
        Path merges = dir.resolve("merges.txt");
        if (!Files.isRegularFile(vocab) || !Files.isRegularFile(merges)) {
            throw new NoSuchFileException(dir.toString(), null,
                    "no tokenizer.json, and no vocab.json + merges.txt pair, in this directory");
        }
        List<AddedToken> added = new ArrayList<>();
        Path config = dir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(config)) added.addAll(addedFromTokenizerConfig(config));
        Path addedJson = dir.resolve("added_tokens.json");
        if (Files.isRegularFile(addedJson)) added.addAll(addedFromAddedTokensJson(addedJson, added));
        return fromVocabAndMerges(vocab, merges, added);
    }

    /** Loads vocab.json + merges.txt with Qwen2's pipeline (NFC, {@link PreTokenizer#QWEN2_PATTERN}). */
    public static Tokenizer fromVocabAndMerges(Path vocabJson, Path mergesTxt, List<AddedToken> added)
            throws IOException {
        JsonNode v = readJson(vocabJson);
        Map<String, Integer> vocab = vocabFrom(v, vocabJson.toString());
        List<String[]> merges = mergesFromText(mergesTxt);
        String src = vocabJson + " + " + mergesTxt;
        return new Tokenizer(new Bpe(vocab, merges, false, src), PreTokenizer.qwen2(), true, added, src);
    }

    /** Loads a Hugging Face tokenizer.json (see the class comment for what is accepted). */
    public static Tokenizer fromTokenizerJson(Path file) throws IOException {
        String src = file.toString();
        JsonNode root = readJson(file);
        JsonNode model = root.path("model");
        if (!model.isObject()) throw bad(src, "model", "missing or not an object");
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) throw bad(src, "model.type", "is " + type + "; only BPE is supported");
        if (!model.path("dropout").isNull() && !model.path("dropout").isMissingNode()) {
            throw bad(src, "model.dropout", "must be null (BPE dropout is not supported)");
        }
        for (String key : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
            JsonNode n = model.path(key);
            if (!n.isMissingNode() && !n.isNull() && !n.asText().isEmpty()) {
                throw bad(src, "model." + key, "must be null or empty, is " + Bpe.quote(n.asText()));
            }
        }
        if (model.path("byte_fallback").asBoolean(false)) {
            throw bad(src, "model.byte_fallback", "must be false (byte-level BPE needs no fallback)");
        }
        boolean ignoreMerges = model.path("ignore_merges").asBoolean(false);
        Map<String, Integer> vocab = vocabFrom(model.path("vocab"), src + ": model.vocab");
        List<String[]> merges = mergesFromJson(model.path("merges"), src);

        boolean nfc = normalizerIsNfc(root.path("normalizer"), src);
        PreTokenizer pre = preTokenizerFrom(root.path("pre_tokenizer"), src);

        List<AddedToken> added = new ArrayList<>();
        JsonNode at = root.path("added_tokens");
        if (!at.isMissingNode() && !at.isNull()) {
            if (!at.isArray()) throw bad(src, "added_tokens", "is not an array");
            if (at.size() > MAX_ADDED) throw bad(src, "added_tokens", "has " + at.size() + " entries (max " + MAX_ADDED + ")");
            for (int i = 0; i < at.size(); i++) {
                JsonNode t = at.get(i);
                added.add(addedToken(t, t.path("id"), src, "added_tokens[" + i + "]"));
            }
        }
        return new Tokenizer(new Bpe(vocab, merges, ignoreMerges, src), pre, nfc, added, src);
    }

    private static boolean normalizerIsNfc(JsonNode n, String src) {
        if (n.isMissingNode() || n.isNull()) return false;
        String type = n.path("type").asText("");
        if (type.equals("NFC")) return true;
        if (type.equals("Sequence") && n.path("normalizers").isArray()) {
            JsonNode list = n.path("normalizers");
            if (list.isEmpty()) return false;
            if (list.size() == 1 && list.get(0).path("type").asText("").equals("NFC")) return true;
        }
        throw bad(src, "normalizer", "is " + Bpe.quote(type) + "; only null or NFC is supported");
    }

    private static PreTokenizer preTokenizerFrom(JsonNode n, String src) {
        if (n.isMissingNode() || n.isNull()) {
            throw bad(src, "pre_tokenizer", "is missing; a byte-level tokenizer needs a ByteLevel pre-tokenizer");
        }
        List<JsonNode> steps = new ArrayList<>();
        if (n.path("type").asText("").equals("Sequence")) {
            n.path("pretokenizers").forEach(steps::add);
        } else {
            steps.add(n);
        }
        PreTokenizer split = null;
        boolean byteLevel = false;
        for (int i = 0; i < steps.size(); i++) {
            JsonNode s = steps.get(i);
            String where = "pre_tokenizer" + (steps.size() > 1 || n.has("pretokenizers") ? ".pretokenizers[" + i + "]" : "");
            String type = s.path("type").asText("");
            if (type.equals("Split") && split == null && !byteLevel) {
                if (!s.path("behavior").asText("").equals("Isolated")) {
                    throw bad(src, where + ".behavior", "is " + Bpe.quote(s.path("behavior").asText())
                            + "; only Isolated is supported");
                }
                if (s.path("invert").asBoolean(false)) throw bad(src, where + ".invert", "must be false");
                JsonNode p = s.path("pattern");
                if (p.has("Regex")) {
                    split = PreTokenizer.regex(p.path("Regex").asText(), src + ": " + where + ".pattern.Regex");
                } else if (p.has("String")) {
                    split = PreTokenizer.regex(java.util.regex.Pattern.quote(p.path("String").asText()),
                            src + ": " + where + ".pattern.String");
                } else {
                    throw bad(src, where + ".pattern", "has neither Regex nor String");
                }
            } else if (type.equals("ByteLevel") && !byteLevel) {
                if (s.path("add_prefix_space").asBoolean(false)) {
                    throw bad(src, where + ".add_prefix_space", "must be false");
                }
                if (s.path("use_regex").asBoolean(true)) {
                    if (split != null) throw bad(src, where + ".use_regex", "must be false after a Split");
                    split = PreTokenizer.regex(PreTokenizer.GPT2_PATTERN, "GPT-2 pattern");
                }
                byteLevel = true;
            } else {
                throw bad(src, where, "type " + Bpe.quote(type) + " here is not supported (expected an optional "
                        + "Split then ByteLevel)");
            }
        }
        if (!byteLevel) throw bad(src, "pre_tokenizer", "has no ByteLevel step");
        return split == null ? PreTokenizer.none() : split;
    }

    private static Map<String, Integer> vocabFrom(JsonNode v, String where) {
        if (!v.isObject()) throw new IllegalArgumentException(where + ": the vocabulary is not a JSON object");
        if (v.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException(where + ": " + v.size() + " vocabulary entries (max " + MAX_ENTRIES + ")");
        }
        Map<String, Integer> vocab = new HashMap<>(v.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode id = e.getValue();
            if (!id.canConvertToInt() || !id.isIntegralNumber()) {
                throw new IllegalArgumentException(where + ": entry " + Bpe.quote(e.getKey())
                        + " has id " + id + ", not a 32-bit integer");
            }
            vocab.put(e.getKey(), id.intValue());
        }
        return vocab;
    }

    private static List<String[]> mergesFromJson(JsonNode m, String src) {
        if (!m.isArray()) throw bad(src, "model.merges", "is missing or not an array");
        if (m.size() > MAX_ENTRIES) throw bad(src, "model.merges", "has " + m.size() + " entries (max " + MAX_ENTRIES + ")");
        List<String[]> out = new ArrayList<>(m.size());
        for (int i = 0; i < m.size(); i++) {
            JsonNode e = m.get(i);
            if (e.isTextual()) {
                out.add(splitMerge(e.asText(), src + ": model.merges[" + i + "]"));
            } else if (e.isArray() && e.size() == 2 && e.get(0).isTextual() && e.get(1).isTextual()) {
                out.add(new String[] {e.get(0).asText(), e.get(1).asText()});
            } else {
                throw bad(src, "model.merges[" + i + "]", "is neither \"a b\" nor [\"a\", \"b\"]: " + e);
            }
        }
        return out;
    }

    private static List<String[]> mergesFromText(Path file) throws IOException {
        String text = readText(file);
        List<String[]> out = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (line.startsWith("#version") || line.isEmpty()) continue;
            if (out.size() >= MAX_ENTRIES) throw new IllegalArgumentException(file + ": more than " + MAX_ENTRIES + " merges");
            out.add(splitMerge(line, file + " line " + (i + 1)));
        }
        return out;
    }

    private static String[] splitMerge(String line, String where) {
        int sp = line.indexOf(' ');
        if (sp <= 0 || sp == line.length() - 1 || line.indexOf(' ', sp + 1) >= 0) {
            throw new IllegalArgumentException(where + ": merge " + Bpe.quote(line)
                    + " is not two tokens separated by one space");
        }
        return new String[] {line.substring(0, sp), line.substring(sp + 1)};
    }

    private static List<AddedToken> addedFromTokenizerConfig(Path file) throws IOException {
        String src = file.toString();
        JsonNode dec = readJson(file).path("added_tokens_decoder");
        List<AddedToken> out = new ArrayList<>();
        if (dec.isMissingNode() || dec.isNull()) return out;
        if (!dec.isObject()) throw bad(src, "added_tokens_decoder", "is not an object");
        if (dec.size() > MAX_ADDED) throw bad(src, "added_tokens_decoder", "has " + dec.size() + " entries (max " + MAX_ADDED + ")");
        for (Iterator<Map.Entry<String, JsonNode>> it = dec.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw bad(src, "added_tokens_decoder." + e.getKey(), "key is not an integer id");
            }
            out.add(addedToken(e.getValue(), new com.fasterxml.jackson.databind.node.IntNode(id), src,
                    "added_tokens_decoder." + e.getKey()));
        }
        return out;
    }

    private static List<AddedToken> addedFromAddedTokensJson(Path file, List<AddedToken> known) throws IOException {
        String src = file.toString();
        JsonNode root = readJson(file);
        if (!root.isObject()) throw bad(src, "(root)", "is not an object of token -> id");
        if (root.size() > MAX_ADDED) throw bad(src, "(root)", "has " + root.size() + " entries (max " + MAX_ADDED + ")");
        Map<String, AddedToken> have = new HashMap<>();
        for (AddedToken t : known) have.put(t.content(), t);
        List<AddedToken> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode id = e.getValue();
            if (!id.isIntegralNumber() || !id.canConvertToInt()) {
                throw bad(src, Bpe.quote(e.getKey()), "id " + id + " is not a 32-bit integer");
            }
            AddedToken prev = have.get(e.getKey());
            if (prev != null) {
                if (prev.id() != id.intValue()) {
                    throw bad(src, Bpe.quote(e.getKey()), "has id " + id.intValue()
                            + " but tokenizer_config.json gives " + prev.id());
                }
                continue;
            }
            // added_tokens.json carries no flags: such a token is taken as special (it only affects decode).
            out.add(new AddedToken(e.getKey(), id.intValue(), true));
        }
        return out;
    }

    private static AddedToken addedToken(JsonNode t, JsonNode idNode, String src, String where) {
        if (!t.isObject()) throw bad(src, where, "is not an object");
        JsonNode c = t.path("content");
        if (!c.isTextual() || c.asText().isEmpty()) throw bad(src, where + ".content", "missing or empty");
        if (!idNode.isIntegralNumber() || !idNode.canConvertToInt() || idNode.intValue() < 0) {
            throw bad(src, where + ".id", "is " + idNode + ", not a non-negative 32-bit integer");
        }
        for (String flag : new String[] {"lstrip", "rstrip", "single_word"}) {
            if (t.path(flag).asBoolean(false)) {
                throw bad(src, where + "." + flag, "is true for " + Bpe.quote(c.asText())
                        + "; only false is supported");
            }
        }
        return new AddedToken(c.asText(), idNode.intValue(), t.path("special").asBoolean(false));
    }

    private static IllegalArgumentException bad(String src, String key, String what) {
        return new IllegalArgumentException(src + ": " + key + " " + what);
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private static JsonNode readJson(Path file) throws IOException {
        String text = readText(file);
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON (" + e.getOriginalMessage() + " at line "
                    + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()) + ")");
        }
    }

    private static String readText(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new IllegalArgumentException(file + ": " + size + " bytes, more than the " + MAX_FILE_BYTES
                    + " a tokenizer file may have");
        }
        byte[] bytes = Files.readAllBytes(file);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not valid UTF-8");
        }
    }

    // ---------------------------------------------------------------- encoding

    /**
     * Encodes {@code text} to token ids (no BOS/EOS added).
     *
     * @throws IllegalArgumentException if the text is longer than {@link #maxChars()} or has an unpaired
     *     surrogate (which has no UTF-8 encoding)
     */
    public int[] encode(String text) {
        if (text.length() > maxChars) {
            throw new IllegalArgumentException("text of " + text.length() + " characters is longer than the "
                    + maxChars + " the tokenizer accepts");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("text has an unpaired surrogate U+"
                        + Integer.toHexString(c).toUpperCase() + " at index " + i);
            }
        }
        IntList out = new IntList();
        for (AddedTokenMatcher.Segment seg : matcher.split(text)) {
            if (seg.token() != null) {
                out.add(seg.token().id());
                continue;
            }
            String piece = text.substring(seg.start(), seg.end());
            if (nfc) piece = Normalizer.normalize(piece, Normalizer.Form.NFC);
            for (String word : pre.split(piece)) bpe.encodeWord(word, out);
        }
        return out.toArray();
    }

    /**
     * Decodes ids back to text: added tokens as their content, vocabulary tokens through the byte-level
     * alphabet, the bytes read as UTF-8 (malformed sequences become U+FFFD).
     *
     * @param skipSpecial leave out added tokens marked special
     * @throws IllegalArgumentException for an id that is neither in the vocabulary nor an added token
     */
    public String decode(int[] ids, boolean skipSpecial) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            AddedToken t = addedById.get(id);
            if (t != null) {
                if (!(skipSpecial && t.special())) bytes.writeBytes(t.content().getBytes(StandardCharsets.UTF_8));
                continue;
            }
            String tok = bpe.token(id);
            if (tok == null) throw new IllegalArgumentException("token id " + id + " is not in the vocabulary");
            for (int i = 0; i < tok.length(); i++) {
                int b = ByteLevel.byteOf(tok.charAt(i));
                if (b >= 0) {
                    bytes.write(b);
                } else {
                    int cp = tok.codePointAt(i);
                    bytes.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                    if (Character.isSupplementaryCodePoint(cp)) i++;
                }
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- lookups

    /** The id of an added token or vocabulary entry (byte-level alphabet string), or -1. */
    public int tokenToId(String token) {
        AddedToken t = addedByContent.get(token);
        if (t != null) return t.id();
        Integer id = bpe.id(token);
        return id == null ? -1 : id;
    }

    /**
     * The id of the added token with this content.
     *
     * @throws IllegalArgumentException if there is none, naming the token and the tokenizer files
     */
    public int requireAddedToken(String content) {
        AddedToken t = addedByContent.get(content);
        if (t == null) {
            throw new IllegalArgumentException(source + ": no added token " + Bpe.quote(content)
                    + " (the prompt template needs it)");
        }
        return t.id();
    }

    /** The added tokens, in the order they were listed. */
    public List<AddedToken> addedTokens() {
        return added;
    }

    /** The BPE vocabulary size (added tokens not counted). */
    public int vocabSize() {
        return bpe.size();
    }

    /** Whether pieces are NFC-normalized before splitting. */
    public boolean normalizesNfc() {
        return nfc;
    }

    /** The pre-tokenizer pattern, or null when words are not split. */
    public String preTokenizerPattern() {
        return pre.pattern();
    }

    /** The files this tokenizer was read from. */
    public String source() {
        return source;
    }
}
