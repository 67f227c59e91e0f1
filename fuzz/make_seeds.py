#!/usr/bin/env python3
"""make_seeds.py OUTDIR - writes the seed corpora of the fuzz harnesses.

One folder per harness (OUTDIR/NAME/), each file one input shaped like the
real thing: GPT-2 tensor names and dtypes for safetensors, SAELens v6 and
old flat cfg.json, a Hugging Face GPT-2 config.json, GPT-2 style
vocab/merges and tokenizer.json, Neuronpedia export rows, an explanations
CSV and feature ids. All values are small made-up examples."""
import json
import os
import struct
import sys
import zlib

out = sys.argv[1] if len(sys.argv) > 1 else "seeds"


def put(harness, name, data):
    d = os.path.join(out, harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ------------------------------------------------------------ safetensors
def f32(vals):
    return struct.pack("<%df" % len(vals), *vals)


def f16(vals):
    return struct.pack("<%de" % len(vals), *vals)


def bf16(vals):
    return b"".join(struct.pack("<f", v)[2:] for v in vals)


PACK = {"F32": (4, f32), "F16": (2, f16), "BF16": (2, bf16)}


def safetensors(tensors, meta=None, pad=8):
    """tensors: (name, dtype, shape) in data order."""
    hdr, blobs, off = {}, [], 0
    if meta is not None:
        hdr["__metadata__"] = meta
    for i, (name, dtype, shape) in enumerate(tensors):
        n = 1
        for s in shape:
            n *= s
        size, pack = PACK[dtype]
        blob = pack([((k * 7 + i) % 16 - 8) / 16 for k in range(n)])
        hdr[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(blob)]}
        blobs.append(blob)
        off += len(blob)
    h = json.dumps(hdr, separators=(",", ":")).encode()
    while pad and len(h) % pad:
        h += b" "
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


d = 4
gpt2 = [("wte.weight", "F32", [16, d]), ("wpe.weight", "F32", [8, d]),
        ("h.0.ln_1.weight", "F32", [d]), ("h.0.ln_1.bias", "F32", [d]),
        ("h.0.attn.bias", "F32", [1, 1, 8, 8]),
        ("h.0.attn.c_attn.weight", "F32", [d, 3 * d]), ("h.0.attn.c_attn.bias", "F32", [3 * d]),
        ("h.0.mlp.c_fc.weight", "F32", [d, 4 * d]), ("ln_f.weight", "F32", [d]),
        ("ln_f.bias", "F32", [d])]
put("safetensors", "gpt2-f32", safetensors(gpt2, {"format": "pt"}))
put("safetensors", "gpt2-prefixed-f16",
    safetensors([("transformer." + n, "F16", s) for n, _, s in gpt2[:4]]))
put("safetensors", "gpt2-bf16-nometa", safetensors([(n, "BF16", s) for n, _, s in gpt2[5:8]]))
put("safetensors", "unaligned-f32", safetensors([("h.0.mlp.c_proj.bias", "F32", [d]),
                                                 ("lm_head.weight", "F32", [16, d])], pad=0) )
put("safetensors", "sae-weights",
    safetensors([("W_enc", "F32", [d, 8]), ("W_dec", "F32", [8, d]), ("b_enc", "F32", [8]),
                 ("b_dec", "F32", [d]), ("threshold", "F32", [8])],
                {"format": "pt", "sae_lens_version": "6.0.0"}))
put("safetensors", "scalar-and-empty",
    safetensors([("scale", "F32", []), ("empty", "F16", [0, 3]), ("sparsity", "F32", [8])]))
put("safetensors", "header-only", safetensors([], {"format": "pt"}))

# ------------------------------------------------------------ npy
def npy(descr, shape, data, version=1, fortran=False, spaced=False):
    if spaced:
        dct = "{ 'shape' : %s , 'descr' : '%s' , 'fortran_order' : %s }" % (
            repr(tuple(shape)), descr, fortran)
    else:
        dct = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran,
                                                                     repr(tuple(shape)))
    lenfmt = "<H" if version == 1 else "<I"
    base = 6 + 2 + struct.calcsize(lenfmt)
    total = base + len(dct) + 1
    dct += " " * ((64 - total % 64) % 64) + "\n"
    return (b"\x93NUMPY" + bytes([version, 0]) + struct.pack(lenfmt, len(dct)) +
            dct.encode("latin-1") + data)


put("npy", "f4-2d", npy("<f4", [3, 4], f32([i / 4 for i in range(12)])))
put("npy", "f2-1d-v2", npy("<f2", [5], f16([0.5, -1, 2, 65504, -0.0]), version=2))
put("npy", "f4-scalar", npy("<f4", [], f32([3.25])))
put("npy", "f4-empty", npy("<f4", [0], b""))
put("npy", "f4-3d-spaced", npy("<f4", [2, 1, 2], f32([1, 2, 3, 4]), version=3, spaced=True))
put("npy", "fortran", npy("<f4", [2, 2], f32([1, 2, 3, 4]), fortran=True))
put("npy", "f8-refused", npy("<f8", [2], struct.pack("<2d", 1, 2)))

# ------------------------------------------------------------ npz (Gemma Scope params.npz, d_in 4, d_sae 8)
def zip_archive(members, zip64=False):
    """A zip as numpy's savez writes one; members (name, bytes, method)."""
    import zlib
    out, central = b"", []
    for name, data, method in members:
        nm, crc = name.encode(), zlib.crc32(data)
        comp = data if method == 0 else zlib.compress(data, 6)[2:-4]
        extra = struct.pack("<HHQQ", 1, 16, len(data), len(comp))
        central.append((nm, method, crc, len(data), len(comp), len(out)))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, 0, 0x21, crc, len(comp), len(data), len(nm),
                           len(extra)) + nm + extra + comp
    cd = b""
    for nm, method, crc, size, csize, off in central:
        ex = struct.pack("<HHQQQ", 1, 24, size, csize, off) if zip64 else b""
        big = 0xFFFFFFFF if zip64 else None
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 0x21, crc, big or csize,
                          big or size, len(nm), len(ex), 0, 0, 0, 0, big or off) + nm + ex
    n = len(central)
    tail = b""
    if zip64:
        tail += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(cd), len(out))
        tail += struct.pack("<IIQI", 0x07064B50, 0, len(out) + len(cd), 1)
        tail += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    else:
        tail += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(cd), len(out), 0)
    return out + cd + tail


def gemma_scope(method=0, lower=False, zip64=False):
    shapes = [("W_dec", [8, 4]), ("W_enc", [4, 8]), ("b_dec", [4]), ("b_enc", [8]), ("threshold", [8])]
    ms = []
    for i, (name, shape) in enumerate(shapes):
        n = 1
        for s in shape:
            n *= s
        if lower and name.startswith("W_"):
            name = "w_" + name[2:]
        ms.append((name + ".npy", npy("<f4", shape, f32([((k * 5 + i) % 9 - 4) / 8 for k in range(n)])), method))
    return zip_archive(ms, zip64)


put("npz", "stored", gemma_scope())
put("npz", "deflated", gemma_scope(method=8))
put("npz", "zip64-lower", gemma_scope(lower=True, zip64=True))
put("npz", "one-member", zip_archive([("a.npy", npy("<f2", [3], f16([1, 2, 3])), 0)]))

# ------------------------------------------------------------ SAE cfg.json (d_in 4, d_sae 8)
v6 = {"architecture": "jumprelu", "d_in": 4, "d_sae": 8, "dtype": "float32", "device": "cpu",
      "apply_b_dec_to_input": False, "normalize_activations": "none",
      "reshape_activations": "none",
      "metadata": {"sae_lens_version": "6.5.1", "model_name": "gemma-2-2b",
                   "hook_name": "blocks.12.hook_resid_post", "hook_head_index": None,
                   "prepend_bos": True, "dataset_path": "monology/pile-uncopyrighted",
                   "context_size": 1024, "model_from_pretrained_kwargs": {},
                   "neuronpedia_id": "gemma-2-2b/12-gemmascope-res-16k"}}
put("sae_cfg", "v6-jumprelu", json.dumps(v6, indent=2))
v6k = dict(v6, architecture="topk", k=3, normalize_activations="layer_norm")
v6k["metadata"] = dict(v6["metadata"], hook_name="blocks.0.hook_mlp_out",
                       model_from_pretrained_kwargs={"center_writing_weights": True})
put("sae_cfg", "v6-topk", json.dumps(v6k))
flat = {"model_name": "gpt2-small", "model_class_name": "HookedTransformer",
        "hook_point": "blocks.8.hook_resid_pre", "hook_point_layer": 8, "hook_point_head_index": None,
        "dataset_path": "Skylion007/openwebtext", "is_dataset_tokenized": False,
        "context_size": 128, "use_cached_activations": False, "d_in": 4, "d_sae": 8,
        "b_dec_init_method": "geometric_median", "expansion_factor": 2,
        "activation_fn_str": "relu", "apply_b_dec_to_input": True,
        "normalize_activations": False, "lr": 0.0004, "l1_coefficient": 8e-05,
        "device": "cuda", "seed": 42, "dtype": "torch.float32", "prepend_bos": True}
put("sae_cfg", "flat-relu", json.dumps(flat))
put("sae_cfg", "flat-topk", json.dumps(dict(flat, activation_fn_str="topk",
                                            activation_fn_kwargs={"k": 2},
                                            normalize_activations=True)))
put("sae_cfg", "gated-rescale", json.dumps({"architecture": "gated", "d_in": 4, "d_sae": 8.0,
                                            "normalize_activations": "constant_norm_rescale",
                                            "hook_name": "blocks.3.attn.hook_z",
                                            "center_writing_weights": True}))
put("sae_cfg", "expected-average", json.dumps({"d_in": 4, "d_sae": 8, "architecture": None,
                                               "normalize_activations": "expected_average_only_in",
                                               "hook_layer": 2}))

tc = {"architecture": "jumprelu_skip_transcoder", "d_in": 4, "d_sae": 8, "d_out": 4, "apply_b_dec_to_input": False,
      "metadata": {"hook_name": "blocks.0.ln2.hook_normalized", "hook_name_out": "blocks.0.hook_mlp_out"}}
put("sae_cfg", "v6-transcoder", json.dumps(tc))
put("sae_cfg", "v6-topk-rescale", json.dumps(dict(v6k, rescale_acts_by_decoder_norm=True)))
put("sae_cfg", "batchtopk-scaled", json.dumps({"architecture": "batchtopk", "d_in": 4, "d_sae": 8,
                                               "normalize_activations": "expected_average_only_in",
                                               "norm_scaling_factor": 2.5, "reshape_activations": "hook_z"}))

# ------------------------------------------------------------ model config.json (tiny GPT-2)
hf = {"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"],
      "attn_pdrop": 0.1, "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256,
      "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "gpt2",
      "n_ctx": 8, "n_embd": 4, "n_head": 2, "n_layer": 2, "n_positions": 8,
      "resid_pdrop": 0.1, "summary_activation": None, "summary_first_dropout": 0.1,
      "summary_proj_to_labels": True, "summary_type": "cls_index", "summary_use_proj": True,
      "task_specific_params": {"text-generation": {"do_sample": True, "max_length": 50}},
      "vocab_size": 16}
put("model_config", "hf-gpt2", json.dumps(hf, indent=2))
small = {k: hf[k] for k in ("n_layer", "n_head", "n_embd", "vocab_size", "n_ctx")}
put("model_config", "n-ctx-only", json.dumps(small))
put("model_config", "one-head", json.dumps(dict(small, n_head=1, layer_norm_epsilon=0.001,
                                                 model_type="gpt2")))
put("model_config", "wrong-act", json.dumps(dict(hf, activation_function="relu")))
llama = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4, "intermediate_size": 8,
         "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 16,
         "max_position_embeddings": 8, "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "tie_word_embeddings": True,
         "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                          "original_max_position_embeddings": 8192}}
put("model_config", "hf-llama", json.dumps(llama, indent=2))
put("model_config", "qwen3-rope-parameters", json.dumps(dict(llama, model_type="qwen3", head_dim=2, rope_scaling=None,
                                                             rope_parameters={"rope_type": "linear", "factor": 2.0,
                                                                              "rope_theta": 1e6})))
put("model_config", "gemma3-text-config", json.dumps({"model_type": "gemma3", "text_config": dict(
    llama, model_type="gemma3_text", head_dim=2, query_pre_attn_scalar=2, sliding_window=2, sliding_window_pattern=2,
    layer_types=["sliding_attention", "full_attention"], rope_local_base_freq=10000.0)}))
put("model_config", "gemma2-softcaps", json.dumps(dict(llama, model_type="gemma2", head_dim=2, attn_logit_softcapping=50.0,
                                                       final_logit_softcapping=30.0, hidden_activation="gelu")))
put("model_config", "neox", json.dumps({"model_type": "gpt_neox", "hidden_size": 4, "intermediate_size": 8,
                                        "num_hidden_layers": 2, "num_attention_heads": 2, "vocab_size": 16,
                                        "rotary_pct": 0.5, "use_parallel_residual": False}))

# ------------------------------------------------------------ tokenizer
def byte_cp(b):
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    if b in printable:
        return b
    return 256 + [c for c in range(256) if c not in printable].index(b)


alphabet = [chr(byte_cp(b)) for b in range(256)]
merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "w"), ("o", "r"),
          ("Ġw", "or"), ("l", "d"), ("Ġwor", "ld"), ("Ċ", "Ċ"), ("Ã", "©")]
vocab = {c: i for i, c in enumerate(alphabet)}
for a, b in merges:
    vocab[a + b] = len(vocab)
vocab["<|endoftext|>"] = len(vocab)
vocab_json = json.dumps(vocab, ensure_ascii=False)
merges_txt = "#version: 0.2\n" + "".join("%s %s\n" % m for m in merges)
texts = ["Hello the world, it's 2024!\n\nCafé été 日本語",
         " the  world\t\r\n<|endoftext|>'ll 'S  123456",
         "\xff\xfe broken \x80 utf-8 \x00 nul"]
for i, t in enumerate(texts):
    raw = t.encode("utf-8", "surrogateescape") if i < 2 else t.encode("latin-1")
    put("tokenizer", "files-%d" % i,
        b"\x00" + vocab_json.encode() + b"\x00" + merges_txt.encode() + b"\x00" + raw)
    put("tokenizer", "fixed-%d" % i, b"\x01" + raw)
tj = {"version": "1.0", "truncation": None, "padding": None,
      "added_tokens": [{"id": vocab["<|endoftext|>"], "content": "<|endoftext|>",
                        "single_word": False, "lstrip": False, "rstrip": False,
                        "normalized": True, "special": True}],
      "normalizer": None,
      "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                        "use_regex": True},
      "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                         "use_regex": True},
      "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                  "use_regex": True},
      "model": {"type": "BPE", "dropout": None, "unk_token": None,
                "continuing_subword_prefix": "", "end_of_word_suffix": "",
                "fuse_unk": False, "byte_fallback": False, "vocab": vocab,
                "merges": ["%s %s" % m for m in merges]}}
put("tokenizer", "json-strings", b"\x02" + json.dumps(tj, ensure_ascii=False).encode() +
    b"\x00" + texts[0].encode())
tj["model"]["merges"] = [list(m) for m in merges]
put("tokenizer", "json-pairs", b"\x02" + json.dumps(tj).encode() + b"\x00" + texts[1].encode())


def added(i, content, special=True, **kw):
    d = {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": not special, "special": special}
    d.update(kw)
    return d


def template(name, tid):
    return {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": name, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [], "special_tokens": {name: {"id": name, "ids": [tid], "tokens": [name]}}}


byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}
llama_re = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
            r"|\s*[\r\n]+|\s+(?!\S)|\s+")
nv = len(vocab)
# Llama 3's pipeline: Split + ByteLevel without its regex, ignore_merges, a template
llama = json.loads(json.dumps(tj))
llama["added_tokens"] = [added(nv, "<|begin_of_text|>"), added(nv + 1, "<|eot_id|>")]
llama["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": llama_re}, "behavior": "Isolated", "invert": False}, byte_level]}
llama["post_processor"] = {"type": "Sequence", "processors": [dict(byte_level), template("<|begin_of_text|>", nv)]}
llama["model"]["ignore_merges"] = True
put("tokenizer", "json-llama3", b"\x02" + json.dumps(llama).encode() + b"\x00" +
    "<|begin_of_text|>Hello 12345 'LL\n\n<|eot_id|> w\u00f6rld".encode())
# Qwen's: NFC and its pattern (\p{N} alone), non-special added tokens
qwen = json.loads(json.dumps(llama))
qwen["normalizer"] = {"type": "NFC"}
qwen["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = llama_re.replace("\\p{N}{1,3}", "\\p{N}")
qwen["added_tokens"] = [added(nv - 1, "<|endoftext|>"), added(nv, "<think>", special=False)]
qwen["post_processor"] = dict(byte_level)
qwen["model"]["ignore_merges"] = False
put("tokenizer", "json-qwen", b"\x02" + json.dumps(qwen).encode() + b"\x00" +
    "e\u0301t\u00e9 <think>x</think> 2024<|endoftext|>".encode())
# Gemma's: Replace normalizer, byte_fallback, <unk>, decoder Replace + ByteFallback + Fuse
chars = ["<pad>", "<eos>", "<bos>", "<unk>"] + ["<0x%02X>" % b for b in range(256)] + \
    list("abcdefghijklmnopqrstuvwxyz") + ["\u2581", "\u2581a", "\u2581the", "th", "the", "\n\n"]
gvocab = {c: i for i, c in enumerate(chars)}
gemma = {"version": "1.0", "truncation": None, "padding": None,
         "added_tokens": [added(0, "<pad>"), added(1, "<eos>"), added(2, "<bos>"), added(3, "<unk>"),
                          added(len(chars) - 1, "\n\n", special=False, normalized=False)],
         "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
         "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious",
                           "invert": False},
         "post_processor": template("<bos>", 2),
         "decoder": {"type": "Sequence", "decoders": [
             {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
             {"type": "ByteFallback"}, {"type": "Fuse"}]},
         "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                   "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                   "vocab": gvocab, "merges": [["t", "h"], ["th", "e"], ["\u2581", "the"], ["\u2581", "a"]]}}
put("tokenizer", "json-gemma", b"\x02" + json.dumps(gemma).encode() + b"\x00" +
    "the cat\n\n<bos> \u00e9\U0001F600 \xff".encode("utf-8", "surrogateescape"))
# Metaspace, Strip, Digits, Whitespace, Lowercase, Prepend, stripping added tokens
meta = json.loads(json.dumps(gemma))
meta["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "Lowercase"}, {"type": "NFKC"},
                                                          {"type": "Prepend", "prepend": "\u2581"}]}
meta["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
    {"type": "Digits", "individual_digits": True}, {"type": "Whitespace"},
    {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True}]}
meta["added_tokens"].append(added(len(chars) - 2, "the", special=False, lstrip=True, rstrip=True,
                                  single_word=True, normalized=True))
meta["decoder"] = {"type": "Sequence", "decoders": [
    {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
    {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
meta["post_processor"] = None
put("tokenizer", "json-metaspace", b"\x02" + json.dumps(meta).encode() + b"\x00" +
    "The  THE\uff21 123 the,the".encode())

# ------------------------------------------------------------ Neuronpedia JSONL
feature = {"modelId": "gpt2-small", "layer": "6-res-jb", "index": "1234",
           "maxActApprox": 31.5, "frac_nonzero": 0.00123,
           "freq_hist_data_bar_heights": [120, 80, 33, 9, 2],
           "freq_hist_data_bar_values": [0.5, 1.5, 2.5, 3.5, 4.5],
           "logits_hist_data_bar_heights": [3, 10, 4], "logits_hist_data_bar_values": [-0.2, 0, 0.2],
           "pos_str": [" the", " cat", "ing"], "pos_values": [0.91, 0.8, 0.75],
           "neg_str": [" dog", "\n"], "neg_values": [-0.6, -0.55],
           "topkCosSimIndices": [1234, 17, 9001], "topkCosSimValues": [1, 0.31, 0.2],
           "neuron_alignment_indices": [5, 700], "neuron_alignment_values": [0.2, -0.1],
           "hookName": "blocks.6.hook_resid_pre", "hasVector": False, "vector": [],
           "sourceSetName": "res-jb", "creatorId": "clxyz", "decoder_weights_dist": []}
act = {"id": "clabc123", "modelId": "gpt2-small", "layer": "6-res-jb", "index": "1234",
       "tokens": ["<|endoftext|>", "The", " cat", " sat", "\n", " on"],
       "values": [0, 0.5, 12.25, 3, 0, 0.125], "maxValue": 12.25, "maxValueTokenIndex": 2,
       "minValue": 0, "binMin": -1, "binMax": 12.25, "binContains": -1,
       "dfaValues": [], "dfaTargetIndex": None, "dfaMaxValue": None, "dataSource": None,
       "creatorId": "clxyz"}
act2 = dict(act, id=None, index=1234, binMin=2.5, binMax=5.0, binContains=0.25,
            maxValue=None, maxValueTokenIndex=None, minValue=None, values=[0, 4, 1, 0, 0, 0])
expl = {"id": "clexp1", "modelId": "gpt2-small", "layer": "6-res-jb", "index": "1234",
        "description": " references to cats", "typeName": "oai_token-act-pair",
        "explanationModelName": "gpt-4o-mini", "embedding": None, "authorId": "clxyz"}
expl2 = dict(expl, id="clexp2", index=17, embedding="[0.1, -0.2, 0.3]")
expl3 = dict(expl, id="clexp3", embedding=[0.5, 0.25, -1])
model = {"id": "gpt2-small", "displayName": "GPT2-Small", "layers": 12, "dimension": 768,
         "tlensId": "gpt2-small", "owner": "OpenAI", "visibility": "PUBLIC"}
release = {"name": "res-jb", "description": "Residual stream SAEs", "descriptionShort": "res",
           "urls": ["https://example.org/res-jb"], "creatorName": "Joseph Bloom"}
sset = {"modelId": "gpt2-small", "name": "res-jb", "description": "res", "type": "res",
        "creatorName": "Joseph Bloom", "urls": [], "releaseName": "res-jb"}
source = {"id": "6-res-jb", "modelId": "gpt2-small", "setName": "res-jb",
          "hfRepoId": "jbloom/GPT2-Small-SAEs-Reformatted",
          "hfFolderId": "blocks.6.hook_resid_pre",
          "saelensConfig": {"d_sae": 24576, "hook_name": "blocks.6.hook_resid_pre"},
          "num_prompts": 24576, "num_tokens_in_prompt": 128, "dataset": "openwebtext"}


def jl(*rows):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


put("jsonl", "features", b"\x00" + jl(feature, dict(feature, index="17", frac_nonzero=-1)).encode())
put("jsonl", "activations", b"\x01" + jl(act, act2, act).encode())
put("jsonl", "explanations", b"\x00" + jl(expl, expl2, expl3).encode())
put("jsonl", "forced-features", b"\x02" + jl(dict(feature, index=9)).encode())
put("jsonl", "forced-activations", b"\x03" + jl(act2).encode())
put("jsonl", "forced-explanations", b"\x04" + jl(expl).encode())
put("jsonl", "catalog", b"\x00" + jl(model).encode())
put("jsonl", "release", b"\x00" + jl(release).encode())
put("jsonl", "sourceset", b"\x00" + jl(sset).encode())
put("jsonl", "source", b"\x00" + jl(source).encode())
put("jsonl", "strict-bad-line", b"\x06" + (jl(expl) + "{\"index\": \n\n" + jl(expl2)).encode())
put("jsonl", "model-given", b"\x07" + jl({"index": 3, "description": "x"}, act2).encode())
sd = {"model_id": "gpt2-small", "layer": 6, "sae_id_suffix": "res-jb",
      "features": [{"feature_index": 5, "frac_nonzero": 0.01,
                    "freq_hist_data_bar_heights": [1, 2], "freq_hist_data_bar_values": [0.1, 0.2],
                    "logits_hist_data_bar_heights": [1], "logits_hist_data_bar_values": [0],
                    "pos_str": [" a"], "pos_values": [0.3], "neg_str": [" b"], "neg_values": [-0.3],
                    "activations": [{"tokens": ["x", " y"], "values": [0.0, 2.0],
                                     "bin_min": -1, "bin_max": 2.0, "bin_contains": -1,
                                     "qualifying_token_index": 1}]}]}
put("jsonl", "saedashboard", b"\x05" + json.dumps(sd, indent=1).encode())

# ------------------------------------------------------------ explanations CSV
put("csv", "basic", "modelId,layer,index,description,typeName,explanationModelName\n"
    "gpt2-small,6-res-jb,1234, references to cats,oai_token-act-pair,gpt-4o-mini\n"
    "gpt2-small,0-res-jb,7,\"quoted, with a comma\",,\n")
put("csv", "reordered-crlf", "description,index,layer,modelId\r\n"
    "\"multi\r\nline \"\"quoted\"\"\",42,6-res-jb,gpt2-small\r\n"
    "no such source,1,9-res-jb,gpt2-small\r\n")
put("csv", "bad-rows", "modelId,layer,index,description\n"
    "gpt2-small,6-res-jb,-3,negative\n"
    "gpt2-small,6-res-jb,12,\n"
    "gpt2-small,6-res-jb\n"
    "gpt2 small,6-res-jb,1,bad id\n"
    "gpt2-small,6-res-jb,99,fine\n")
put("csv", "no-header-col", "modelId,layer,idx,description\ngpt2-small,6-res-jb,1,x\n")

# ------------------------------------------------------------ feature ids
for i, s in enumerate(["gpt2-small/6-res-jb/1234", "gpt2-small@6-res-jb:42",
                       "https://www.neuronpedia.org/gemma-2-2b/12-gemmascope-res-16k/9001?embed=true",
                       "neuronpedia.org/llama3.1-8b/0-llamascope-res-32k/7/",
                       "http://neuronpedia.org/gpt2-small/e-res-jb/0#top",
                       "gpt2-small/6-res-jb/9007199254740993", "bad id/x/1", "a@b"]):
    put("fid", "id-%d" % i, s)

# ------------------------------------------------------------ JSON documents
api = dict(feature, activations=[act, act2], explanations=[expl],
           model=model, sourceSet=sset)
put("jsonl", "api-feature", b"\x01" + json.dumps(api, indent=1).encode())
put("jsonl", "api-feature-array", b"\x01" + json.dumps([api, dict(api, index="18")]).encode())
put("jsonl", "api-feature-lines", b"\x00" + jl(api, dict(api, index=19)).encode())
sd_late = {"features": sd["features"], "layer": 5, "model_id": "gpt2-small", "sae_id_suffix": "res-sd"}
put("jsonl", "saedashboard-ids-last", b"\x05" + json.dumps(sd_late, sort_keys=True).encode())


# ------------------------------------------------------------ database rows
def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def floats(vals):
    """pack_floats with tag 0 (plain f32), as src/store/pack.h reads it."""
    return uvarint(len(vals)) + (b"\x00" + struct.pack("<%df" % len(vals), *vals) if vals else b"")


def zpack(raw):
    return uvarint(len(raw)) + zlib.compress(raw)


def frec(ids=(0, 1), extra=b'{"hookName":"blocks.9.hook_resid_pre"}'):
    raw = floats([4, 2, 1]) + floats([0.5, 1.5, 2.5]) + floats([]) + floats([])
    for lst in (ids, (), (5, 9)):
        raw += uvarint(len(lst)) + b"".join(uvarint(i) for i in lst) + floats([1.0] * len(lst))
    return zpack(raw + uvarint(len(extra)) + extra)


def actpack(ids=(0, 1, 2), vals=(0.0, 2.5, 1.0)):
    raw = uvarint(1) + struct.pack("<I", 7) + uvarint(len(ids)) + uvarint(1) + floats([2.5, 0, -1, 3, -1])
    raw += b"".join(uvarint(i) for i in ids)
    nz = [(i, v) for i, v in enumerate(vals) if v]
    raw += uvarint(len(nz))
    last = 0
    for i, _ in nz:
        raw += uvarint(i - last)
        last = i + 1
    return zpack(raw + floats([v for _, v in nz]))


def fld(b):
    return b"\xff\xff" if b is None else struct.pack("<H", len(b)) + b


put("dbrows", "unchanged", b"\x00")
put("dbrows", "feature-record", b"\x01" + fld(frec()))
put("dbrows", "feature-record-bad-id", b"\x01" + fld(frec(ids=(0, 4000000000))))
put("dbrows", "activations", b"\x02" + fld(actpack()))
put("dbrows", "activations-token-past", b"\x02" + fld(actpack(ids=(0, 1, 77))))
put("dbrows", "null-description", b"\x04" + fld(None))
put("dbrows", "raw-description", b"\x04" + fld(b" fire \xff\xfe \x1b[2J"))
put("dbrows", "token-near-2-32", b"\x08" + fld(struct.pack("<q", 4294967290)) + fld(b"x"))
put("dbrows", "index-2-63", b"\x10" + fld(struct.pack("<q", 2 ** 63 - 3)))
put("dbrows", "null-model", b"\x20" + fld(None))
put("dbrows", "source-name-escape", b"\x40" + fld(b"9-res\x1b[2J"))
put("dbrows", "nan-density", b"\x80" + fld(struct.pack("<dd", float("nan"), 7.0)))
put("dbrows", "everything", b"\xff" + fld(frec()) + fld(actpack()) + fld(b" x") + fld(struct.pack("<q", 3)) +
    fld(b"y") + fld(struct.pack("<q", 5)) + fld(b"gpt2-small") + fld(b"9-res-jb") + fld(struct.pack("<dd", 1, 0.5)))
