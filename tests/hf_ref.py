#!/usr/bin/env python3
"""hf_ref.py - test helper for tests/families.test (numpy only): tiny random
checkpoints of the Hugging Face model families saex runs besides GPT-2, and
an independent float64 forward pass of each, written from
FORMATS-MODELS.md sections A and B (not from saex's C).

  hf_ref.py write DIR FAMILY [--dtype F32|F16|BF16] [--seed S] [--shards N]
            [--variant NAME[,NAME...]] [--vocab V] [--break KIND]
      FAMILY: llama, qwen2, qwen3, gemma2, gemma3_text, gemma3 (the
      multimodal checkpoint: text_config, language_model. names, vision
      tensors to ignore), gpt_neox. Writes config.json and model.safetensors
      (or N shards and model.safetensors.index.json) in Hugging Face's names
      and layouts. Variants and breaks: see VARIANTS and BREAKS below.
  hf_ref.py check DIR IDS OUTDIR [--tol 1e-4]
      compares every OUTDIR/<hook>.npy and OUTDIR/logits.npy with the
      reference (as tests/gpt2_ref.py check does).
  hf_ref.py greedy DIR IDS N
      prints IDS followed by N greedy tokens, comma-separated.
  hf_ref.py hooks DIR LAYERS
      prints the hook names the model has, one a line.
"""
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_ref import bf16_bits, compare, opt, read_tensors, write_safetensors  # noqa: E402

# ---------------------------------------------------------------- configs
# Tiny shapes that keep every feature of a family in play: grouped heads,
# a head size that is not hidden / heads (Qwen 3, Gemma), a window shorter
# than the test's 20 tokens (Gemma), rope scalings, partial rotary.

BASE = {
    "llama": {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 32,
              "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
              "vocab_size": 96, "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
              "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                               "original_max_position_embeddings": 128},
              "hidden_act": "silu", "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
              "bos_token_id": 1, "torch_dtype": "float32"},
    "qwen2": {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 32, "intermediate_size": 40,
              "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 90,
              "max_position_embeddings": 64, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "hidden_act": "silu",
              "tie_word_embeddings": True, "use_sliding_window": False, "sliding_window": 4, "max_window_layers": 1},
    "qwen3": {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 32, "intermediate_size": 40,
              "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
              "vocab_size": 90, "max_position_embeddings": 64, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
              "hidden_act": "silu", "tie_word_embeddings": False, "attention_bias": False},
    "gemma2": {"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "hidden_size": 32,
               "intermediate_size": 48, "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2,
               "head_dim": 16, "vocab_size": 100, "max_position_embeddings": 64, "rms_norm_eps": 1e-6,
               "rope_theta": 10000.0, "hidden_activation": "gelu_pytorch_tanh", "hidden_act": "gelu_pytorch_tanh",
               "query_pre_attn_scalar": 24, "sliding_window": 4, "attn_logit_softcapping": 3.0,
               "final_logit_softcapping": 2.0, "tie_word_embeddings": True},
    "gemma3_text": {"architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "hidden_size": 32,
                    "intermediate_size": 48, "num_hidden_layers": 3, "num_attention_heads": 4,
                    "num_key_value_heads": 1, "head_dim": 16, "vocab_size": 100, "max_position_embeddings": 64,
                    "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
                    "rope_scaling": {"rope_type": "linear", "factor": 8.0}, "hidden_activation": "gelu_pytorch_tanh",
                    "query_pre_attn_scalar": 16, "sliding_window": 4, "sliding_window_pattern": 3,
                    "attn_logit_softcapping": None, "final_logit_softcapping": None},
    "gpt_neox": {"architectures": ["GPTNeoXForCausalLM"], "model_type": "gpt_neox", "hidden_size": 32,
                 "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2, "vocab_size": 90,
                 "max_position_embeddings": 64, "layer_norm_eps": 1e-5, "rotary_pct": 0.25,
                 "rotary_emb_base": 10000, "use_parallel_residual": True, "hidden_act": "gelu",
                 "tie_word_embeddings": False},
}

# Variants: edits of a family's config (None: delete the key).
VARIANTS = {
    "tied": {"tie_word_embeddings": True},
    "untied": {"tie_word_embeddings": False},
    "bias": {"attention_bias": True, "mlp_bias": True},
    "plain-rope": {"rope_scaling": None},
    # transformers v5 writes rope_parameters instead of rope_theta + rope_scaling
    "rope-parameters": {"rope_theta": None, "rope_scaling": None,
                        "rope_parameters": {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0,
                                            "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                            "original_max_position_embeddings": 128}},
    # keys left to the class defaults (FORMATS-MODELS.md §A.2)
    "defaults": {"num_key_value_heads": None, "rms_norm_eps": None, "rope_theta": None, "rope_scaling": None,
                 "hidden_act": None, "tie_word_embeddings": None},
    "sliding": {"use_sliding_window": True},
    "sequential": {"use_parallel_residual": False},
    "layer-types": {"sliding_window_pattern": None,
                    "layer_types": ["full_attention", "sliding_attention", "full_attention"]},
}

BREAKS = ("heads", "layers-huge", "layers-more", "missing-shard", "passwd", "type", "mlp-width", "missing")


def class_defaults(mt):
    """Hugging Face's configuration_*.py defaults for the keys a test may
    leave out (FORMATS-MODELS.md §A.2)."""
    d = {"rms_norm_eps": 1e-6, "rope_theta": 10000.0, "hidden_act": "silu", "tie_word_embeddings": False,
         "attention_bias": False, "mlp_bias": False, "rope_scaling": None}
    if mt in ("gemma2", "gemma3_text", "gemma3"):
        d.update({"tie_word_embeddings": True, "hidden_activation": "gelu_pytorch_tanh", "query_pre_attn_scalar": 256,
                  "num_key_value_heads": 4, "head_dim": 256, "sliding_window": 4096})
    if mt in ("qwen2", "qwen3"):
        d.update({"num_key_value_heads": 32})
    if mt == "qwen3":
        d.update({"head_dim": 128})
    if mt == "gemma2":
        d.update({"attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0})
    if mt in ("gemma3_text", "gemma3"):
        d.update({"rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "sliding_window_pattern": 6})
    if mt == "gpt_neox":
        d.update({"hidden_act": "gelu", "layer_norm_eps": 1e-5, "rotary_pct": 0.25, "rotary_emb_base": 10000,
                  "use_parallel_residual": True, "attention_bias": True})
    return d


def text_config(cfg):
    """The hyper-parameters: Gemma 3's multimodal config keeps them in
    text_config."""
    if cfg.get("model_type") == "gemma3":
        return cfg["text_config"], "gemma3"
    return cfg, cfg["model_type"]


def get(c, mt, key):
    """config key, or its class default; Llama's key/value heads default to
    the heads, a head size to hidden / heads where the class has none."""
    v = c.get(key)
    if v is None:
        if key == "num_key_value_heads" and key not in class_defaults(mt):
            return c["num_attention_heads"]
        if key == "head_dim" and key not in class_defaults(mt):
            return c["hidden_size"] // c["num_attention_heads"]
        v = class_defaults(mt).get(key)
    return v


# ---------------------------------------------------------------- writing

def names_and_shapes(c, mt):
    """[(name, shape, kind)] of a family's tensors; kind: 'norm' (around 1
    for plain norms, around 0 for Gemma's 1 + w), 'bias', 'w' (weights
    with their fan-in), 'emb'."""
    D, F, V = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    H, L = c["num_attention_heads"], c["num_hidden_layers"]
    KV = get(c, mt, "num_key_value_heads")
    hd = get(c, mt, "head_dim")
    out = []
    if mt == "gpt_neox":
        hd = D // H
        out.append(("gpt_neox.embed_in.weight", (V, D), "emb"))
        for l in range(L):
            p = "gpt_neox.layers.%d." % l
            out += [(p + "input_layernorm.weight", (D,), "norm"), (p + "input_layernorm.bias", (D,), "bias"),
                    (p + "post_attention_layernorm.weight", (D,), "norm"),
                    (p + "post_attention_layernorm.bias", (D,), "bias"),
                    (p + "attention.query_key_value.weight", (3 * D, D), "w"),
                    (p + "attention.query_key_value.bias", (3 * D,), "bias"),
                    (p + "attention.dense.weight", (D, D), "w"), (p + "attention.dense.bias", (D,), "bias"),
                    (p + "mlp.dense_h_to_4h.weight", (F, D), "w"), (p + "mlp.dense_h_to_4h.bias", (F,), "bias"),
                    (p + "mlp.dense_4h_to_h.weight", (D, F), "w"), (p + "mlp.dense_4h_to_h.bias", (D,), "bias")]
        out += [("gpt_neox.final_layer_norm.weight", (D,), "norm"), ("gpt_neox.final_layer_norm.bias", (D,), "bias")]
        if not get(c, mt, "tie_word_embeddings"):
            out.append(("embed_out.weight", (V, D), "w"))
        return out
    gemma = mt in ("gemma2", "gemma3_text", "gemma3")
    pre = "language_model.model." if mt == "gemma3" else "model."
    out.append((pre + "embed_tokens.weight", (V, D), "emb"))
    bias = get(c, mt, "attention_bias") or mt == "qwen2"
    for l in range(L):
        p = pre + "layers.%d." % l
        out += [(p + "input_layernorm.weight", (D,), "norm"),
                (p + "self_attn.q_proj.weight", (H * hd, D), "w"), (p + "self_attn.k_proj.weight", (KV * hd, D), "w"),
                (p + "self_attn.v_proj.weight", (KV * hd, D), "w"), (p + "self_attn.o_proj.weight", (D, H * hd), "w")]
        if bias:
            out += [(p + "self_attn.q_proj.bias", (H * hd,), "bias"), (p + "self_attn.k_proj.bias", (KV * hd,), "bias"),
                    (p + "self_attn.v_proj.bias", (KV * hd,), "bias")]
        if bias and mt != "qwen2":
            out.append((p + "self_attn.o_proj.bias", (D,), "bias"))
        if mt in ("qwen3", "gemma3_text", "gemma3"):
            out += [(p + "self_attn.q_norm.weight", (hd,), "norm"), (p + "self_attn.k_norm.weight", (hd,), "norm")]
        out += [(p + "mlp.gate_proj.weight", (F, D), "w"), (p + "mlp.up_proj.weight", (F, D), "w"),
                (p + "mlp.down_proj.weight", (D, F), "w")]
        if get(c, mt, "mlp_bias"):
            out += [(p + "mlp.gate_proj.bias", (F,), "bias"), (p + "mlp.up_proj.bias", (F,), "bias"),
                    (p + "mlp.down_proj.bias", (D,), "bias")]
        out.append((p + "post_attention_layernorm.weight", (D,), "norm"))
        if gemma:
            out += [(p + "pre_feedforward_layernorm.weight", (D,), "norm"),
                    (p + "post_feedforward_layernorm.weight", (D,), "norm")]
    out.append((pre + "norm.weight", (D,), "norm"))
    if not get(c, mt, "tie_word_embeddings"):
        out.append(("language_model.lm_head.weight" if mt == "gemma3" else "lm_head.weight", (V, D), "w"))
    return out


def encode(a, dtype):
    a = np.asarray(a, dtype=np.float32)
    if dtype == "BF16":
        return bf16_bits(a).astype("<u2").tobytes()
    if dtype == "F16":
        return a.astype("<f2").tobytes()
    return a.astype("<f4").tobytes()


def cmd_write(args):
    d, fam = args.pop(0), args.pop(0)
    dtype = opt(args, "--dtype", "F32")
    seed = opt(args, "--seed", 1)
    shards = opt(args, "--shards", 1)
    variant = opt(args, "--variant", None)
    brk = opt(args, "--break", None)
    vocab = opt(args, "--vocab", 0)
    cfg = json.loads(json.dumps(BASE["gemma3_text" if fam == "gemma3" else fam]))
    if vocab:
        cfg["vocab_size"] = vocab
    for v in (variant.split(",") if variant else []):
        for k, x in VARIANTS[v].items():
            if x is None:
                cfg.pop(k, None)
            else:
                cfg[k] = x
    mt = fam
    if fam == "gemma3":  # the multimodal checkpoint around the same text model
        cfg = {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3", "text_config": cfg,
               "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 8}, "mm_tokens_per_image": 4}
    c, _ = text_config(cfg)
    rng = np.random.default_rng(seed)
    tensors = []
    for name, shape, kind in names_and_shapes(c, mt):
        if kind == "w":
            a = rng.standard_normal(shape) * (1.0 / math.sqrt(shape[-1]))
        elif kind == "emb":
            a = rng.standard_normal(shape) * 0.7
        elif kind == "norm":
            a = rng.standard_normal(shape) * 0.2 + (0.0 if mt.startswith("gemma") else 1.0)
        else:
            a = rng.standard_normal(shape) * 0.1
        tensors.append((name, dtype, shape, encode(a, dtype)))
    if fam == "gemma3":  # a vision tower and projector saex must skip
        tensors += [("vision_tower.vision_model.embeddings.patch_embedding.weight", dtype, (8, 3, 2, 2),
                     encode(rng.standard_normal((8, 3, 2, 2)), dtype)),
                    ("multi_modal_projector.mm_input_projection_weight", dtype, (8, c["hidden_size"]),
                     encode(rng.standard_normal((8, c["hidden_size"])), dtype))]
    if fam == "gpt_neox":  # buffers Hugging Face kept in older files (Pythia's)
        P = c["max_position_embeddings"]
        mask = np.tril(np.ones((P, P), dtype=np.uint8)).reshape(1, 1, P, P)
        for l in range(c["num_hidden_layers"]):
            p = "gpt_neox.layers.%d.attention." % l
            tensors += [(p + "bias", "BOOL", mask.shape, mask.tobytes()),
                        (p + "masked_bias", "F32", (), np.array(-1e9, dtype="<f4").tobytes()),
                        (p + "rotary_emb.inv_freq", "F32", (2,), np.array([1, 0.01], dtype="<f4").tobytes())]
    if brk == "missing":
        tensors = [t for t in tensors if "layers.1.mlp.up_proj" not in t[0] and "layers.1.mlp.dense_h_to_4h.w" not in t[0]]
    if brk == "heads":
        c["num_key_value_heads"] = c["num_attention_heads"]
    if brk == "layers-huge":
        c["num_hidden_layers"] = 10 ** 9
    if brk == "layers-more":
        c["num_hidden_layers"] += 1
    if brk == "mlp-width":
        c["intermediate_size"] += 8
    if brk == "type":
        cfg["model_type"] = "mamba"
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    if shards == 1 and brk not in ("missing-shard", "passwd"):
        write_safetensors(os.path.join(d, "model.safetensors"), tensors)
        return
    shards = max(shards, 2)
    per = (len(tensors) + shards - 1) // shards
    wmap, total = {}, 0
    for i in range(shards):
        fn = "model-%05d-of-%05d.safetensors" % (i + 1, shards)
        part = tensors[i * per:(i + 1) * per]
        write_safetensors(os.path.join(d, fn), part)
        for name, _, _, raw in part:
            wmap[name] = fn
            total += len(raw)
    if brk == "missing-shard":
        os.remove(os.path.join(d, "model-%05d-of-%05d.safetensors" % (shards, shards)))
    if brk == "passwd":
        wmap[tensors[-1][0]] = "../../etc/passwd"
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": wmap}, f, indent=2)


# ---------------------------------------------------------------- reading

def read_weights(d):
    out = {}
    single = os.path.join(d, "model.safetensors")
    if os.path.exists(single):
        read_tensors(single, out)
    else:
        with open(os.path.join(d, "model.safetensors.index.json")) as f:
            for fn in sorted(set(json.load(f)["weight_map"].values())):
                read_tensors(os.path.join(d, fn), out)
    return out


def load(d):
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    return cfg, read_weights(d)


# ---------------------------------------------------------------- the math

def rms_normalized(x, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps)


def ln_normalized(x, eps):
    mu = x.mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps)


def silu(z):
    return z / (1 + np.exp(-z))


def gelu_tanh(z):
    return 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z ** 3)))


def gelu_erf(z):
    erf = np.vectorize(math.erf)
    return 0.5 * z * (1 + erf(z / math.sqrt(2)))


ACTS = {"silu": silu, "swish": silu, "gelu_pytorch_tanh": gelu_tanh, "gelu_new": gelu_tanh, "gelu": gelu_erf}


def inv_freq(r, base, scaling):
    """Section A.3: inv_i = base^(-2i/r), then the llama3 or linear scaling."""
    inv = np.array([base ** (-2.0 * i / r) for i in range(r // 2)])
    if not scaling:
        return inv
    kind = scaling.get("rope_type", scaling.get("type"))
    if kind == "linear":
        return inv / scaling["factor"]
    if kind == "llama3":
        f, lo, hi, l0 = (scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"],
                         scaling["original_max_position_embeddings"])
        out = []
        for v in inv:
            lam = 2 * math.pi / v
            if lam > l0 / lo:
                out.append(v / f)
            elif lam < l0 / hi:
                out.append(v)
            else:
                s = (l0 / lam - lo) / (hi - lo)
                out.append((1 - s) * v / f + s * v)
        return np.array(out)
    assert kind in (None, "default"), kind
    return inv


def rope(x, inv):
    """x [T, heads, hd]: rotate_half on the first r = 2 len(inv) dims."""
    r = 2 * len(inv)
    T = x.shape[0]
    th = np.arange(T)[:, None] * inv[None, :]
    c, s = np.cos(th)[:, None, :], np.sin(th)[:, None, :]
    a, b = x[..., :r // 2], x[..., r // 2:r]
    y = x.copy()
    y[..., :r // 2] = a * c - b * s
    y[..., r // 2:r] = b * c + a * s
    return y


def attention(q, k, v, scale, softcap, window):
    """q [T, H, hd], k/v [T, KV, hd]: causal, GQA, optional softcap and window."""
    T, H, hd = q.shape
    KV = k.shape[1]
    z = np.zeros((T, H, hd))
    i, j = np.arange(T)[:, None], np.arange(T)[None, :]
    hidden = j > i
    if window:
        hidden = hidden | (j <= i - window)
    for h in range(H):
        g = h // (H // KV)
        s = q[:, h] @ k[:, g].T * scale
        if softcap:
            s = softcap * np.tanh(s / softcap)
        s[hidden] = -np.inf
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        z[:, h] = p @ v[:, g]
    return z


def rope_for(c, mt, r):
    """(global inv, local inv) of section A.3/A.6, rope_parameters or rope_theta + rope_scaling."""
    p = c.get("rope_parameters")
    if p and "full_attention" in p:
        g = inv_freq(r, p["full_attention"].get("rope_theta", get(c, mt, "rope_theta")), p["full_attention"])
        sl = p.get("sliding_attention", {})
        return g, inv_freq(r, sl.get("rope_theta", get(c, mt, "rope_local_base_freq")), None)
    if p:
        base, scaling = p.get("rope_theta", get(c, mt, "rope_theta")), p
    else:
        base, scaling = get(c, mt, "rope_theta"), c.get("rope_scaling")
    g = inv_freq(r, base, scaling)
    if mt in ("gemma3_text", "gemma3"):
        return g, inv_freq(r, get(c, mt, "rope_local_base_freq"), None)
    return g, g


def sliding(c, mt, l):
    """Whether layer l uses the window (sections A.2, A.5, A.6)."""
    if c.get("layer_types"):
        return c["layer_types"][l] == "sliding_attention"
    if mt == "gemma2":
        return (l + 1) % 2 == 1
    if mt in ("gemma3_text", "gemma3"):
        return (l + 1) % get(c, mt, "sliding_window_pattern") != 0
    if mt in ("qwen2", "qwen3"):
        return bool(c.get("use_sliding_window")) and l >= c.get("max_window_layers", 28)
    return False


def forward(wt, cfg, ids, steer=None):
    """Every hook of section B and the logits, in float64. steer: None or
    {hook name: function(x) -> x} applied where the hook is, as a hook that
    writes would."""
    c, mt = text_config(cfg)
    if mt == "gpt_neox":
        return forward_neox(wt, c, ids, steer)
    gemma = mt in ("gemma2", "gemma3_text", "gemma3")
    pre = ("language_model.model." if "language_model.model.embed_tokens.weight" in wt else
           "model.language_model." if "model.language_model.embed_tokens.weight" in wt else "model.")
    D, H, L = c["hidden_size"], c["num_attention_heads"], c["num_hidden_layers"]
    KV, hd = get(c, mt, "num_key_value_heads"), get(c, mt, "head_dim")
    eps = get(c, mt, "rms_norm_eps")
    act = ACTS[get(c, mt, "hidden_activation" if gemma else "hidden_act")]
    T = len(ids)
    inv_g, inv_l = rope_for(c, mt, hd)
    scale = get(c, mt, "query_pre_attn_scalar") ** -0.5 if gemma else hd ** -0.5
    softcap = get(c, mt, "attn_logit_softcapping") if gemma else None
    hooks = {}

    def at(name, v):
        hooks[name] = v.copy()
        return steer[name](v) if steer and name in steer else v

    def norm(x, w):  # Gemma: (1 + w)
        return rms_normalized(x, eps) * ((1 + w) if gemma else w)

    def lin(x, name):
        y = x @ wt[name + ".weight"].T
        return y + wt[name + ".bias"] if name + ".bias" in wt else y

    x = wt[pre + "embed_tokens.weight"][ids]
    if gemma:
        x = x * math.sqrt(D)
    x = at("hook_embed", x)
    for l in range(L):
        p = pre + "layers.%d." % l
        x = at("blocks.%d.hook_resid_pre" % l, x)
        hooks["blocks.%d.ln1.hook_normalized" % l] = rms_normalized(x, eps)
        a = norm(x, wt[p + "input_layernorm.weight"])
        q = lin(a, p + "self_attn.q_proj").reshape(T, H, hd)
        k = lin(a, p + "self_attn.k_proj").reshape(T, KV, hd)
        v = lin(a, p + "self_attn.v_proj").reshape(T, KV, hd)
        if p + "self_attn.q_norm.weight" in wt:
            q = norm(q, wt[p + "self_attn.q_norm.weight"])
            k = norm(k, wt[p + "self_attn.k_norm.weight"])
        slide = sliding(c, mt, l)
        inv = inv_l if slide else inv_g
        q, k = rope(q, inv), rope(k, inv)
        z = attention(q, k, v, scale, softcap, get(c, mt, "sliding_window") if slide else 0).reshape(T, H * hd)
        z = at("blocks.%d.attn.hook_z" % l, z)
        ao = lin(z, p + "self_attn.o_proj")
        if gemma:
            ao = norm(ao, wt[p + "post_attention_layernorm.weight"])
        ao = at("blocks.%d.hook_attn_out" % l, ao)
        x = at("blocks.%d.hook_resid_mid" % l, x + ao)
        hooks["blocks.%d.ln2.hook_normalized" % l] = rms_normalized(x, eps)
        m = norm(x, wt[p + ("pre_feedforward_layernorm.weight" if gemma else "post_attention_layernorm.weight")])
        m = at("blocks.%d.mlp.hook_in" % l, m)
        h = act(lin(m, p + "mlp.gate_proj")) * lin(m, p + "mlp.up_proj")
        h = at("blocks.%d.mlp.hook_post" % l, h)
        mo = lin(h, p + "mlp.down_proj")
        if gemma:
            mo = norm(mo, wt[p + "post_feedforward_layernorm.weight"])
        mo = at("blocks.%d.hook_mlp_out" % l, mo)
        x = at("blocks.%d.hook_resid_post" % l, x + mo)
    head = "language_model.lm_head.weight" if "language_model.lm_head.weight" in wt else "lm_head.weight"
    wu = wt[pre + "embed_tokens.weight"] if get(c, mt, "tie_word_embeddings") or head not in wt else wt[head]
    logits = norm(x, wt[pre + "norm.weight"]) @ wu.T
    cap = get(c, mt, "final_logit_softcapping") if gemma else None
    if cap:
        logits = cap * np.tanh(logits / cap)
    return hooks, logits


def forward_neox(wt, c, ids, steer):
    """Section A.7: LayerNorm, fused per-head qkv, partial rotary, parallel residual."""
    mt = "gpt_neox"
    D, H, L = c["hidden_size"], c["num_attention_heads"], c["num_hidden_layers"]
    hd, eps, T = D // H, get(c, mt, "layer_norm_eps"), len(ids)
    inv = inv_freq(int(hd * get(c, mt, "rotary_pct")), get(c, mt, "rotary_emb_base"), None)
    act = ACTS[get(c, mt, "hidden_act")]
    parallel = get(c, mt, "use_parallel_residual")
    hooks = {}

    def at(name, v):
        hooks[name] = v.copy()
        return steer[name](v) if steer and name in steer else v

    def ln(x, p):
        return ln_normalized(x, eps) * wt[p + ".weight"] + wt[p + ".bias"]

    def lin(x, p):
        return x @ wt[p + ".weight"].T + wt[p + ".bias"]

    x = at("hook_embed", wt["gpt_neox.embed_in.weight"][ids])
    for l in range(L):
        p = "gpt_neox.layers.%d." % l
        x = at("blocks.%d.hook_resid_pre" % l, x)
        hooks["blocks.%d.ln1.hook_normalized" % l] = ln_normalized(x, eps)
        qkv = lin(ln(x, p + "input_layernorm"), p + "attention.query_key_value").reshape(T, H, 3 * hd)
        q, k, v = qkv[..., :hd], qkv[..., hd:2 * hd], qkv[..., 2 * hd:]
        z = at("blocks.%d.attn.hook_z" % l, attention(rope(q, inv), rope(k, inv), v, hd ** -0.5, None, 0).reshape(T, D))
        ao = at("blocks.%d.hook_attn_out" % l, lin(z, p + "attention.dense"))
        if not parallel:
            x = at("blocks.%d.hook_resid_mid" % l, x + ao)
        hooks["blocks.%d.ln2.hook_normalized" % l] = ln_normalized(x, eps)
        m = at("blocks.%d.mlp.hook_in" % l, ln(x, p + "post_attention_layernorm"))
        h = at("blocks.%d.mlp.hook_post" % l, act(lin(m, p + "mlp.dense_h_to_4h")))
        mo = at("blocks.%d.hook_mlp_out" % l, lin(h, p + "mlp.dense_4h_to_h"))
        x = at("blocks.%d.hook_resid_post" % l, x + ao + mo if parallel else x + mo)
    wu = wt["embed_out.weight"] if "embed_out.weight" in wt else wt["gpt_neox.embed_in.weight"]
    return hooks, ln(x, "gpt_neox.final_layer_norm") @ wu.T


# ---------------------------------------------------------------- commands

def cmd_check(args):
    d, ids, outdir = args[0], [int(i) for i in args[1].split(",")], args[2]
    tol = opt(args, "--tol", 1e-4)
    cfg, wt = load(d)
    hooks, logits = forward(wt, cfg, ids)
    hooks["logits"] = logits
    bad = seen = 0
    for name in sorted(os.listdir(outdir)):
        if not name.endswith(".npy"):
            continue
        key = name[:-4]
        if key not in hooks:
            print("# %s: no such reference" % name)
            bad += 1
            continue
        got, want = np.load(os.path.join(outdir, name)), hooks[key]
        seen += 1
        if got.dtype != np.float32 or got.shape != want.shape:
            print("# %s: got %s %s, want float32 %s" % (key, got.dtype, got.shape, want.shape))
            bad += 1
            continue
        ok, rel, ab = compare(got.astype(np.float64), want, tol)
        print("# %-28s max rel err %.2e  max abs err/max %.2e%s" % (key, rel, ab, "" if ok else "  FAILED"))
        bad += not ok
    if seen < len(hooks):
        print("# %d of %d arrays compared" % (seen, len(hooks)))
        bad += 1
    return 1 if bad else 0


def main():
    args = sys.argv[1:]
    cmd = args.pop(0) if args else ""
    if cmd == "write":
        cmd_write(args)
        return 0
    if cmd == "check":
        return cmd_check(args)
    if cmd == "greedy":
        d, ids, n = args[0], [int(i) for i in args[1].split(",")], int(args[2])
        cfg, wt = load(d)
        for _ in range(n):
            ids.append(int(np.argmax(forward(wt, cfg, ids)[1][-1])))
        print(",".join(map(str, ids)))
        return 0
    if cmd == "hooks":
        cfg, wt = load(args[0])
        print("\n".join(n for n in forward(wt, cfg, [0])[0]))
        return 0
    print(__doc__, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
