package org.dust4j.backbone.text;

/**
 * A token cut out of the text whole before normalization and BPE ({@code <|im_start|>}, {@code <IMG_CONTEXT>},
 * ...). {@code special} only marks it as a control token (the flag of tokenizer.json / tokenizer_config.json);
 * special or not, it is matched the same way.
 */
public record AddedToken(String content, int id, boolean special) {
    public AddedToken {
        if (content == null || content.isEmpty()) throw new IllegalArgumentException("added token with empty content");
        if (id < 0) throw new IllegalArgumentException("added token " + Bpe.quote(content) + " has negative id " + id);
    }
}
