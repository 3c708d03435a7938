package org.dust4j.backbone.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java tokenizer against ids written by Hugging Face tokenizers 0.22.2 (tools/reference/tokenizer_fixture.py)
 * for a small BPE trained with the Qwen2 pipeline, loaded from each supported file layout.
 */
class TokenizerTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static Path dir() {
        Path p = Path.of("").toAbsolutePath();
        for (Path q = p; q != null; q = q.getParent()) {
            if (Files.isDirectory(q.resolve("testdata/tokenizer"))) return q.resolve("testdata/tokenizer");
        }
        throw new IllegalStateException("no testdata/tokenizer above " + p);
    }

    static JsonNode cases() throws IOException {
        JsonNode c = JSON.readTree(dir().resolve("mini-cases.json").toFile()).path("cases");
        assertTrue(c.size() >= 40, "fixture has too few cases: " + c.size());
        return c;
    }

    static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).intValue();
        return out;
    }

    /** A directory with the mini tokenizer as vocab.json + merges.txt + tokenizer_config.json only. */
    static Path vocabMergesDir(Path tmp) throws IOException {
        Path d = tmp.resolve("vm");
        Files.createDirectories(d);
        for (String f : new String[] {"vocab.json", "merges.txt", "tokenizer_config.json"}) {
            Files.copy(dir().resolve("mini").resolve(f), d.resolve(f));
        }
        return d;
    }

    private static void checkAllCases(Tokenizer tok, String layout) throws IOException {
        for (JsonNode c : cases()) {
            String text = c.path("text").asText();
            int[] want = ints(c.path("ids"));
            assertArrayEquals(want, tok.encode(text), layout + ": ids of " + Bpe.quote(text));
            assertEquals(c.path("decoded").asText(), tok.decode(want, false), layout + ": decode of " + Bpe.quote(text));
        }
    }

    @Test
    void tokenizerJsonWithPairMergesMatchesReference() throws IOException {
        Tokenizer tok = Tokenizer.load(dir().resolve("mini"));
        assertTrue(tok.source().endsWith("tokenizer.json"), tok.source());
        checkAllCases(tok, "tokenizer.json (pair merges)");
    }

    @Test
    void tokenizerJsonWithStringMergesMatchesReference() throws IOException {
        checkAllCases(Tokenizer.load(dir().resolve("mini-legacy")), "tokenizer.json (string merges)");
    }

    @Test
    void vocabAndMergesMatchReference(@TempDir Path tmp) throws IOException {
        Tokenizer tok = Tokenizer.load(vocabMergesDir(tmp));
        assertTrue(tok.source().contains("merges.txt"), tok.source());
        assertEquals(9, tok.addedTokens().size());
        checkAllCases(tok, "vocab.json + merges.txt");
    }

    @Test
    void preTokenizerSplitsLikeReference() throws IOException {
        PreTokenizer pre = PreTokenizer.qwen2();
        for (JsonNode c : cases()) {
            String nfc = Normalizer.normalize(c.path("text").asText(), Normalizer.Form.NFC);
            List<String> want = new ArrayList<>();
            c.path("pieces").forEach(p -> want.add(p.asText()));
            assertEquals(want, pre.split(nfc), "pieces of " + Bpe.quote(nfc));
        }
    }

    @Test
    void digitsAreSplitOneByOne() {
        assertEquals(List.of("x", "1", "2", "3", " ", "4", "5"), PreTokenizer.qwen2().split("x123 45"));
    }

    @Test
    void addedTokensAreLeftmostLongestAndFlagsRead() throws IOException {
        Tokenizer tok = Tokenizer.load(dir().resolve("mini"));
        int x = tok.tokenToId("[X]");
        int xy = tok.tokenToId("[X]Y");
        assertTrue(x >= 700 && xy == x + 1, "ids of [X], [X]Y: " + x + ", " + xy);
        assertArrayEquals(new int[] {xy, xy}, tok.encode("[X]Y[X]Y"));
        assertArrayEquals(new int[] {x, x}, tok.encode("[X][X]"));
        AddedToken think = tok.addedTokens().stream().filter(t -> t.content().equals("<think>")).findFirst().orElseThrow();
        assertEquals(false, think.special());
        assertEquals("<think>x", tok.decode(tok.encode("<think>x"), true), "non-special tokens survive skipSpecial");
        assertEquals("x", tok.decode(tok.encode("<|im_end|>x"), true));
    }

    @Test
    void qwenExampleLayoutLoadsAddedTokensFromConfigAndAddedTokensJson() throws IOException {
        Tokenizer tok = Tokenizer.load(dir().resolve("qwen-example"));
        assertEquals(151643, tok.requireAddedToken("<|endoftext|>"));
        assertEquals(151669, tok.requireAddedToken("<IMG_CONTEXT>"));
        assertEquals(151671, tok.requireAddedToken("</img>"));
        assertEquals(198, tok.tokenToId("\u010a"));
        assertEquals(220, tok.tokenToId("\u0120"));
    }

    @Test
    void boundsAndBadText() throws IOException {
        Tokenizer tok = Tokenizer.load(dir().resolve("mini")).withMaxChars(10);
        assertEquals(10, tok.encode("0123456789").length);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tok.encode("01234567890"));
        assertTrue(e.getMessage().contains("longer than the 10"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tok.encode("a\uD800b"));
        assertTrue(e.getMessage().contains("unpaired surrogate U+D800 at index 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {5, 99999}, false));
        assertTrue(e.getMessage().contains("99999"), e.getMessage());
    }

    @Test
    @org.junit.jupiter.api.Timeout(30) // generous guard: the heap-based merge takes well under a second here
    void longWordRoundTripsWithoutQuadraticCost() throws IOException {
        // 200k letters in one word: a quadratic merge loop would take minutes.
        Tokenizer tok = Tokenizer.load(dir().resolve("mini"));
        int[] many = tok.encode("ab".repeat(100_000));
        assertTrue(many.length < 200_000, "no merge applied: " + many.length + " ids");
        assertEquals("ab".repeat(100_000), tok.decode(many, false));
    }
}
