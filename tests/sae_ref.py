#!/usr/bin/env python3
"""sae_ref.py - test helper for tests/sae.test and tests/steer.test (numpy
only): SAEs and transcoders laid out as each publisher lays them out, and
an independent float64 implementation of each publisher's formulas.

  sae_ref.py write DIR [options]     a random SAE folder and DIR/X.npy;
                                     --format saelens (default), gemmascope,
                                     gemmascope2, llamascope or sparsify
  sae_ref.py check DIR X F [R]       F (and R) from `saex encode` against the
                                     reference of the folder's layout; prints
                                     the largest relative errors, exits 1 on
                                     disagreement
  sae_ref.py npz-bad DIR             hostile and damaged .npz files (one
                                     folder each) for the error tests
  sae_ref.py npz-big DIR             a sparse Gemma Scope params.npz whose
                                     members pass 4 GiB (ZIP64 offsets/sizes)

The references follow the publishers' code as read in their sources:
SAELens sae_lens/saes/*.py and loading/pretrained_sae_loaders.py (folds),
the Gemma Scope and Gemma Scope 2 tutorials (JumpReLU, x @ affine skip),
Language-Model-SAEs (Llama Scope's hyperparams, as SAELens folds them) and
EleutherAI sparsify sparse_coder.py / fused_encoder.py. NumPy reads the
.npz files itself (np.load), independently of saex's zip reader.
"""
import argparse
import json
import os
import struct
import sys
import zipfile
import zlib

import numpy as np


# ---------------------------------------------------------------- files

def bf16(a):
    """float32 -> bfloat16 bits (round to nearest even) as uint16."""
    u = np.ascontiguousarray(a, dtype="<f4").view("<u4").astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return u.astype("<u2")


def write_safetensors(path, tensors, dtype="F32"):
    header, blobs, off = {}, [], 0
    for name, a in tensors.items():
        a = np.asarray(a, dtype=np.float32)
        b = (bf16(a) if dtype == "BF16" else np.ascontiguousarray(a, dtype="<f4")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        h = json.loads(fh.read(n))
        data = fh.read()
    out = {}
    for k, v in h.items():
        if k == "__metadata__":
            continue
        raw = data[v["data_offsets"][0]:v["data_offsets"][1]]
        if v["dtype"] == "BF16":
            a = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(raw, "<f4")
        out[k] = a.reshape(v["shape"])
    return out


def npy_bytes(a):
    """A .npy file's bytes, as numpy writes it."""
    import io
    b = io.BytesIO()
    np.save(b, np.ascontiguousarray(a, dtype="<f4"))
    return b.getvalue()


def write_zip(path, members, zip64=False):
    """A zip written by hand: members = [(name, data, method[, payload])]
    with data bytes, method 0 (stored) or 8 (deflated); payload, when given,
    is written as the member's bytes instead of data's (hostile cases),
    data still giving the stated size and CRC. zip64: ZIP64 extras in the
    central directory and a ZIP64 end record, as numpy's writer makes for
    members over 4 GiB."""
    central, off = [], 0
    with open(path, "wb") as f:
        for name, data, method, *payload in members:
            nm = name.encode()
            size, crc = len(data), zlib.crc32(data)
            comp = payload[0] if payload else data if method == 0 else zlib.compress(data, 6)[2:-4]
            csize = len(comp)
            extra = struct.pack("<HHQQ", 1, 16, size, csize)  # local ZIP64 extra, as numpy writes
            f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                                len(nm), len(extra)) + nm + extra)
            f.write(comp)
            central.append((nm, method, crc, size, csize, off))
            off = f.tell()
        cd_off = off
        for nm, method, crc, size, csize, loc in central:
            big = zip64 or size >= 0xFFFFFFFF or loc >= 0xFFFFFFFF
            extra = struct.pack("<HHQQQ", 1, 24, size, csize, loc) if big else b""
            f.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 0x21, crc,
                                0xFFFFFFFF if big else csize, 0xFFFFFFFF if big else size, len(nm), len(extra), 0, 0,
                                0, 0, 0xFFFFFFFF if big else loc) + nm + extra)
        cd_end = f.tell()
        n = len(central)
        if zip64 or cd_off >= 0xFFFFFFFF:
            f.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, cd_end - cd_off, cd_off))
            f.write(struct.pack("<IIQI", 0x07064B50, 0, cd_end, 1))
            f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
        else:
            f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, cd_end - cd_off, cd_off, 0))


def write_npz(path, tensors, how):
    if how == "stored":
        np.savez(path, **tensors)
    elif how == "deflated":
        np.savez_compressed(path, **tensors)
    else:  # zip64: by hand, the central directory in ZIP64 form
        write_zip(path, [(k + ".npy", npy_bytes(v), 0) for k, v in tensors.items()], zip64=True)


# ---------------------------------------------------------------- writers

def rand_x(rng, a, width=None):
    w = width or a.d_in
    return (rng.normal(0, 1.5, (a.n, w)) + rng.normal(0, 0.5, w)).astype(np.float32)


def rand_sae(rng, di, ds, dout=None):
    dout = dout or di
    return {
        "W_enc": rng.normal(0, 1 / np.sqrt(di), (di, ds)).astype(np.float32),
        "W_dec": rng.normal(0, 1 / np.sqrt(ds), (ds, dout)).astype(np.float32),
        "b_dec": rng.normal(0, 0.3, dout).astype(np.float32),
        "b_enc": rng.normal(0, 0.2, ds).astype(np.float32),
        "threshold": rng.uniform(0, 0.5, ds).astype(np.float32),
        "b_gate": rng.normal(0, 0.2, ds).astype(np.float32),
        "b_mag": rng.normal(0, 0.2, ds).astype(np.float32),
        "r_mag": rng.normal(0, 0.3, ds).astype(np.float32),
        "W_skip": rng.normal(0, 0.2, (dout, di)).astype(np.float32),
    }


TRANSCODERS = {"transcoder", "jumprelu_transcoder", "skip_transcoder", "jumprelu_skip_transcoder"}


def write_saelens(a, rng):
    di, ds = a.d_in, a.d_sae
    arch = a.arch
    dout = a.d_out or di
    if a.crafted:  # identity encoder: pre = x exactly
        assert di == ds
        t = {"W_enc": np.eye(di, dtype=np.float32), "W_dec": np.eye(di, dtype=np.float32),
             "b_dec": np.zeros(di, np.float32), "b_enc": np.zeros(ds, np.float32),
             "threshold": np.full(ds, 0.5, np.float32)}
    else:
        t = rand_sae(rng, di, ds, dout)
    if a.rescale:  # decoder rows far from unit norm, so that the rescale matters
        t["W_dec"] *= rng.uniform(0.3, 3, (ds, 1)).astype(np.float32)
    keep = {"W_enc", "W_dec", "b_dec"}
    keep |= {"b_gate", "b_mag", "r_mag"} if arch == "gated" else {"b_enc"}
    if arch in ("jumprelu", "batchtopk", "matryoshka_batchtopk") or arch.startswith("jumprelu_"):
        keep.add("threshold")
    if "skip" in arch:
        keep.add("W_skip")
    if a.topk_threshold is not None:
        keep.discard("threshold")
        t["topk_threshold"] = np.array(a.topk_threshold, np.float32)
        keep.add("topk_threshold")
    t = {k: v for k, v in t.items() if k in keep and k != a.drop}
    if a.bad_shape:
        t[a.bad_shape] = np.zeros((t[a.bad_shape].shape[0] + 1,) + t[a.bad_shape].shape[1:], np.float32)
    write_safetensors(os.path.join(a.dir, "sae_weights.safetensors"), t)
    hook = a.hook or "blocks.%d.hook_resid_pre" % a.layer
    if a.form == "v6":
        cfg = {"architecture": arch, "d_in": di, "d_sae": ds, "dtype": "float32", "device": "cpu",
               "apply_b_dec_to_input": not a.no_bdec and arch not in TRANSCODERS, "normalize_activations": a.norm,
               "metadata": {"model_name": a.model, "hook_name": hook, "hook_head_index": None,
                            "context_size": 128, "prepend_bos": True, "sae_lens_version": "6.18.0",
                            "model_from_pretrained_kwargs": {"center_writing_weights": a.cww}}}
        if arch in TRANSCODERS:
            cfg["d_out"] = dout
            cfg["metadata"]["hook_name_out"] = a.hook_out
        if arch == "topk":
            cfg["k"] = a.k
            cfg["rescale_acts_by_decoder_norm"] = a.rescale
        elif a.rescale:
            cfg["rescale_acts_by_decoder_norm"] = True
        if a.norm_factor:
            cfg["norm_scaling_factor"] = a.norm_factor
        if a.reshape:
            cfg["reshape_activations"] = a.reshape
    else:
        cfg = {"architecture": "standard" if arch == "topk" else arch, "d_in": di, "d_sae": ds,
               "hook_point": hook, "hook_point_layer": a.layer, "model_name": a.model,
               "apply_b_dec_to_input": not a.no_bdec,
               "activation_fn_str": "topk" if arch == "topk" else "relu",
               "model_from_pretrained_kwargs": {"center_writing_weights": a.cww}}
        if arch == "topk":
            cfg["activation_fn_kwargs"] = {"k": a.k}
        if a.norm == "none":
            cfg["normalize_activations"] = False
        elif a.norm == "expected_average_only_in":
            cfg["normalize_activations"] = True
        else:
            cfg["normalize_activations"] = a.norm
    if a.arch_raw:
        cfg["architecture"] = a.arch_raw
    with open(os.path.join(a.dir, "cfg.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    if a.crafted:
        # ties at the top-k boundary and values exactly at the JumpReLU threshold
        x = np.zeros((4, di), np.float32)
        x[0, :] = 0.25
        x[0, 3] = 0.5
        x[1, :] = 0.5
        x[2, :] = np.arange(di, dtype=np.float32) % 3 * 0.5
        x[3, :] = -1
        x[3, di - 1] = 0.5000001
        return x
    return rand_x(rng, a, a.x_width)


def write_gemmascope(a, rng):
    di, ds = a.d_in, a.d_sae
    t = rand_sae(rng, di, ds)
    t = {k: t[k] for k in ("W_dec", "W_enc", "b_dec", "b_enc", "threshold")}  # Gemma Scope's order
    t = {(k.lower() if a.lower and k.startswith("W_") else k): v for k, v in t.items() if k != a.drop}
    write_npz(os.path.join(a.dir, "params.npz"), t, a.zip)
    return rand_x(rng, a, a.x_width)


def write_gemmascope2(a, rng):
    di, ds = a.d_in, a.d_sae
    t = rand_sae(rng, di, ds)
    p = {"w_enc": t["W_enc"], "w_dec": t["W_dec"], "b_enc": t["b_enc"], "b_dec": t["b_dec"],
         "threshold": t["threshold"]}
    if a.affine:  # [d_in, d_out], added as x @ W
        p["affine_skip_connection"] = rng.normal(0, 0.2, (di, di)).astype(np.float32)
    write_safetensors(os.path.join(a.dir, "params.safetensors"), p)
    if not a.no_config:
        L = a.layer
        hooks = {"resid_post": ("model.layers.%d.output" % L, None),
                 "attn_out": ("model.layers.%d.self_attn.o_proj.input" % L, None),
                 "mlp_out": ("model.layers.%d.post_feedforward_layernorm.output" % L, None),
                 "transcoder": ("model.layers.%d.pre_feedforward_layernorm.output" % L,
                                "model.layers.%d.post_feedforward_layernorm.output" % L)}[a.site]
        cfg = {"hf_hook_point_in": hooks[0], "hf_hook_point_out": hooks[1] or hooks[0], "width": ds,
               "model_name": "gemma-v3-1b-pt", "architecture": "jump_relu", "l0": 10,
               "affine_connection": bool(a.affine), "type": "transcoder" if a.site == "transcoder" else "sae"}
        with open(os.path.join(a.dir, "config.json"), "w") as f:
            json.dump(cfg, f)
    return rand_x(rng, a, a.x_width)


def write_llamascope(a, rng):
    di, ds = a.d_in, a.d_sae
    t = rand_sae(rng, di, ds)
    norm_in, norm_out = a.norm_in, a.norm_out or a.norm_in
    os.makedirs(os.path.join(a.dir, "checkpoints"), exist_ok=True)
    # trained on x * s: a bias and threshold of the scale of the normalised input
    w = {"encoder.weight": t["W_enc"].T, "encoder.bias": t["b_enc"], "decoder.weight": t["W_dec"].T,
         "decoder.bias": t["b_dec"]}
    write_safetensors(os.path.join(a.dir, "checkpoints", "final.safetensors"), w, a.dtype)
    hook = a.hook or "blocks.%d.hook_resid_post" % a.layer
    hp = {"d_model": di, "d_sae": ds, "hook_point_in": hook, "hook_point_out": a.hook_out or hook,
          "act_fn": a.act_fn, "jump_relu_threshold": a.theta, "norm_activation": "dataset-wise",
          "dataset_average_activation_norm": {"in": norm_in, "out": norm_out},
          "sparsity_include_decoder_norm": True, "apply_decoder_bias_to_pre_encoder": False,
          "top_k": 50, "expansion_factor": ds // di, "use_decoder_bias": True}
    with open(os.path.join(a.dir, "hyperparams.json"), "w") as f:
        json.dump(hp, f)
    # inputs of the scale the SAE was trained for: |x| about norm_in
    x = rand_x(rng, a, a.x_width)
    x = x / np.linalg.norm(x, axis=1, keepdims=True) * norm_in * rng.uniform(0.5, 1.5, (len(x), 1))
    return x.astype(np.float32)


def write_sparsify(a, rng):
    di, ds = a.d_in, a.d_sae
    t = rand_sae(rng, di, ds)
    w = {"encoder.weight": t["W_enc"].T, "encoder.bias": t["b_enc"], "W_dec": t["W_dec"], "b_dec": t["b_dec"]}
    if a.skip:
        w["W_skip"] = rng.normal(0, 0.2, (di, di)).astype(np.float32)
    write_safetensors(os.path.join(a.dir, "sae.safetensors"), w, a.dtype)
    cfg = {"activation": a.activation, "expansion_factor": ds // di, "normalize_decoder": True,
           "num_latents": ds, "k": a.k, "multi_topk": False, "skip_connection": a.skip, "transcode": a.transcode,
           "d_in": di}
    with open(os.path.join(a.dir, "cfg.json"), "w") as f:
        json.dump(cfg, f)
    root = os.path.dirname(os.path.abspath(a.dir))
    with open(os.path.join(root, "config.json"), "w") as f:
        json.dump({"model": a.model, "dataset": "togethercomputer/RedPajama-Data-1T-Sample", "ctx_len": 2048}, f)
    return rand_x(rng, a, a.x_width)


def cmd_write(a):
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.dir, exist_ok=True)
    x = {"saelens": write_saelens, "gemmascope": write_gemmascope, "gemmascope2": write_gemmascope2,
         "llamascope": write_llamascope, "sparsify": write_sparsify}[a.format](a, rng)
    np.save(os.path.join(a.dir, "X.npy"), x)


# ---------------------------------------------------------------- references

def topk_keep(pre, k, eps=1e-4):
    """The k largest of each row kept (ties: the lower index), ReLU'd; and
    the rows whose k-th and (k+1)-th values lie closer than eps."""
    f = np.zeros_like(pre)
    amb = np.zeros(len(pre), bool)
    for i, row in enumerate(pre):
        order = np.argsort(-row, kind="stable")
        idx = order[:k]
        f[i, idx] = np.maximum(row[idx], 0)
        if k < len(row):
            gap = row[order[k - 1]] - row[order[k]]
            amb[i] = 0 < gap < eps
    return f, amb


def jump(pre, thr, eps=1e-4):
    """JumpReLU as SAELens and the Gemma Scope tutorial write it:
    relu(pre) * (pre > threshold); rows with a value within eps of its
    threshold (but not on it) are ambiguous."""
    f = np.maximum(pre, 0) * (pre > thr)
    near = (np.abs(pre - thr) < eps) & (pre != thr)
    return f, near.any(1)


def reference(cfg, t, x, clamp=None):
    """SAELens (sae_lens/saes/*.py, with the loader's folds). Returns F, R
    and a mask of rows whose F is decided by a near-tie. clamp: None or
    {feature: value} set in F before decoding R."""
    meta = cfg.get("metadata") or {}
    arch = cfg.get("architecture") or "standard"
    if cfg.get("activation_fn_str") == "topk" and arch == "standard":
        arch = "topk"
    k = cfg.get("k") or (cfg.get("activation_fn_kwargs") or {}).get("k")
    nv = cfg.get("normalize_activations")
    norm = {True: "expected_average_only_in", False: "none", None: "none"}.get(nv, nv) if not isinstance(nv, str) else nv
    kw = meta.get("model_from_pretrained_kwargs") or cfg.get("model_from_pretrained_kwargs") or {}
    cww = bool(kw.get("center_writing_weights"))
    transcoder = arch in TRANSCODERS
    bdec = cfg.get("apply_b_dec_to_input", not transcoder)
    T = {n: v.astype(np.float64) for n, v in t.items()}
    if norm == "expected_average_only_in" and cfg.get("norm_scaling_factor"):
        s = cfg["norm_scaling_factor"]  # fold_activation_norm_scaling_factor
        T["W_enc"], T["W_dec"], T["b_dec"] = T["W_enc"] * s, T["W_dec"] / s, T["b_dec"] / s
    x_raw = x = x.astype(np.float64)
    d = x.shape[1]
    if cww:
        x = x - x.mean(1, keepdims=True)
    scale, shift = np.ones((len(x), 1)), np.zeros((len(x), 1))
    if norm == "constant_norm_rescale":
        c = np.sqrt(d) / np.linalg.norm(x, axis=1, keepdims=True)
        x = x * c
        scale = 1 / c
    elif norm == "layer_norm":
        mu = x.mean(1, keepdims=True)
        sd = x.std(1, ddof=1, keepdims=True)
        x = (x - mu) / (sd + 1e-5)
        scale, shift = sd, mu
    if bdec:
        x = x - T["b_dec"]
    g = x @ T["W_enc"]
    ambiguous = np.zeros(len(x), bool)
    eps = 1e-4
    norms = np.linalg.norm(T["W_dec"], axis=1) if cfg.get("rescale_acts_by_decoder_norm") else None
    if arch == "gated":
        f = np.where(g + T["b_gate"] > 0, np.maximum(g * np.exp(T["r_mag"]) + T["b_mag"], 0), 0)
        ambiguous |= (np.abs(g + T["b_gate"]) < eps).any(1)
    else:
        pre = g + T["b_enc"]
        if norms is not None:
            pre = pre * norms
        if arch in ("standard", "transcoder", "skip_transcoder"):
            f = np.maximum(pre, 0)
        elif arch in ("jumprelu", "batchtopk", "matryoshka_batchtopk", "jumprelu_transcoder",
                      "jumprelu_skip_transcoder"):
            thr = T["threshold"] if "threshold" in T else np.full(pre.shape[1], float(T["topk_threshold"]))
            f, amb = jump(pre, thr)
            ambiguous |= amb
        elif arch == "topk":
            f, amb = topk_keep(pre, k)
            ambiguous |= amb
        else:
            raise SystemExit("unknown architecture " + arch)
    for i, v in (clamp or {}).items():
        f[:, i] = v
    fd = f / norms if norms is not None else f
    r = fd @ T["W_dec"] + T["b_dec"]
    if transcoder:
        if "W_skip" in T:
            r = r + x_raw @ T["W_skip"].T
    else:
        r = r * scale + shift
    return f, r, ambiguous


def gemmascope_ref(p, x, embedding=False, affine=None, clamp=None):
    """The Gemma Scope tutorial's JumpReLUSAE; embedding SAEs as SAELens
    loads them (W_enc / sqrt(d_in), W_dec * sqrt(d_in))."""
    W_enc, W_dec = p["W_enc"].astype(np.float64), p["W_dec"].astype(np.float64)
    if embedding:
        W_enc, W_dec = W_enc / np.sqrt(W_enc.shape[0]), W_dec * np.sqrt(W_enc.shape[0])
    x = x.astype(np.float64)
    pre = x @ W_enc + p["b_enc"]
    f, amb = jump(pre, p["threshold"].astype(np.float64))
    for i, v in (clamp or {}).items():
        f[:, i] = v
    r = f @ W_dec + p["b_dec"]
    if affine is not None:
        r = r + x @ affine.astype(np.float64)
    return f, r, amb


def llamascope_ref(hp, w, x, clamp=None):
    """SAELens's Llama Scope loader + fold_activation_norm_scaling_factor:
    W_enc = encoder.weight^T * s, threshold theta * s, W_dec =
    decoder.weight^T / s, b_dec / s, s = sqrt(d_model) / norm.in."""
    s = np.sqrt(hp["d_model"]) / hp["dataset_average_activation_norm"]["in"]
    W_enc = w["encoder.weight"].astype(np.float64).T * s
    W_dec = w["decoder.weight"].astype(np.float64).T / s
    b_dec = w["decoder.bias"].astype(np.float64) / s
    pre = x.astype(np.float64) @ W_enc + w["encoder.bias"]
    f, amb = jump(pre, np.full(pre.shape[1], hp["jump_relu_threshold"] * s))
    for i, v in (clamp or {}).items():
        f[:, i] = v
    return f, f @ W_dec + b_dec, amb


def sparsify_ref(cfg, w, x, clamp=None):
    """sparsify's SparseCoder: encode (x - b_dec unless transcoding),
    relu(x W^T + b), top-k (or group max); decode sum + b_dec, + x W_skip^T."""
    x = x.astype(np.float64)
    W = {k: v.astype(np.float64) for k, v in w.items()}
    xi = x if cfg.get("transcode") else x - W["b_dec"]
    pre = np.maximum(xi @ W["encoder.weight"].T + W["encoder.bias"], 0)
    k = cfg["k"]
    if cfg.get("activation", "topk") == "groupmax":
        f = np.zeros_like(pre)
        g = pre.shape[1] // k
        for j in range(k):
            blk = pre[:, j * g:(j + 1) * g]
            am = np.argmax(blk, axis=1)  # the first on a tie
            f[np.arange(len(pre)), j * g + am] = blk[np.arange(len(pre)), am]
        amb = np.zeros(len(pre), bool)
    else:
        f, amb = topk_keep(pre, k)
    for i, v in (clamp or {}).items():
        f[:, i] = v
    r = f @ W["W_dec"] + W["b_dec"]
    if "W_skip" in W:
        r = r + x @ W["W_skip"].T
    return f, r, amb


def gs_hooks(d):
    """Gemma Scope's hooks from its repository's name and layer_L/ in the
    path (SAELens's get_gemma_2_config_from_hf)."""
    parts = d.replace("models--google--", "/").split("/")
    repo = next((p for p in parts if p.startswith("gemma-scope-") and not p.startswith("gemma-scope-2-")), "")
    kind = repo.split("-")[-1]
    layer = next((int(p[6:]) for p in parts if p.startswith("layer_") and p[6:].isdigit()), None)
    if kind == "res":
        return ("hook_embed",) * 2 if "embedding" in parts else ("blocks.%d.hook_resid_post" % layer,) * 2
    if kind == "mlp":
        return ("blocks.%d.hook_mlp_out" % layer,) * 2
    if kind == "att":
        return ("blocks.%d.attn.hook_z" % layer,) * 2
    return "blocks.%d.ln2.hook_normalized" % layer, "blocks.%d.hook_mlp_out" % layer


GS2_HOOKS = {"output": "hook_resid_post", "pre_feedforward_layernorm.output": "mlp.hook_in",
             "post_feedforward_layernorm.output": "hook_mlp_out", "self_attn.o_proj.input": "attn.hook_z",
             "post_attention_layernorm.output": "hook_attn_out"}


def gs2_hook(hf):
    rest = hf.split("layers.", 1)[1]
    layer, site = rest.split(".", 1)
    return "blocks.%s.%s" % (layer, GS2_HOOKS[site])


def sparsify_hooks(point, transcode):
    """sparsify hookpoints (module names) as TransformerLens hooks."""
    if point in ("embed_tokens", "wte", "embed_in"):
        return "hook_embed", "hook_embed"
    layer, _, sub = point.split("layers.")[-1].partition(".")
    if sub == "mlp":
        return ("blocks.%s.mlp.hook_in" % layer if transcode else "blocks.%s.hook_mlp_out" % layer,
                "blocks.%s.hook_mlp_out" % layer)
    return ("blocks.%s.hook_resid_pre" % layer if transcode else "blocks.%s.hook_resid_post" % layer,
            "blocks.%s.hook_resid_post" % layer)


class Sae:
    """One SAE folder as its publisher computes it: hook (read), hook_out
    (written), rows (the decoder rows steering adds, folds applied) and
    run(x, clamp) -> F, R (skip included), ambiguous rows."""

    def __init__(self, d):
        has = lambda n: os.path.exists(os.path.join(d, n))  # noqa: E731
        d = d.rstrip("/")
        if has("params.npz") or has("params.safetensors"):
            if has("params.npz"):
                with np.load(os.path.join(d, "params.npz")) as z:
                    p = {("W_" + k[2:] if k.startswith("w_") else k): z[k] for k in z.files}
                self.hook, self.hook_out = gs_hooks(d)
                emb = "/embedding/" in d + "/"
                affine = None
            else:
                p = read_safetensors(os.path.join(d, "params.safetensors"))
                p = {("W_" + k[2:] if k.startswith("w_") else k): v for k, v in p.items()}
                with open(os.path.join(d, "config.json")) as fh:
                    c = json.load(fh)
                self.hook = gs2_hook(c["hf_hook_point_in"])
                self.hook_out = gs2_hook(c.get("hf_hook_point_out") or c["hf_hook_point_in"])
                emb, affine = False, p.get("affine_skip_connection")
            self.rows = p["W_dec"].astype(np.float64) * (np.sqrt(p["W_enc"].shape[0]) if emb else 1)
            self.run = lambda x, clamp=None: gemmascope_ref(p, x, emb, affine, clamp)
        elif has("hyperparams.json"):
            with open(os.path.join(d, "hyperparams.json")) as fh:
                hp = json.load(fh)
            w = read_safetensors(os.path.join(d, "checkpoints", "final.safetensors"))
            self.hook, self.hook_out = hp["hook_point_in"], hp.get("hook_point_out") or hp["hook_point_in"]
            s = np.sqrt(hp["d_model"]) / hp["dataset_average_activation_norm"]["in"]
            self.rows = w["decoder.weight"].astype(np.float64).T / s
            self.run = lambda x, clamp=None: llamascope_ref(hp, w, x, clamp)
        else:
            with open(os.path.join(d, "cfg.json")) as fh:
                cfg = json.load(fh)
            if has("sae.safetensors"):
                w = read_safetensors(os.path.join(d, "sae.safetensors"))
                self.hook, self.hook_out = sparsify_hooks(os.path.basename(d), cfg.get("transcode"))
                self.rows = w["W_dec"].astype(np.float64)
                self.run = lambda x, clamp=None: sparsify_ref(cfg, w, x, clamp)
            else:
                t = read_safetensors(os.path.join(d, "sae_weights.safetensors"))
                meta = cfg.get("metadata") or {}
                self.hook = meta.get("hook_name") or cfg.get("hook_point")
                self.hook_out = meta.get("hook_name_out") or self.hook
                s = cfg.get("norm_scaling_factor") if cfg.get("normalize_activations") == "expected_average_only_in" else None
                self.rows = t["W_dec"].astype(np.float64) / (s or 1)
                self.run = lambda x, clamp=None: reference(cfg, t, x, clamp)
        self.transcoder = self.hook != self.hook_out


def folder_reference(d, x):
    """F, R, ambiguous rows for folder d, by its files."""
    return Sae(d).run(x)


def compare(name, got, want, ok_rows):
    if got.shape != want.shape:
        print("# %s: shape %s, wanted %s" % (name, got.shape, want.shape))
        return False, 0.0
    g, w = got[ok_rows].astype(np.float64), want[ok_rows]
    if g.size == 0:
        return True, 0.0
    atol = 1e-5 * max(1.0, np.abs(w).max())
    err = np.abs(g - w)
    bad = err > 1e-4 * np.abs(w) + atol
    rel = float((err / (np.abs(w) + atol)).max())
    if bad.any():
        i = np.argwhere(bad)[0]
        print("# %s: %d values differ, first at %s: %r, wanted %r" % (name, bad.sum(), tuple(i), g[tuple(i)], w[tuple(i)]))
    return not bad.any(), rel


def cmd_check(a):
    x = np.load(a.x)
    f, r, amb = folder_reference(a.dir, x)
    ok_rows = ~amb
    ok, rel = compare("F", np.load(a.f), f, ok_rows)
    msg = "maxrel F %.3g" % rel
    if a.r:
        ok2, rel2 = compare("R", np.load(a.r), r, ok_rows)
        ok = ok and ok2
        msg += " R %.3g" % rel2
    nz = float((f[ok_rows] != 0).sum(1).mean()) if ok_rows.any() else 0.0
    print("# %s (%d of %d rows compared, L0 %.1f)" % (msg, ok_rows.sum(), len(x), nz))
    if nz == 0:
        print("# no feature is active: the comparison proves nothing")
        ok = False
    sys.exit(0 if ok else 1)


# ---------------------------------------------------------------- hostile .npz

def cmd_npz_bad(a):
    """One folder per case, each holding a params.npz saex must refuse."""
    rng = np.random.default_rng(1)
    t = rand_sae(rng, 8, 16)
    t = {k: t[k] for k in ("W_dec", "W_enc", "b_dec", "b_enc", "threshold")}
    good = [(k + ".npy", npy_bytes(v), 0) for k, v in t.items()]

    def case(name, members=None, raw=None, **kw):
        d = os.path.join(a.dir, name)
        os.makedirs(d, exist_ok=True)
        p = os.path.join(d, "params.npz")
        if raw is not None:
            with open(p, "wb") as f:
                f.write(raw)
        else:
            write_zip(p, members, **kw)
        return p

    def patch_last(p, crc=None, usize=None, csize=None, method=None):
        """Rewrites the last member's local header (and its ZIP64 extra) and
        central entry alike: a file whose headers agree on a lie."""
        b = bytearray(open(p, "rb").read())
        loc, cd = b.rfind(b"PK\x03\x04"), b.rfind(b"PK\x01\x02")
        nlen = struct.unpack_from("<H", b, loc + 26)[0]
        if crc is not None:
            struct.pack_into("<I", b, loc + 14, crc)
            struct.pack_into("<I", b, cd + 16, crc)
        if usize is not None:
            struct.pack_into("<Q", b, loc + 30 + nlen + 4, usize)
            struct.pack_into("<I", b, cd + 24, usize)
        if csize is not None:
            struct.pack_into("<Q", b, loc + 30 + nlen + 12, csize)
            struct.pack_into("<I", b, cd + 20, csize)
        if method is not None:
            struct.pack_into("<H", b, loc + 8, method)
            struct.pack_into("<H", b, cd + 10, method)
        open(p, "wb").write(bytes(b))

    # a member whose headers say it is larger than the file
    patch_last(case("oversize", good), usize=1 << 30, csize=1 << 30)
    # a zip bomb: deflate data that inflates past the size it states
    stated = npy_bytes(t["threshold"])
    bomb = zlib.compress(stated + b"\0" * (1 << 20), 9)[2:-4]
    case("bomb", good[:-1] + [("threshold.npy", stated, 8, bomb)])
    # a member claiming more than deflate can give from its bytes
    patch_last(case("ratio", good[:-1] + [("threshold.npy", npy_bytes(t["threshold"]), 8)]), usize=0xF0000000)
    # a name that climbs out
    case("dotdot", good[:-1] + [("../threshold.npy", good[-1][1], 0)])
    # a missing key
    case("missing", good[:-1])
    # truncated: the end of central directory cut off
    full = open(case("trunc", good), "rb").read()
    case("trunc", raw=full[: len(full) // 2])
    # not a zip at all
    case("notzip", raw=b"\x93NUMPY this is not a zip archive" * 4)
    # a deflated member whose CRC does not match (stored members are not
    # CRC-checked: that would read every page)
    data = npy_bytes(t["threshold"])
    patch_last(case("crc", good[:-1] + [("threshold.npy", data, 8)]), crc=zlib.crc32(data) ^ 1)
    # shapes that contradict each other: W_dec [16, 9] against W_enc [8, 16]
    bad = dict(t)
    bad["W_dec"] = np.zeros((16, 9), np.float32)
    case("shapes", [(k + ".npy", npy_bytes(v), 0) for k, v in bad.items()])
    # a member that is not an .npy array
    case("notnpy", good[:-1] + [("threshold.npy", b"not an array at all", 0)])
    # two members of the same name
    case("twice", good + [good[-1]])
    # a method that does not match the bytes (bzip2, 12, over stored data)
    patch_last(case("method", good), method=12)


def cmd_npz_big(a):
    """A sparse params.npz whose two matrices each pass 4 GiB, as
    width_1m's do: ZIP64 sizes and offsets. Nothing of the matrices is
    written (holes); the vectors are real."""
    di, ds = 1025, 1 << 20
    rng = np.random.default_rng(3)
    os.makedirs(a.dir, exist_ok=True)

    def npy_header(shape):
        h = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % (str(tuple(shape)),)
        pad = 64 - (10 + len(h) + 1) % 64
        h = h + " " * pad + "\n"
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode()

    members = []
    for name, shape in (("W_dec", (ds, di)), ("W_enc", (di, ds))):
        members.append((name + ".npy", npy_header(shape), di * ds * 4))
    for name, n, lo, hi in (("b_dec", di, -0.1, 0.1), ("b_enc", ds, -0.1, 0.1), ("threshold", ds, 0.25, 0.75)):
        members.append((name + ".npy", npy_bytes(rng.uniform(lo, hi, n).astype(np.float32)), None))
    # a member = header bytes then a hole: written as two parts of one stored member
    central, off = [], 0
    path = os.path.join(a.dir, "params.npz")
    with open(path, "wb") as f:
        for name, head, hole in members:
            nm = name.encode()
            size = len(head) + (hole or 0)
            crc = 0 if hole else zlib.crc32(head)  # the holes' CRCs are never checked (stored, not read)
            extra = struct.pack("<HHQQ", 1, 16, size, size)
            f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(nm),
                                len(extra)) + nm + extra + head)
            if hole:
                f.seek(hole, 1)
            central.append((nm, size, off, crc))
            off = f.tell()
        cd = off
        for nm, size, loc, crc in central:
            extra = struct.pack("<HHQQQ", 1, 24, size, size, loc)
            f.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                                len(nm), len(extra), 0, 0, 0, 0, 0xFFFFFFFF) + nm + extra)
        end = f.tell()
        n = len(central)
        f.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, end - cd, cd))
        f.write(struct.pack("<IIQI", 0x07064B50, 0, end, 1))
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
    # numpy agrees that this is a valid archive with these members
    with zipfile.ZipFile(path) as z:
        assert [i.filename for i in z.infolist()] == [m[0] for m in members]
        assert z.getinfo("W_enc.npy").file_size > 1 << 32 and z.getinfo("threshold.npy").header_offset > 1 << 33
    th = np.load(os.path.join(a.dir, "params.npz"))["threshold"]
    print("%.9g %.9g %.9g" % (th.min(), np.median(th.astype(np.float64)), th.max()))


def main():
    p = argparse.ArgumentParser()
    sp = p.add_subparsers(dest="cmd", required=True)
    w = sp.add_parser("write")
    w.add_argument("dir")
    w.add_argument("--format", default="saelens",
                   choices=["saelens", "gemmascope", "gemmascope2", "llamascope", "sparsify"])
    w.add_argument("--arch", default="standard")
    w.add_argument("--form", default="v6", choices=["v6", "flat"])
    w.add_argument("--norm", default="none")
    w.add_argument("--norm-factor", type=float, default=0)
    w.add_argument("--d-in", type=int, default=16)
    w.add_argument("--d-sae", type=int, default=64)
    w.add_argument("--d-out", type=int, default=0)
    w.add_argument("--k", type=int, default=8)
    w.add_argument("--n", type=int, default=24)
    w.add_argument("--x-width", type=int, default=0)
    w.add_argument("--layer", type=int, default=3)
    w.add_argument("--hook", default="")
    w.add_argument("--hook-out", default="")
    w.add_argument("--model", default="gpt2")
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--no-bdec", action="store_true")
    w.add_argument("--cww", action="store_true")
    w.add_argument("--rescale", action="store_true")
    w.add_argument("--topk-threshold", type=float, default=None)
    w.add_argument("--crafted", action="store_true")
    w.add_argument("--drop", default="")
    w.add_argument("--bad-shape", default="")
    w.add_argument("--arch-raw", default="")
    w.add_argument("--reshape", default="")
    w.add_argument("--zip", default="stored", choices=["stored", "deflated", "zip64"])
    w.add_argument("--lower", action="store_true")
    w.add_argument("--site", default="resid_post", choices=["resid_post", "attn_out", "mlp_out", "transcoder"])
    w.add_argument("--affine", action="store_true")
    w.add_argument("--no-config", action="store_true")
    w.add_argument("--norm-in", type=float, default=10.8125)
    w.add_argument("--norm-out", type=float, default=0)
    w.add_argument("--theta", type=float, default=0.3)
    w.add_argument("--act-fn", default="jumprelu")
    w.add_argument("--dtype", default="F32", choices=["F32", "BF16"])
    w.add_argument("--transcode", action="store_true")
    w.add_argument("--skip", action="store_true")
    w.add_argument("--activation", default="topk")
    c = sp.add_parser("check")
    c.add_argument("dir")
    c.add_argument("x")
    c.add_argument("f")
    c.add_argument("r", nargs="?")
    b = sp.add_parser("npz-bad")
    b.add_argument("dir")
    g = sp.add_parser("npz-big")
    g.add_argument("dir")
    a = p.parse_args()
    {"write": cmd_write, "check": cmd_check, "npz-bad": cmd_npz_bad, "npz-big": cmd_npz_big}[a.cmd](a)


if __name__ == "__main__":
    main()
