#!/usr/bin/env python3
"""torch_models.py - the live test of bench/bench_models.c in PyTorch on the
CPU, on the same files: 64 tokens through a Gemma-2- or Llama-shaped model
to layer L (blocks.L.hook_resid_post) and the standard SAE's encode of them.
The model is written here from FORMATS-MODELS.md (Debian's python3-torch has
no transformers); weights are read from model.safetensors and converted once
to the compute dtype before timing, as from_pretrained(torch_dtype=...)
does.

  torch_models.py DIR [--dtype float32|bfloat16] [--layer L] [--reps N] [--threads N]

DIR is bench_models' folder (DIR/model, DIR/sae-L). Prints the median time
and one "RESULT torch_live_ms=..." line.
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch


def read_st(path, want, dtype):
    """The tensors of path whose names want(name) accepts, as torch dtype."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    out = {}
    for name, e in header.items():
        if name == "__metadata__" or not want(name):
            continue
        b, end = e["data_offsets"]
        if e["dtype"] == "BF16":
            u = np.frombuffer(raw[b:end], dtype="<u2").astype(np.uint32) << 16
            t = torch.from_numpy(u.view(np.float32).reshape(e["shape"]))
        elif e["dtype"] == "F16":
            t = torch.from_numpy(np.frombuffer(raw[b:end], dtype="<f2").astype(np.float32).reshape(e["shape"]))
        else:
            t = torch.from_numpy(np.frombuffer(raw[b:end], dtype="<f4").copy().reshape(e["shape"]))
        out[name] = t.to(dtype)
    return out


def main():
    a = sys.argv[1:]
    d = a.pop(0)
    o = {"--dtype": "float32", "--layer": "20", "--reps": "3", "--threads": str(os.cpu_count())}
    for i in range(0, len(a), 2):
        o[a[i]] = a[i + 1]
    dtype = getattr(torch, o["--dtype"])
    L, reps = int(o["--layer"]), int(o["--reps"])
    torch.set_num_threads(int(o["--threads"]))
    cfg = json.load(open(os.path.join(d, "model", "config.json")))
    gemma = cfg["model_type"] == "gemma2"
    D, H, KV = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim", D // H)
    eps = cfg["rms_norm_eps"]

    def want(name):
        if not name.startswith("model.layers."):
            return name == "model.embed_tokens.weight"
        return int(name.split(".")[2]) <= L

    w = read_st(os.path.join(d, "model", "model.safetensors"), want, dtype)
    sae = read_st(os.path.join(d, "sae-%d" % L, "sae_weights.safetensors"), lambda n: True, dtype)
    base = cfg["rope_theta"]
    inv = 1.0 / (base ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
    T = 64
    ids = torch.from_numpy(np.random.default_rng(42).integers(0, cfg["vocab_size"], T))
    pos = torch.arange(T, dtype=torch.float32)[:, None] * inv[None, :]
    cos, sin = torch.cat([pos.cos()] * 2, -1).to(dtype), torch.cat([pos.sin()] * 2, -1).to(dtype)
    mask = torch.full((T, T), float("-inf")).triu(1).to(dtype)
    scale = (cfg["query_pre_attn_scalar"] if gemma else hd) ** -0.5
    cap = cfg.get("attn_logit_softcapping") if gemma else None

    def norm(x, wt):
        x32 = x.float()
        y = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps)
        return (y * ((1 + wt.float()) if gemma else wt.float())).to(dtype)

    def rot(x):
        h = x.shape[-1] // 2
        return x * cos + torch.cat([-x[..., h:], x[..., :h]], -1) * sin

    def run():
        x = w["model.embed_tokens.weight"][ids]
        if gemma:
            x = x * torch.tensor(math.sqrt(D), dtype=dtype)
        for l in range(L + 1):
            p = "model.layers.%d." % l
            a = norm(x, w[p + "input_layernorm.weight"])
            q = (a @ w[p + "self_attn.q_proj.weight"].T).view(T, H, hd).transpose(0, 1)
            k = (a @ w[p + "self_attn.k_proj.weight"].T).view(T, KV, hd).transpose(0, 1)
            v = (a @ w[p + "self_attn.v_proj.weight"].T).view(T, KV, hd).transpose(0, 1)
            q, k = rot(q), rot(k)
            k, v = k.repeat_interleave(H // KV, 0), v.repeat_interleave(H // KV, 0)
            s = q @ k.transpose(1, 2) * scale
            if cap:
                s = cap * torch.tanh(s / cap)
            z = torch.softmax(s + mask, -1) @ v
            ao = z.transpose(0, 1).reshape(T, H * hd) @ w[p + "self_attn.o_proj.weight"].T
            if gemma:
                ao = norm(ao, w[p + "post_attention_layernorm.weight"])
            x = x + ao
            m = norm(x, w[p + ("pre_feedforward_layernorm.weight" if gemma else "post_attention_layernorm.weight")])
            g = m @ w[p + "mlp.gate_proj.weight"].T
            act = torch.nn.functional.gelu(g, approximate="tanh") if gemma else torch.nn.functional.silu(g)
            mo = (act * (m @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
            if gemma:
                mo = norm(mo, w[p + "post_feedforward_layernorm.weight"])
            x = x + mo
        return torch.relu((x - sae["b_dec"]) @ sae["W_enc"] + sae["b_enc"])

    times = []
    with torch.no_grad():
        run()
        for _ in range(reps):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
    ms = sorted(times)[len(times) // 2] * 1e3
    print("[torch] 64 tokens to layer %d + encode, %s, %d threads: %.1f ms" % (L, o["--dtype"],
                                                                          torch.get_num_threads(), ms))
    print("RESULT torch_live_ms=%.1f torch_dtype=%s" % (ms, o["--dtype"]))


if __name__ == "__main__":
    main()
