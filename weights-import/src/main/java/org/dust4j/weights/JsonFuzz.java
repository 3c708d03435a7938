package org.dust4j.weights;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded mutations of a valid JSON document, for the fuzz tests of every JSON file the project reads (config.json,
 * the shard index, the dataset manifest): a value replaced by a hostile one (wrong type, int overflow, 1e400,
 * huge counts, long strings, deep nesting), a key removed, added or duplicated, or the text truncated, a byte
 * flipped, or nesting made very deep. Deterministic for a given seed.
 */
public final class JsonFuzz {
    private JsonFuzz() {}

    private static final ObjectMapper PLAIN = new ObjectMapper();

    /** Raw JSON value texts that break assumptions about numbers and types. */
    static final String[] HOSTILE = {"0", "-1", "1", "2", "3", "7", "16", "64", "1024", "65536", "1000000", "10000000", "2147483647",
            "2147483648", "-2147483648", "4294967296", "9223372036854775807", "9223372036854775808", "1e39", "1e400", "-1e400", "1e-400",
            "0.5", "1.5", "-0.0", "NaN", "\"NaN\"", "Infinity", "\"12\"", "\"true\"", "\"\"", "true", "false", "null", "[]", "{}", "[1,2]",
            "{\"a\":1}", "\"dust\"", "\"gr00t_n1_5\"", "\"../x\"", "\"a/b\"", "\"shard-00000.safetensors\"", "\"model.safetensors\""};

    /** A mutated version of {@code valid} (which must parse). */
    public static String mutate(String valid, SplittableRandom rng) {
        int kind = rng.nextInt(10);
        return switch (kind) {
            case 0, 1, 2, 3 -> replaceValue(valid, rng);
            case 4 -> removeOrAddKey(valid, rng);
            case 5 -> duplicateKey(valid, rng);
            case 6 -> valid.substring(0, rng.nextInt(valid.length() + 1));
            case 7 -> flipByte(valid, rng);
            case 8 -> deepNesting(valid, rng);
            default -> replaceValue(replaceValue(valid, rng), rng);
        };
    }

    private static JsonNode parse(String s) {
        try {
            return PLAIN.readTree(s);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** Every container node with the field name / index of each child, in document order. */
    private static void slots(JsonNode n, List<Object[]> out) {
        if (n instanceof ObjectNode o) {
            for (Map.Entry<String, JsonNode> e : o.properties()) {
                out.add(new Object[] {o, e.getKey()});
                slots(e.getValue(), out);
            }
        } else if (n instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                out.add(new Object[] {a, i});
                slots(a.get(i), out);
            }
        }
    }

    private static String hostile(SplittableRandom rng) {
        int r = rng.nextInt(20);
        if (r == 0) return "\"" + "x".repeat(1 + rng.nextInt(200_000)) + "\"";
        if (r == 1) return Long.toString(rng.nextLong());
        if (r == 2) return Double.toString(rng.nextDouble() * Math.pow(10, rng.nextInt(-50, 50)));
        return HOSTILE[rng.nextInt(HOSTILE.length)];
    }

    private static String replaceValue(String valid, SplittableRandom rng) {
        JsonNode root = parse(valid);
        if (root == null) return valid;
        List<Object[]> s = new ArrayList<>();
        slots(root, s);
        if (s.isEmpty()) return hostile(rng);
        Object[] slot = s.get(rng.nextInt(s.size()));
        String marker = "\"@@FUZZ@@\"";
        if (slot[0] instanceof ObjectNode o) o.put((String) slot[1], "@@FUZZ@@");
        else ((ArrayNode) slot[0]).set((Integer) slot[1], JsonNodeFactory.instance.textNode("@@FUZZ@@"));
        return root.toString().replace(marker, hostile(rng));
    }

    /** A random (object, key) slot of the tree, or null when it holds no object with keys. */
    private static Object[] randomObjectSlot(JsonNode root, SplittableRandom rng) {
        List<Object[]> s = new ArrayList<>();
        slots(root, s);
        List<Object[]> objs = s.stream().filter(x -> x[0] instanceof ObjectNode).toList();
        return objs.isEmpty() ? null : objs.get(rng.nextInt(objs.size()));
    }

    private static String removeOrAddKey(String valid, SplittableRandom rng) {
        JsonNode root = parse(valid);
        if (root == null) return valid;
        Object[] slot = randomObjectSlot(root, rng);
        if (slot == null) return valid;
        ObjectNode o = (ObjectNode) slot[0];
        if (rng.nextBoolean()) o.remove((String) slot[1]);
        else o.put("unknown_key_" + rng.nextInt(100), rng.nextInt(5));
        return root.toString();
    }

    private static String duplicateKey(String valid, SplittableRandom rng) {
        JsonNode root = parse(valid);
        if (root == null) return valid;
        Object[] slot = randomObjectSlot(root, rng);
        if (slot == null) return valid;
        ObjectNode o = (ObjectNode) slot[0];
        String key = (String) slot[1];
        String marker = "@@DUP@@";
        o.put(marker, 0);
        String quotedKey = JsonNodeFactory.instance.textNode(key).toString();
        return root.toString().replace("\"" + marker + "\":0", quotedKey + ":" + hostile(rng));
    }

    private static String flipByte(String valid, SplittableRandom rng) {
        char[] c = valid.toCharArray();
        if (c.length == 0) return valid;
        int i = rng.nextInt(c.length);
        c[i] = (char) (rng.nextBoolean() ? rng.nextInt(32, 127) : rng.nextInt(0, 256));
        return new String(c);
    }

    private static String deepNesting(String valid, SplittableRandom rng) {
        int depth = 100 + rng.nextInt(100_000);
        return "[".repeat(depth) + valid + "]".repeat(rng.nextBoolean() ? depth : depth / 2);
    }
}
