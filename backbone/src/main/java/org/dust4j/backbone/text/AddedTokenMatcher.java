package org.dust4j.backbone.text;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text, leftmost-longest (as Hugging Face's added-vocabulary split does): scanning left
 * to right, the first position where some added token starts wins, and there the longest token starting at
 * that position is taken; scanning resumes after it.
 */
final class AddedTokenMatcher {
    /** First UTF-16 unit of a token's content -> tokens starting with it, longest first. */
    private final Map<Character, List<AddedToken>> byFirst = new HashMap<>();

    AddedTokenMatcher(Collection<AddedToken> tokens) {
        for (AddedToken t : tokens) byFirst.computeIfAbsent(t.content().charAt(0), k -> new ArrayList<>()).add(t);
        for (List<AddedToken> l : byFirst.values()) {
            l.sort(Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed());
        }
    }

    /** A segment of text: either an added token or a plain stretch between them. */
    record Segment(int start, int end, AddedToken token) {}

    List<Segment> split(String text) {
        List<Segment> out = new ArrayList<>();
        int plainStart = 0;
        int i = 0;
        while (i < text.length()) {
            AddedToken hit = byFirst.isEmpty() ? null : match(text, i);
            if (hit == null) {
                i++;
                continue;
            }
            if (i > plainStart) out.add(new Segment(plainStart, i, null));
            int end = i + hit.content().length();
            out.add(new Segment(i, end, hit));
            i = end;
            plainStart = end;
        }
        if (plainStart < text.length()) out.add(new Segment(plainStart, text.length(), null));
        return out;
    }

    private AddedToken match(String text, int at) {
        List<AddedToken> cands = byFirst.get(text.charAt(at));
        if (cands == null) return null;
        for (AddedToken t : cands) {
            if (text.startsWith(t.content(), at)) return t;
        }
        return null;
    }
}
