package org.dust4j.backbone.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The prompt template and batching against backbone-contract.md section 7. */
class PromptBuilderTest {
    static final String INSTR = "pick up the red cube and place it in the bowl";

    /** The contract's worked example (one image), from testdata/tokenizer/qwen-example-ids.txt. */
    static long[] contractIds() throws IOException {
        String s = Files.readString(TokenizerTest.dir().resolve("qwen-example-ids.txt")).trim();
        return Arrays.stream(s.split("\\s+")).mapToLong(Long::parseLong).toArray();
    }

    static PromptBuilder qwen() throws IOException {
        return new PromptBuilder(Tokenizer.load(TokenizerTest.dir().resolve("qwen-example")), 256);
    }

    /** The two-image ids by the contract's rule: the second block "27 1805 220 17 29 151670 151669x256 151671". */
    static long[] contractTwoImages() throws IOException {
        long[] one = contractIds();
        int blockEnd = 14 + 5 + 1 + 256 + 1; // prefix (14 ids), "<image 1>", <img>, 256 x <IMG_CONTEXT>, </img>
        long[] block2 = new long[5 + 1 + 256 + 1];
        long[] head = {27, 1805, 220, 17, 29, 151670};
        System.arraycopy(head, 0, block2, 0, head.length);
        Arrays.fill(block2, 6, 6 + 256, 151669);
        block2[block2.length - 1] = 151671;
        long[] out = new long[one.length + block2.length];
        System.arraycopy(one, 0, out, 0, blockEnd);
        System.arraycopy(block2, 0, out, blockEnd, block2.length);
        System.arraycopy(one, blockEnd, out, blockEnd + block2.length, one.length - blockEnd);
        return out;
    }

    @Test
    void workedExampleOfTheContract() throws IOException {
        long[] want = contractIds();
        assertEquals(293, want.length, "fixture: the contract says L = 293");
        int[] got = qwen().encode(INSTR, 1);
        assertArrayEquals(want, Arrays.stream(got).asLongStream().toArray());
    }

    @Test
    void twoImagesNumberTheirBlocks() throws IOException {
        assertArrayEquals(contractTwoImages(), Arrays.stream(qwen().encode(INSTR, 2)).asLongStream().toArray());
    }

    @Test
    void batchIsLeftPaddedWithEndOfText() throws IOException {
        PromptBuilder pb = qwen();
        Batch b = pb.batch(List.of(new PromptBuilder.Sample(INSTR, 1), new PromptBuilder.Sample(INSTR, 2)));
        long[] one = contractIds();
        long[] two = contractTwoImages();
        assertEquals(2, b.rows());
        assertEquals(two.length, b.length());
        int pad = two.length - one.length;
        for (int l = 0; l < b.length(); l++) {
            assertEquals(l < pad ? 151643 : one[l - pad], b.inputIds()[l], "row 0 id at " + l);
            assertEquals(l < pad ? 0 : 1, b.attentionMask()[l], "row 0 mask at " + l);
            assertEquals(two[l], b.inputIds()[b.length() + l], "row 1 id at " + l);
            assertEquals(1, b.attentionMask()[b.length() + l], "row 1 mask at " + l);
        }
        assertArrayEquals(new int[] {2, two.length}, b.inputIdsTensor().shape());
        assertEquals(151669, pb.imageContextId());
    }

    @Test
    void templateTextWithDefaultInstructionAndOtherImageTokenCounts() throws IOException {
        PromptBuilder pb = new PromptBuilder(Tokenizer.load(TokenizerTest.dir().resolve("qwen-example")), 2);
        String want = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
                + "<image 1><img><IMG_CONTEXT><IMG_CONTEXT></img><image 2><img><IMG_CONTEXT><IMG_CONTEXT></img>"
                + "Perform the default behavior.<|im_end|>\n<|im_start|>assistant\n";
        assertEquals(want, pb.text(null, 2));
        assertTrue(pb.text("", 0).contains("user\n<|im_end|>"), "empty instruction is kept empty");
        int[] ids = pb.encode("x", 12);
        long contexts = Arrays.stream(ids).filter(i -> i == 151669).count();
        assertEquals(24, contexts);
    }

    @Test
    void refusals() throws IOException {
        PromptBuilder pb = qwen();
        assertThrows(IllegalArgumentException.class, () -> pb.text("x", -1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pb.text("x", 4097));
        assertTrue(e.getMessage().contains("4097"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new PromptBuilder(pb.tokenizer(), 0));
        assertTrue(e.getMessage().contains("got 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> pb.batch(List.of()));
        assertTrue(e.getMessage().contains("at least one"), e.getMessage());
        Tokenizer small = Tokenizer.load(TokenizerTest.dir().resolve("qwen-example")).withMaxChars(1000);
        PromptBuilder tight = new PromptBuilder(small, 256);
        e = assertThrows(IllegalArgumentException.class, () -> tight.text("x", 1));
        assertTrue(e.getMessage().contains("exceeds the 1000"), e.getMessage());
    }
}
