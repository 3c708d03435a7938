package org.dust4j.backbone.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed or unsupported tokenizer files are refused with a message naming the file and the entry. */
class TokenizerFilesTest {
    @TempDir Path tmp;

    /** The mini tokenizer.json with one textual edit, in its own directory. */
    private Path editedJson(String name, UnaryOperator<String> edit) throws IOException {
        Path d = tmp.resolve(name);
        Files.createDirectories(d);
        String s = Files.readString(TokenizerTest.dir().resolve("mini/tokenizer.json"));
        String e = edit.apply(s);
        assertTrue(!e.equals(s), "the edit of " + name + " changed nothing");
        Files.writeString(d.resolve("tokenizer.json"), e);
        return d;
    }

    /** The vocab.json + merges.txt layout with one file edited. */
    private Path editedVocabMerges(String name, String file, UnaryOperator<String> edit) throws IOException {
        Path d = TokenizerTest.vocabMergesDir(tmp.resolve(name));
        String s = Files.readString(d.resolve(file));
        String e = edit.apply(s);
        assertTrue(!e.equals(s), "the edit of " + name + " changed nothing");
        Files.writeString(d.resolve(file), e);
        return d;
    }

    private static void refused(Path dir, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir));
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "message lacks '" + f + "': " + e.getMessage());
    }

    @Test
    void missingFiles() throws IOException {
        assertThrows(NoSuchFileException.class, () -> Tokenizer.load(tmp.resolve("nope")));
        Path d = tmp.resolve("onlyvocab");
        Files.createDirectories(d);
        Files.copy(TokenizerTest.dir().resolve("mini/vocab.json"), d.resolve("vocab.json"));
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Tokenizer.load(d));
        assertTrue(e.getMessage().contains("merges.txt"), e.getMessage());
    }

    @Test
    void mergesTxtErrorsNameTheLine() throws IOException {
        refused(editedVocabMerges("m1", "merges.txt", s -> s.replaceFirst("\nh e\n", "\nh e x\n")),
                "merges.txt line 2", "not two tokens");
        refused(editedVocabMerges("m2", "merges.txt", s -> s.replaceFirst("\nh e\n", "\nh QQQ\n")),
                "merges.txt", "merge 1", "'QQQ'", "not in the vocabulary");
    }

    @Test
    void vocabErrorsNameTheEntry() throws IOException {
        refused(editedVocabMerges("v1", "vocab.json", s -> s.replaceFirst("\"!\":\\s*\\d+", "\"!\":1.5")),
                "vocab.json", "'!'", "not a 32-bit integer");
        refused(editedVocabMerges("v2", "vocab.json", s -> s.replaceFirst("\"!\":\\s*\\d+", "\"QQ\":0")),
                "vocab.json", "lacks the byte-level symbol '!'", "0x21");
        refused(editedVocabMerges("v3", "vocab.json", s -> s.replaceFirst("\"\\\\\"\":\\s*\\d+", "\"\\\\\"\":0")),
                "vocab.json", "share id 0");
        refused(editedVocabMerges("v4", "vocab.json", s -> s.replaceFirst("\\{", "{\"!\":0,")),
                "vocab.json", "not valid JSON");
    }

    @Test
    void addedTokenErrors() throws IOException {
        refused(editedVocabMerges("a1", "tokenizer_config.json",
                s -> s.replaceFirst("\"lstrip\": false", "\"lstrip\": true")),
                "tokenizer_config.json", "added_tokens_decoder.700.lstrip", "'<|endoftext|>'");
        refused(editedVocabMerges("a2", "tokenizer_config.json", s -> s.replaceFirst("\"701\"", "\"700\"")),
                "tokenizer_config.json", "not valid JSON");
        refused(editedVocabMerges("a3", "tokenizer_config.json", s -> s.replaceFirst("\"701\"", "\"5\"")),
                "added token '<|im_start|>' has id 5, which the vocabulary gives to");
        Path d = TokenizerTest.vocabMergesDir(tmp.resolve("a4"));
        Files.writeString(d.resolve("added_tokens.json"), "{\"<|im_end|>\": 650}");
        refused(d, "added_tokens.json", "'<|im_end|>'", "has id 650", "tokenizer_config.json gives 702");
    }

    @Test
    void tokenizerJsonUnsupportedParts() throws IOException {
        refused(editedJson("j1", s -> s.replace("\"type\": \"NFC\"", "\"type\": \"NFKC\"")),
                "tokenizer.json", "normalizer", "'NFKC'");
        refused(editedJson("j2", s -> s.replace("\"behavior\": \"Isolated\"", "\"behavior\": \"Removed\"")),
                "tokenizer.json", "pre_tokenizer.pretokenizers[0].behavior", "'Removed'");
        refused(editedJson("j3", s -> s.replace("\"add_prefix_space\": false", "\"add_prefix_space\": true")),
                "pre_tokenizer.pretokenizers[1].add_prefix_space");
        refused(editedJson("j4", s -> s.replace("\"byte_fallback\": false", "\"byte_fallback\": true")),
                "model.byte_fallback");
        refused(editedJson("j5", s -> s.replace("\"dropout\": null", "\"dropout\": 0.1")), "model.dropout");
        refused(editedJson("j6", s -> s.replaceFirst("\"Regex\": \"", "\"Regex\": \"(")),
                "pattern.Regex", "does not compile");
        refused(editedJson("j7", s -> s.replace("\"single_word\": false", "\"single_word\": true")),
                "added_tokens[0].single_word");
        refused(editedJson("j8", s -> s.replaceFirst("\"type\": \"BPE\"", "\"type\": \"WordPiece\"")),
                "model.type", "WordPiece");
    }

    @Test
    void oversizedFileIsRefusedBeforeParsing() throws IOException {
        Path d = tmp.resolve("big");
        Files.createDirectories(d);
        try (var ch = java.nio.channels.FileChannel.open(d.resolve("tokenizer.json"),
                java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {'{'}), Tokenizer.MAX_FILE_BYTES); // sparse file
        }
        refused(d, "tokenizer.json", "more than the " + Tokenizer.MAX_FILE_BYTES);
    }

    @Test
    void promptBuilderNeedsTheTemplateTokens() throws IOException {
        Path d = editedVocabMerges("p1", "tokenizer_config.json", s -> s.replace("<IMG_CONTEXT>", "<IMG_CTX>"));
        Tokenizer tok = Tokenizer.load(d);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PromptBuilder(tok, 4));
        assertTrue(e.getMessage().contains("no added token '<IMG_CONTEXT>'"), e.getMessage());
        assertEquals(-1, tok.tokenToId("<IMG_CONTEXT>"));
    }
}
