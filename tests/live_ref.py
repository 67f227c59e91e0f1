#!/usr/bin/env python3
"""live_ref.py - test helper for tests/live_gemma.test (numpy only): tiny
tokenizer.json files in the shapes of real families' tokenizers, an
independent tokenizer for them, and the activations a live test must show,
from tests/hf_ref.py's forward pass and tests/sae_ref.py's SAE references.

  live_ref.py tokenizer DIR gemma|llama3
      writes DIR/tokenizer.json and DIR/tokenizer_config.json; prints the
      vocabulary's size (the tiny model's vocab_size must cover it).
  live_ref.py tokenize DIR TEXT
      the ids (BOS first, as the tokenizer's post-processor adds it),
      comma-separated, from this file's own BPE.
  live_ref.py expect MODEL SAE TEXT FEATURE
      one line per token (BOS first): the feature's activation times its
      decoder row's norm, as dashboards report activations, %.4f.
  live_ref.py top MODEL SAE TEXT [POS]
      the feature with the largest activation (times its decoder norm) at
      token POS (0: the first after BOS), or over every token but BOS
      without POS: "index value".
  live_ref.py check-run MODEL SAE TEXT RUN.json
      `saex run --sae ... --top K --json` against the reference: its ids,
      and every listed feature's value (1e-4 relative); exits 1 otherwise.

The tokenizers are written in our own words after the shapes of the real
files (FORMATS-MODELS.md section C): Gemma's - normalizer Replace " " ->
"\u2581", a no-op Split pre-tokenizer, BPE with byte_fallback and <0xXX>
byte tokens, <bos> added by a TemplateProcessing post-processor, decoder
Replace/ByteFallback/Fuse; Llama 3's - a Split with the Llama 3 regex, then
ByteLevel without its regex, BPE with ignore_merges, <|begin_of_text|>
added by the post-processor, ByteLevel decoder.
"""
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_ref  # noqa: E402
import sae_ref  # noqa: E402

SP = "\u2581"
WORDS = ["hello", "world", "the", "cat", "sat", "on", "mat", "steer", "feature", "test"]


def chain_merges(words):
    """Merges that build each word left to right (a b -> ab, ab c -> abc)."""
    merges, seen = [], set()
    for w in words:
        cur = w[0]
        for ch in w[1:]:
            if (cur, ch) not in seen:
                seen.add((cur, ch))
                merges.append((cur, ch))
            cur += ch
    return merges


def added(i, content, special=True):
    return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": special}


def gemma_tokenizer():
    specials = ["<pad>", "<eos>", "<bos>", "<unk>"]
    vocab = {s: i for i, s in enumerate(specials)}
    for b in range(256):
        vocab["<0x%02X>" % b] = len(vocab)
    for ch in SP + "abcdefghijklmnopqrstuvwxyz,.":
        vocab.setdefault(ch, len(vocab))
    words = [SP + w for w in WORDS] + WORDS
    merges = chain_merges(words)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    tj = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(i, s) for i, s in enumerate(specials)],
        "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": SP},
        "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious",
                          "invert": False},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<bos>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<bos>": {"id": "<bos>", "ids": [2], "tokens": ["<bos>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": SP}, "content": " "}, {"type": "ByteFallback"},
            {"type": "Fuse"}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": [[a, b] for a, b in merges]},
    }
    cfg = {"add_bos_token": True, "add_eos_token": False, "bos_token": "<bos>", "eos_token": "<eos>",
           "pad_token": "<pad>", "unk_token": "<unk>", "clean_up_tokenization_spaces": False,
           "tokenizer_class": "GemmaTokenizer", "model_max_length": 8192}
    return tj, cfg


def byte_chars():
    """ByteLevel's byte -> char table (FORMATS-MODELS.md section C)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    out, k = {}, 0
    for b in range(256):
        if b in keep:
            out[b] = chr(b)
        else:
            out[b] = chr(0x100 + k)
            k += 1
    return out


L3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
      r"\s*[\r\n]+|\s+(?!\S)|\s+")


def llama3_tokenizer():
    bc = byte_chars()
    vocab = {bc[b]: b for b in range(256)}  # every byte a token: nothing is unknown
    sp = bc[ord(" ")]
    words = [sp + w for w in WORDS] + WORDS
    merges = chain_merges(words)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    first = len(vocab)
    specials = ["<|begin_of_text|>", "<|end_of_text|>"]
    tj = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(first + i, s) for i, s in enumerate(specials)],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": L3}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": {"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                        {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                      {"Sequence": {"id": "A", "type_id": 0}},
                      {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}},
                      {"Sequence": {"id": "B", "type_id": 1}}],
             "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [first],
                                                      "tokens": ["<|begin_of_text|>"]}}}]},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                  "vocab": vocab, "merges": ["%s %s" % (a, b) for a, b in merges]},
    }
    cfg = {"bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>", "clean_up_tokenization_spaces": True,
           "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 131072}
    return tj, cfg


def bpe(symbols, ranks):
    """Merge the adjacent pair of lowest rank, the leftmost on a tie, until none is left."""
    while len(symbols) > 1:
        best, at = None, -1
        for i in range(len(symbols) - 1):
            r = ranks.get((symbols[i], symbols[i + 1]))
            if r is not None and (best is None or r < best):
                best, at = r, i
        if best is None:
            break
        symbols = symbols[:at] + [symbols[at] + symbols[at + 1]] + symbols[at + 2:]
    return symbols


def split_l3(text):
    """Python's re has no \\p{L}: the Llama 3 regex for the ASCII and Latin
    letters these tests type (a letter: str.isalpha, a digit: isdigit)."""
    out, i, n = [], 0, len(text)
    L = lambda c: c.isalpha()  # noqa: E731
    N = lambda c: c.isdigit()  # noqa: E731
    while i < n:
        m = re.match(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)", text[i:])
        if m:
            out.append(m.group(0))
            i += len(m.group(0))
            continue
        c = text[i]
        j = i
        if not L(c) and not N(c) and c not in "\r\n" and i + 1 < n and L(text[i + 1]):
            j = i + 1
        if L(text[j]):
            k = j
            while k < n and L(text[k]):
                k += 1
            out.append(text[i:k])
            i = k
            continue
        if N(c):
            k = i
            while k < n and N(text[k]) and k - i < 3:
                k += 1
            out.append(text[i:k])
            i = k
            continue
        j = i + 1 if c == " " else i
        if j < n and not text[j].isspace() and not L(text[j]) and not N(text[j]):
            k = j
            while k < n and not text[k].isspace() and not L(text[k]) and not N(text[k]):
                k += 1
            while k < n and text[k] in "\r\n":
                k += 1
            out.append(text[i:k])
            i = k
            continue
        k = i
        while k < n and text[k].isspace():
            k += 1
        if k < n and k - i > 1:  # \s+(?!\S): leave the last space for the word
            k -= 1
        out.append(text[i:k])
        i = k
    return out


def tokenize(d, text):
    with open(os.path.join(d, "tokenizer.json")) as f:
        tj = json.load(f)
    m = tj["model"]
    vocab = m["vocab"]
    merges = [tuple(x) if isinstance(x, list) else tuple(x.split(" ")) for x in m["merges"]]
    ranks = {p: r for r, p in enumerate(merges)}
    bos = tj["post_processor"]
    if bos["type"] == "Sequence":
        bos = bos["processors"][-1]
    ids = list(bos["special_tokens"][bos["single"][0]["SpecialToken"]["id"]]["ids"])
    if m.get("byte_fallback"):  # Gemma: one pre-token, unknown characters as their bytes
        for s in bpe(list(text.replace(" ", SP)), ranks):
            if s in vocab:
                ids.append(vocab[s])
            else:
                ids += [vocab["<0x%02X>" % b] for b in s.encode()]
        return ids
    bc = byte_chars()
    for piece in split_l3(text):
        s = "".join(bc[b] for b in piece.encode())
        if m.get("ignore_merges") and s in vocab:
            ids.append(vocab[s])
            continue
        ids += [vocab[x] for x in bpe(list(s), ranks)]
    return ids


def features(model, sae_dir, text):
    """ids, F (float64 [T, d_sae]) times the decoder rows' norms, ambiguous
    (feature, token) pairs (a JumpReLU pre-activation at its threshold)."""
    ids = tokenize(model, text)
    cfg, wt = hf_ref.load(model)
    hooks, _ = hf_ref.forward(wt, cfg, ids)
    s = sae_ref.Sae(sae_dir)
    f, _, amb = s.run(hooks[s.hook])
    norm = np.linalg.norm(s.rows, axis=1)
    return ids, f * norm[None, :], amb, norm


def main():
    a = sys.argv[1:]
    cmd = a.pop(0) if a else ""
    if cmd == "tokenizer":
        tj, cfg = {"gemma": gemma_tokenizer, "llama3": llama3_tokenizer}[a[1]]()
        os.makedirs(a[0], exist_ok=True)
        with open(os.path.join(a[0], "tokenizer.json"), "w") as f:
            json.dump(tj, f, ensure_ascii=False, indent=1)
        with open(os.path.join(a[0], "tokenizer_config.json"), "w") as f:
            json.dump(cfg, f, indent=1)
        extra = sum(1 for t in tj["added_tokens"] if t["content"] not in tj["model"]["vocab"])
        print(len(tj["model"]["vocab"]) + extra)
        return 0
    if cmd == "tokenize":
        print(",".join(map(str, tokenize(a[0], a[1]))))
        return 0
    if cmd == "expect":
        _, f, _, _ = features(a[0], a[1], a[2])
        for v in f[:, int(a[3])]:
            print("%.4f" % v)
        return 0
    if cmd == "top":
        _, f, _, _ = features(a[0], a[1], a[2])
        row = f[1 + int(a[3])] if len(a) > 3 else f[1:].max(axis=0)
        i = int(np.argmax(row))
        print("%d %.4f" % (i, row[i]))
        return 0
    if cmd == "check-run":
        ids, f, amb, norm = features(a[0], a[1], a[2])
        with open(a[3]) as fh:
            got = json.load(fh)
        bad = 0
        if got["ids"] != ids:
            print("# ids %s, want %s" % (got["ids"], ids))
            return 1
        worst = 0.0
        for t, row in enumerate(got["sae"]["top"]):
            listed = {x["index"] for x in row}
            for x in row:
                want = f[t, x["index"]] / norm[x["index"]]
                err = abs(x["value"] - want) / max(1.0, abs(want))
                worst = max(worst, err)
                if err > 1e-4 and not amb[t]:
                    print("# token %d feature %d: %g, want %g" % (t, x["index"], x["value"], want))
                    bad += 1
            want_on = {int(i) for i in np.nonzero(f[t] > 0)[0]}
            if len(row) < len(want_on) and not amb[t]:
                print("# token %d: %d features listed, %d fire" % (t, len(row), len(want_on)))
                bad += 1
            elif listed - want_on and not amb[t]:
                print("# token %d: features %s listed but do not fire" % (t, sorted(listed - want_on)))
                bad += 1
        print("# %d tokens, worst relative error %.1e" % (len(ids), worst))
        return 1 if bad else 0
    print(__doc__, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
