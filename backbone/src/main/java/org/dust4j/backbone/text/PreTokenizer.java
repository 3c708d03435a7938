package org.dust4j.backbone.text;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Splits a piece of (already normalized) text into the words that BPE then encodes separately, with the
 * "Isolated" behaviour of Hugging Face's Split pre-tokenizer: every regex match is a word, and so is every
 * stretch of text between two matches (with the Qwen2 pattern every character is matched, so there are no
 * such stretches). Empty matches produce no word.
 *
 * <p>Patterns are compiled by {@link java.util.regex} with {@link Pattern#UNICODE_CHARACTER_CLASS}, so that
 * {@code \s} is Unicode White_Space (as in Oniguruma, which the reference library uses, and Python's
 * {@code regex}), {@code \p{L}} / {@code \p{N}} are the Unicode letter / number categories, and
 * {@code (?i:...)} folds case by Unicode rules. Java's regex engine works on code points, so a supplementary
 * character (an emoji, say) is one character to the pattern.
 */
public final class PreTokenizer {
    /**
     * Qwen2's pattern (backbone-contract.md section 7): contractions (case-insensitive), a letter run with at
     * most one leading non-letter/non-digit/non-newline character, a single digit (digits are never grouped),
     * a punctuation run with an optional leading space and trailing newlines, newline runs with the whitespace
     * before them, whitespace not followed by a non-space (so a space before a word stays with the word), and
     * any other whitespace.
     */
    public static final String QWEN2_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** GPT-2's pattern, which Hugging Face's ByteLevel pre-tokenizer applies when its use_regex is true. */
    public static final String GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+"
            + "|\\s+(?!\\S)|\\s+";

    private final Pattern pattern; // null: the whole text is one word

    private PreTokenizer(Pattern pattern) {
        this.pattern = pattern;
    }

    /** Splits by {@code regex} (isolated matches); {@code source} names where the pattern came from, for errors. */
    public static PreTokenizer regex(String regex, String source) {
        try {
            return new PreTokenizer(Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS));
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(source + ": the pre-tokenizer pattern does not compile in Java ("
                    + e.getDescription() + " at index " + e.getIndex() + ")");
        }
    }

    /** The Qwen2 pre-tokenizer. */
    public static PreTokenizer qwen2() {
        return regex(QWEN2_PATTERN, "built-in Qwen2 pattern");
    }

    /** No splitting: the whole text is one word. */
    public static PreTokenizer none() {
        return new PreTokenizer(null);
    }

    /** The pattern, or null when the whole text is one word. */
    public String pattern() {
        return pattern == null ? null : pattern.pattern();
    }

    /** The words of {@code text}, in order; their concatenation is {@code text}. */
    public List<String> split(String text) {
        List<String> out = new ArrayList<>();
        if (text.isEmpty()) return out;
        if (pattern == null) {
            out.add(text);
            return out;
        }
        Matcher m = pattern.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) out.add(text.substring(last, m.start()));
            if (m.end() > m.start()) out.add(text.substring(m.start(), m.end()));
            last = m.end();
        }
        if (last < text.length()) out.add(text.substring(last));
        return out;
    }
}
