#!/usr/bin/env python3
"""sae_ref.py - test helper for tests/sae.test (numpy only).

  sae_ref.py write DIR [options]     a random SAELens folder (cfg.json +
                                     sae_weights.safetensors) and DIR/X.npy
  sae_ref.py check DIR X F [R]       F (and R) from `saex encode` against an
                                     independent implementation of
                                     FORMATS.md section 3; prints the largest
                                     relative errors, exits 1 on disagreement
"""
import argparse
import json
import os
import struct
import sys

import numpy as np


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, a in tensors.items():
        b = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def cmd_write(a):
    rng = np.random.default_rng(a.seed)
    di, ds = a.d_in, a.d_sae
    os.makedirs(a.dir, exist_ok=True)
    t = {}
    if a.crafted:  # identity encoder: pre = x exactly
        assert di == ds
        t["W_enc"] = np.eye(di, dtype=np.float32)
        t["W_dec"] = np.eye(di, dtype=np.float32)
        t["b_dec"] = np.zeros(di, np.float32)
        t["b_enc"] = np.zeros(ds, np.float32)
        t["threshold"] = np.full(ds, 0.5, np.float32)
    else:
        t["W_enc"] = rng.normal(0, 1 / np.sqrt(di), (di, ds)).astype(np.float32)
        t["W_dec"] = rng.normal(0, 1 / np.sqrt(ds), (ds, di)).astype(np.float32)
        t["b_dec"] = rng.normal(0, 0.3, di).astype(np.float32)
        t["b_enc"] = rng.normal(0, 0.2, ds).astype(np.float32)
        t["threshold"] = rng.uniform(0, 0.5, ds).astype(np.float32)
        t["b_gate"] = rng.normal(0, 0.2, ds).astype(np.float32)
        t["b_mag"] = rng.normal(0, 0.2, ds).astype(np.float32)
        t["r_mag"] = rng.normal(0, 0.3, ds).astype(np.float32)
    arch = a.arch
    keep = {"W_enc", "W_dec", "b_dec"}
    keep |= {"b_gate", "b_mag", "r_mag"} if arch == "gated" else {"b_enc"}
    if arch == "jumprelu":
        keep.add("threshold")
    t = {k: v for k, v in t.items() if k in keep and k != a.drop}
    if a.bad_shape:
        t[a.bad_shape] = np.zeros((t[a.bad_shape].shape[0] + 1,) + t[a.bad_shape].shape[1:], np.float32)
    write_safetensors(os.path.join(a.dir, "sae_weights.safetensors"), t)
    hook = "blocks.%d.hook_resid_pre" % a.layer
    if a.form == "v6":
        cfg = {"architecture": arch, "d_in": di, "d_sae": ds, "dtype": "float32", "device": "cpu",
               "apply_b_dec_to_input": not a.no_bdec, "normalize_activations": a.norm,
               "metadata": {"model_name": "gpt2", "hook_name": hook, "hook_head_index": None,
                            "context_size": 128, "prepend_bos": True,
                            "model_from_pretrained_kwargs": {"center_writing_weights": a.cww}}}
        if arch == "topk":
            cfg["k"] = a.k
    else:
        cfg = {"architecture": "standard" if arch == "topk" else arch, "d_in": di, "d_sae": ds,
               "hook_point": hook, "hook_point_layer": a.layer, "model_name": "gpt2",
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
    else:
        x = (rng.normal(0, 1.5, (a.n, a.x_width or di)) + rng.normal(0, 0.5, a.x_width or di)).astype(np.float32)
    np.save(os.path.join(a.dir, "X.npy"), x)


def reference(cfg, t, x, clamp=None):
    """Returns F, R and a mask of rows whose F is decided by a near-tie.
    clamp: None or {feature: value} set in F before decoding R."""
    meta = cfg.get("metadata") or {}
    arch = cfg.get("architecture") or "standard"
    if cfg.get("activation_fn_str") == "topk" and arch == "standard":
        arch = "topk"
    k = cfg.get("k") or (cfg.get("activation_fn_kwargs") or {}).get("k")
    nv = cfg.get("normalize_activations")
    norm = {True: "expected_average_only_in", False: "none", None: "none"}.get(nv, nv) if not isinstance(nv, str) else nv
    kw = meta.get("model_from_pretrained_kwargs") or cfg.get("model_from_pretrained_kwargs") or {}
    cww = bool(kw.get("center_writing_weights"))
    bdec = cfg.get("apply_b_dec_to_input", True)
    x = x.astype(np.float64)
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
    T = {n: v.astype(np.float64) for n, v in t.items()}
    if bdec:
        x = x - T["b_dec"]
    g = x @ T["W_enc"]
    ambiguous = np.zeros(len(x), bool)
    eps = 1e-4
    if arch == "gated":
        f = np.where(g + T["b_gate"] > 0, np.maximum(g * np.exp(T["r_mag"]) + T["b_mag"], 0), 0)
        ambiguous |= (np.abs(g + T["b_gate"]) < eps).any(1)
    else:
        pre = g + T["b_enc"]
        if arch == "standard":
            f = np.maximum(pre, 0)
        elif arch == "jumprelu":
            f = np.where((pre > T["threshold"]) & (pre > 0), pre, 0)
            near = np.abs(pre - T["threshold"]) < eps
            exact = pre == T["threshold"]
            ambiguous |= (near & ~exact).any(1)
        elif arch == "topk":
            f = np.zeros_like(pre)
            for i, row in enumerate(pre):
                order = np.argsort(-row, kind="stable")  # ties: lower index first
                idx = order[:k]
                f[i, idx] = np.maximum(row[idx], 0)
                if k < len(row):
                    gap = row[order[k - 1]] - row[order[k]]
                    if 0 < gap < eps:
                        ambiguous[i] = True
        else:
            raise SystemExit("unknown architecture " + arch)
    for i, v in (clamp or {}).items():
        f[:, i] = v
    r = f @ T["W_dec"] + T["b_dec"]
    r = r * scale + shift
    return f, r, ambiguous


def read_safetensors(path):
    with open(path, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        h = json.loads(fh.read(n))
        data = fh.read()
    return {k: np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], "<f4").reshape(v["shape"])
            for k, v in h.items() if k != "__metadata__"}


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
    with open(os.path.join(a.dir, "cfg.json")) as fh:
        cfg = json.load(fh)
    t = read_safetensors(os.path.join(a.dir, "sae_weights.safetensors"))
    x = np.load(a.x)
    f, r, amb = reference(cfg, t, x)
    ok_rows = ~amb
    ok, rel = compare("F", np.load(a.f), f, ok_rows)
    msg = "maxrel F %.3g" % rel
    if a.r:
        ok2, rel2 = compare("R", np.load(a.r), r, ok_rows)
        ok = ok and ok2
        msg += " R %.3g" % rel2
    print("# %s (%d of %d rows compared)" % (msg, ok_rows.sum(), len(x)))
    sys.exit(0 if ok else 1)


def main():
    p = argparse.ArgumentParser()
    sp = p.add_subparsers(dest="cmd", required=True)
    w = sp.add_parser("write")
    w.add_argument("dir")
    w.add_argument("--arch", default="standard", choices=["standard", "topk", "jumprelu", "gated"])
    w.add_argument("--form", default="v6", choices=["v6", "flat"])
    w.add_argument("--norm", default="none")
    w.add_argument("--d-in", type=int, default=16)
    w.add_argument("--d-sae", type=int, default=64)
    w.add_argument("--k", type=int, default=8)
    w.add_argument("--n", type=int, default=24)
    w.add_argument("--x-width", type=int, default=0)
    w.add_argument("--layer", type=int, default=3)
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--no-bdec", action="store_true")
    w.add_argument("--cww", action="store_true")
    w.add_argument("--crafted", action="store_true")
    w.add_argument("--drop", default="")
    w.add_argument("--bad-shape", default="")
    w.add_argument("--arch-raw", default="")
    c = sp.add_parser("check")
    c.add_argument("dir")
    c.add_argument("x")
    c.add_argument("f")
    c.add_argument("r", nargs="?")
    a = p.parse_args()
    cmd_write(a) if a.cmd == "write" else cmd_check(a)


if __name__ == "__main__":
    main()
