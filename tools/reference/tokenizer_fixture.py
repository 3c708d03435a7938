#!/usr/bin/env python3
"""Writes the tokenizer fixtures of the dust4j backbone into testdata/tokenizer/.

Reference: Hugging Face `tokenizers` (the Rust library behind Qwen2TokenizerFast), used only here to produce
expected ids; the Java tokenizer (org.dust4j.backbone.text) never calls it. No Debian package ships it; this
machine's local Python package index does:

    python3 -m venv /tmp/tokref && /tmp/tokref/bin/pip install --no-index \
        --find-links /opt/pypi/files tokenizers==0.22.2
    /tmp/tokref/bin/python tools/reference/tokenizer_fixture.py

What it writes (all small, committed; the Java tests read only these files):

  mini/            a byte-level BPE trained here by tokenizers' BpeTrainer on the fixed CORPUS below, with the
                   Qwen2 pipeline (NFC, Split(Qwen2 regex, Isolated), ByteLevel(no prefix space, no regex)) and
                   Qwen-style added tokens. Four files: tokenizer.json as tokenizers saves it (merges as
                   ["a","b"] pairs), vocab.json + merges.txt (model.save), tokenizer_config.json with an
                   added_tokens_decoder as transformers writes it.
  mini-legacy/     the same tokenizer as one tokenizer.json whose merges are "a b" strings (the older format).
  mini-cases.json  [{"text", "ids", "decoded", "pieces"}]: the reference's ids for each string of CASES, its
                   decode, and the words its Split step alone makes of the NFC-normalized string.
  qwen-example/    vocab.json + merges.txt + tokenizer_config.json + added_tokens.json of a hand-built vocabulary
                   that gives the real Qwen2 ids of every token of backbone-contract.md section 7's worked
                   example (bytes 0..255 in Qwen's order, the whole words with their Qwen ids, chain merges
                   building each word). The script checks that the reference, loading these merges, encodes
                   the contract's prompt to exactly the contract's ids, and stops otherwise.
  qwen-example-ids.txt  the contract's worked-example ids (one image), copied from the contract text.

The training is deterministic for a given tokenizers version, so a rerun reproduces the files.
"""

import json
import os
import sys
import tempfile

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "testdata", "tokenizer")

# Qwen2's pre-tokenizer pattern, as backbone-contract.md section 7 states it.
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                 r"|\s*[\r\n]+|\s+(?!\S)|\s+")

# Qwen2-like added tokens for the mini tokenizer: (content, special). Ids follow the trained vocabulary.
# "<think>" is a non-special added token (as in Qwen3); "[X]" / "[X]Y" test leftmost-longest matching.
MINI_ADDED = [("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True), ("<think>", False),
              ("<IMG_CONTEXT>", True), ("<img>", True), ("</img>", True), ("[X]", True), ("[X]Y", True)]

CORPUS = [
    "You are a helpful assistant. Pick up the red cube and place it in the bowl.",
    "The robot can't reach the shelf; it's too high, we'll move it. They're here, I'm sure, you've seen it, he'd go.",
    "Put the green block on the blue plate, then open the drawer and close it again.",
    "In 2024 the arm moved 1234 mm in 56.7 seconds at 3.14 rad/s; 100% of 8 trials succeeded.",
    "def main():\n    x = [1, 2, 3]\n    return x  # done\n\n\tif (a && b) { print(\"ok\"); }\n",
    "Café naïve façade résumé coöperate — déjà vu; Straße Ärger Öl Übung.",
    "机器人拿起红色的方块，放进碗里。请把杯子放在桌子上。日本語のテキストも少し。한국어 문장입니다.",
    "Emoji: 👍🏽 🤖 ❤️ 🎉 — and symbols © ® ™ € £ ¥ ∑ ∞ ≤ ≥ ±.",
    "Multiple   spaces   and\ttabs\t\there.\r\nWindows line\r\nendings and  \n  mixed whitespace  \n\n\n",
    "Ελληνικά κείμενα και русский текст, العربية, עברית, हिन्दी.",
    "<image 1><img></img> pick up the cube; <image 2> place it.",
]
# Repeat the corpus so that pairs reach the trainer's minimum frequency.
CORPUS_REPEAT = 3

CASES = [
    "",
    "pick up the red cube and place it in the bowl",
    "Hello, world!",
    "  leading spaces",
    "trailing spaces   ",
    "a  b   c    d",
    "tabs\tand\t\ttabs",
    "line1\nline2\n\nline3\r\nline4\r\r\n",
    "\n\n\n",
    "   \n   \n",
    " \t \n x",
    "x \n",
    "I'm sure they're here; you've seen it, we'll go, he'd say, it's fine, can't stop.",
    "I'M SURE THEY'RE HERE; YOU'VE WE'LL HE'D IT'S CAN'T",
    "'s 's 'S ' s ''s",
    "don’t (typographic apostrophe)",
    "1234567890",
    "3.14159 and 2,718 and -42 and 1e-5",
    "x123y 45z",
    "٣٤٥ ½ ² Ⅻ",
    "Café naïve façade résumé",
    "Cafe\u0301 nai\u0308ve",
    "e\u0301\u0301 a\u030a",
    "\u212b \u00c5 A\u030a",
    "机器人拿起红色的方块，放进碗里。",
    "日本語のテキスト と 한국어",
    "Emoji 👍🏽🤖❤️🎉 end",
    "👨‍👩‍👧 family",
    "©®™ €£¥ ∑∞≤≥±",
    "Ελληνικά русский العربية עברית हिन्दी",
    "def f(x):\n    return x**2  # square\n",
    "if (a && b) { print(\"ok\"); }",
    "<|im_start|>user\nhello<|im_end|>\n",
    "<|endoftext|><|endoftext|>",
    "abc<|im_end|>def",
    "<img><IMG_CONTEXT><IMG_CONTEXT></img>",
    "<image 1><img><IMG_CONTEXT></img>pick up",
    "<think>not special</think>",
    "[X]Y [X]Z [X] [X]YY",
    "<|im_start|",
    "<IMG_CONTEXT",
    "\u00a0non-breaking\u00a0space\u2003em space\u3000ideographic",
    "\u0085next line\u2028line sep",
    "zero\u200bwidth\u200djoiner",
    "\x00\x01\x7f control \x1b[0m",
    "ſ 's 'ſ",
    "x'ſ y'S z'LL w'Re x'ſſ",
    "a\u3000\u3000b end\u2003\u2003\u2003",
    "\u00a0\u00a0x \u2028\u2029y \u0085\u0085\u0085z\u00a0",
    "tab\t\t\u3000\nnl",
    "mixed123ABC def456",
    "a" * 300,
    "ab" * 150 + " " + "lo" * 100,
    "The quick brown fox jumps over the lazy dog. " * 4,
]


def qwen2_pipeline(tok):
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()


def write_text(path, text):
    """Atomic write: temp file, fsync, rename, fsync the directory."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json(path, obj):
    write_text(path, json.dumps(obj, ensure_ascii=False, indent=1) + "\n")


def added_tokens_decoder(added, first_id):
    return {str(first_id + i): {"content": c, "lstrip": False, "normalized": False, "rstrip": False,
                                "single_word": False, "special": s} for i, (c, s) in enumerate(added)}


def make_mini():
    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    qwen2_pipeline(tok)
    trainer = trainers.BpeTrainer(vocab_size=700, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS * CORPUS_REPEAT, trainer=trainer)
    n = tok.get_vocab_size()
    tok.add_tokens([AddedToken(c, special=s, normalized=False) for c, s in MINI_ADDED])
    for i, (c, _) in enumerate(MINI_ADDED):
        assert tok.token_to_id(c) == n + i, (c, tok.token_to_id(c), n + i)

    d = os.path.join(OUT, "mini")
    os.makedirs(d, exist_ok=True)
    write_text(os.path.join(d, "tokenizer.json"), tok.to_str(pretty=True))
    with tempfile.TemporaryDirectory() as tmp:  # vocab.json + merges.txt, then moved in atomically
        for name in tok.model.save(tmp):
            with open(name, encoding="utf-8") as f:
                write_text(os.path.join(d, os.path.basename(name)), f.read())
    write_json(os.path.join(d, "tokenizer_config.json"), {
        "added_tokens_decoder": added_tokens_decoder(MINI_ADDED, n),
        "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
        "model_max_length": 32768, "tokenizer_class": "Qwen2Tokenizer"})

    # The same tokenizer with "a b" string merges.
    full = json.loads(tok.to_str())
    merges = full["model"]["merges"]
    assert merges and isinstance(merges[0], list), "tokenizers saved merges in an unexpected form"
    full["model"]["merges"] = [a + " " + b for a, b in merges]
    legacy = Tokenizer.from_str(json.dumps(full))
    dl = os.path.join(OUT, "mini-legacy")
    os.makedirs(dl, exist_ok=True)
    write_json(os.path.join(dl, "tokenizer.json"), full)

    split_only = pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False)
    cases = []
    for text in CASES:
        ids = tok.encode(text, add_special_tokens=False).ids
        assert legacy.encode(text, add_special_tokens=False).ids == ids, text
        # "pieces": the Split step alone on the NFC-normalized text (added tokens not cut out).
        pieces = [p for p, _ in split_only.pre_tokenize_str(normalizers.NFC().normalize_str(text))]
        cases.append({"text": text, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False),
                      "pieces": pieces})
    write_json(os.path.join(OUT, "mini-cases.json"), {
        "reference": "tokenizers 0.22.2 (Hugging Face), Tokenizer.encode(text, add_special_tokens=False)",
        "cases": cases})
    print(f"mini: {n} vocab entries, {len(merges)} merges, {len(MINI_ADDED)} added tokens, {len(cases)} cases")


# ---------------------------------------------------------------- the contract's worked example

def bytes_to_unicode():
    """GPT-2's byte -> printable character table, in the order Qwen2's vocabulary numbers them (ids 0..255)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    rest = [b for b in range(256) if b not in printable]
    chars = {b: chr(b) for b in printable}
    for n, b in enumerate(rest):
        chars[b] = chr(256 + n)
    order = printable + rest
    return chars, order


CONTRACT_IDS_ONE_IMAGE = (
    "151644 8948 198 2610 525 264 10950 17847 13 151645 198 151644 872 198 27 1805 220 16 29 151670 "
    + "151669 " * 256
    + "151671 29245 705 279 2518 23739 323 1992 432 304 279 19212 151645 198 151644 77091 198")

# Whole words of the worked example with their Qwen2 ids (read off the contract's id list).
QWEN_WORDS = {"system": 8948, "You": 2610, " are": 525, " a": 264, " helpful": 10950, " assistant": 17847,
              "user": 872, "image": 1805, "pick": 29245, " up": 705, " the": 279, " red": 2518, " cube": 23739,
              " and": 323, " place": 1992, " it": 432, " in": 304, " bowl": 19212, "assistant": 77091}
QWEN_ADDED = [(151643, "<|endoftext|>", True), (151644, "<|im_start|>", True), (151645, "<|im_end|>", True),
              (151669, "<IMG_CONTEXT>", True), (151670, "<img>", True), (151671, "</img>", True)]


def make_qwen_example():
    chars, order = bytes_to_unicode()
    vocab = {chars[b]: i for i, b in enumerate(order)}
    assert vocab["\u010a"] == 198 and vocab["\u0120"] == 220 and vocab["<"] == 27
    merges = []
    next_id = 150000
    # Words starting with a space first: their merges start with "Ġ", which never occurs inside a word,
    # so every such word is built whole; then the others (none of their first pairs occurs inside another word).
    words = sorted(QWEN_WORDS, key=lambda w: (not w.startswith(" "), w))
    for w in words:
        mapped = "".join(chars[b] for b in w.encode("utf-8"))
        for k in range(2, len(mapped) + 1):
            left, right, merged = mapped[:k - 1], mapped[k - 1], mapped[:k]
            if merged in vocab:
                continue
            merges.append((left, right))
            if k == len(mapped):
                vocab[merged] = QWEN_WORDS[w]
            else:
                vocab[merged] = next_id
                next_id += 1
    assert next_id < 151643 and len(set(vocab.values())) == len(vocab)

    prompt = ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
              "<image 1><img>" + "<IMG_CONTEXT>" * 256 + "</img>"
              "pick up the red cube and place it in the bowl<|im_end|>\n<|im_start|>assistant\n")
    # The reference needs the added tokens inside the model vocabulary to keep their (sparse) ids.
    ref_vocab = dict(vocab)
    for i, c, _ in QWEN_ADDED:
        ref_vocab[c] = i
    with tempfile.TemporaryDirectory() as tmp:
        vf, mf = os.path.join(tmp, "vocab.json"), os.path.join(tmp, "merges.txt")
        write_json(vf, ref_vocab)
        write_text(mf, "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
        tok = Tokenizer(models.BPE.from_file(vf, mf))
    qwen2_pipeline(tok)
    tok.add_special_tokens([AddedToken(c, special=True, normalized=False) for _, c, _ in QWEN_ADDED])
    got = tok.encode(prompt, add_special_tokens=False).ids
    want = [int(x) for x in CONTRACT_IDS_ONE_IMAGE.split()]
    if got != want:
        sys.exit(f"qwen-example: the reference does not reproduce the contract's ids\n got  {got}\n want {want}")

    d = os.path.join(OUT, "qwen-example")
    os.makedirs(d, exist_ok=True)
    write_json(os.path.join(d, "vocab.json"), vocab)  # Qwen layout: added tokens are not in vocab.json
    write_text(os.path.join(d, "merges.txt"), "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    write_json(os.path.join(d, "tokenizer_config.json"), {
        "added_tokens_decoder": {str(i): {"content": c, "lstrip": False, "normalized": False, "rstrip": False,
                                          "single_word": False, "special": s} for i, c, s in QWEN_ADDED},
        "pad_token": "<|endoftext|>", "tokenizer_class": "Qwen2Tokenizer"})
    write_json(os.path.join(d, "added_tokens.json"), {c: i for i, c, _ in QWEN_ADDED})
    write_text(os.path.join(OUT, "qwen-example-ids.txt"), CONTRACT_IDS_ONE_IMAGE.strip() + "\n")
    print(f"qwen-example: {len(vocab)} vocab entries, {len(merges)} merges; reference reproduces the contract")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    make_mini()
    make_qwen_example()
