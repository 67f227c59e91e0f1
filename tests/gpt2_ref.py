#!/usr/bin/env python3
"""gpt2_ref.py - test helper for tests/model.test (numpy only).

  gpt2_ref.py write DIR [--dtype F32|BF16] [--prefix] [--seed S]
              [--n-layer N] [--n-head H] [--n-embd D] [--vocab V] [--n-pos P]
              [--wscale F] [--break missing|shape|activation] [--tiny-tokenizer]
      writes a random GPT-2 checkpoint in the Hugging Face layout: config.json
      and model.safetensors (our own minimal writer), with the attn.bias
      buffers Hugging Face keeps. --tiny-tokenizer adds vocab.json and
      merges.txt: the 256 byte tokens, "hello" and " world" merged, and
      <|endoftext|> = 265 (use --vocab 266).
  gpt2_ref.py check DIR IDS OUTDIR [--tol 1e-4]
      runs an independent float64 forward pass (FORMATS.md section 4) on the
      weights as stored (BF16 rounded) and compares every OUTDIR/<hook>.npy
      and OUTDIR/logits.npy; prints one line per array with its largest
      relative error and exits 1 when one exceeds the tolerance.
  gpt2_ref.py greedy DIR IDS N
      prints IDS followed by N greedy tokens (fewer when n_positions is
      reached), comma-separated.
  gpt2_ref.py same A.npy B.npy
      exits 0 when the two arrays are bit-identical.
"""
import json
import math
import os
import struct
import sys

import numpy as np


def bf16_bits(a):
    """float32 -> bfloat16 bit patterns, round to nearest even."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    r = ((u >> 16) & 1) + 0x7FFF
    return ((u + r) >> 16).astype(np.uint16)


def write_safetensors(path, tensors):
    """tensors: list of (name, dtype string, shape, raw bytes)."""
    header, off = {}, 0
    for name, dt, shape, raw in tensors:
        header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        off += len(raw)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for _, _, _, raw in tensors:
            f.write(raw)


def read_tensors(path, out):
    """The F32, F16 and BF16 tensors of a safetensors file into out as
    float64, by name (other dtypes, such as masks, are left out)."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    base = 8 + n
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        raw = data[base + b:base + end]
        if e["dtype"] == "F32":
            a = np.frombuffer(raw, dtype="<f4").astype(np.float64)
        elif e["dtype"] == "BF16":
            a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32).astype(np.float64)
        elif e["dtype"] == "F16":
            a = np.frombuffer(raw, dtype="<f2").astype(np.float64)
        else:
            continue
        out[name] = a.reshape(e["shape"])
    return out


def read_safetensors(path):
    """GPT-2's tensors by their names without "transformer."."""
    return {k[len("transformer."):] if k.startswith("transformer.") else k: v
            for k, v in read_tensors(path, {}).items()}


def opt(args, name, default):
    if name in args:
        i = args.index(name)
        v = args[i + 1]
        del args[i:i + 2]
        return type(default)(v) if default is not None else v
    return default


def cmd_write(args):
    d = args.pop(0)
    prefix = "--prefix" in args
    if prefix:
        args.remove("--prefix")
    tiny_tok = "--tiny-tokenizer" in args
    if tiny_tok:
        args.remove("--tiny-tokenizer")
    dtype = opt(args, "--dtype", "F32")
    seed = opt(args, "--seed", 1)
    L = opt(args, "--n-layer", 2)
    H = opt(args, "--n-head", 2)
    D = opt(args, "--n-embd", 16)
    V = opt(args, "--vocab", 80)
    P = opt(args, "--n-pos", 32)
    brk = opt(args, "--break", None)
    wscale = opt(args, "--wscale", 1.0)  # multiplies the weights' spread
    rng = np.random.default_rng(seed)
    os.makedirs(d, exist_ok=True)
    cfg = {"model_type": "gpt2", "n_layer": L, "n_head": H, "n_embd": D, "n_positions": P, "n_ctx": P,
           "vocab_size": V, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"}
    if brk == "activation":
        cfg["activation_function"] = "relu"
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)

    def w(*shape, s=0.3):
        return rng.standard_normal(shape) * s * wscale

    ws = [("wte.weight", w(V, D, s=0.5)), ("wpe.weight", w(P, D, s=0.2))]
    for i in range(L):
        p = "h.%d." % i
        ws += [(p + "ln_1.weight", 1 + w(D, s=0.2)), (p + "ln_1.bias", w(D, s=0.1)),
               (p + "attn.c_attn.weight", w(D, 3 * D)), (p + "attn.c_attn.bias", w(3 * D, s=0.1)),
               (p + "attn.c_proj.weight", w(D, D)), (p + "attn.c_proj.bias", w(D, s=0.1)),
               (p + "ln_2.weight", 1 + w(D, s=0.2)), (p + "ln_2.bias", w(D, s=0.1)),
               (p + "mlp.c_fc.weight", w(D, 4 * D)), (p + "mlp.c_fc.bias", w(4 * D, s=0.1)),
               (p + "mlp.c_proj.weight", w(4 * D, D, s=0.15)), (p + "mlp.c_proj.bias", w(D, s=0.1))]
    ws += [("ln_f.weight", 1 + w(D, s=0.2)), ("ln_f.bias", w(D, s=0.1))]
    if brk == "missing":
        ws = [x for x in ws if x[0] != "h.1.mlp.c_fc.weight"]
    if brk == "shape":
        ws = [(n, a.T.copy() if n == "h.0.attn.c_proj.weight" else a) if n != "h.0.attn.c_attn.bias"
              else (n, a[:-1]) for n, a in ws]
    tensors = []
    for n, a in ws:
        a = np.asarray(a, dtype=np.float32)
        if dtype == "BF16":
            raw = bf16_bits(a).astype("<u2").tobytes()
        else:
            raw = a.astype("<f4").tobytes()
        tensors.append((("transformer." if prefix else "") + n, dtype, a.shape, raw))
    # the causal-mask buffers Hugging Face stores: to be ignored
    for i in range(L):
        mask = np.tril(np.ones((P, P), dtype=np.float32)).reshape(1, 1, P, P)
        tensors.append((("transformer." if prefix else "") + "h.%d.attn.bias" % i, "F32", mask.shape,
                        mask.astype("<f4").tobytes()))
    write_safetensors(os.path.join(d, "model.safetensors"), tensors)
    if tiny_tok:
        write_tiny_tokenizer(d)


def byte_chars():
    """GPT-2's map of the 256 bytes to printable characters."""
    keep = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    out, n = {}, 0
    for b in range(256):
        if b in keep:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + n)
            n += 1
    return out


def write_tiny_tokenizer(d):
    bc = byte_chars()
    vocab = {bc[b]: b for b in range(256)}
    g = bc[32]  # the space, as GPT-2 shows it
    extra = ["he", "ll", "hell", "hello", g + "w", "or", g + "wor", "ld", g + "world", "<|endoftext|>"]
    for i, t in enumerate(extra):
        vocab[t] = 256 + i
    with open(os.path.join(d, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    merges = ["h e", "l l", "he ll", "hell o", g + " w", "o r", g + "w or", "l d", g + "wor ld"]
    with open(os.path.join(d, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")


def normalized(x, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps)


def ln(x, w, b, eps):
    return normalized(x, eps) * w + b


def gelu_new(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def forward(wt, cfg, ids, steer=None):
    """steer: None or {hook name: function(x) -> x}, applied where the hook
    is (the residual and output hooks), as a hook that writes would."""
    L, H, D = cfg["n_layer"], cfg["n_head"], cfg["n_embd"]
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    dh = D // H
    T = len(ids)
    hooks = {}

    def at(name, v):
        hooks[name] = v.copy()
        return steer[name](v) if steer and name in steer else v

    hooks["hook_embed"] = wt["wte.weight"][ids]
    x = wt["wte.weight"][ids] + wt["wpe.weight"][:T]
    mask = np.triu(np.ones((T, T), dtype=bool), 1)
    for l in range(L):
        p = "h.%d." % l
        x = at("blocks.%d.hook_resid_pre" % l, x)
        hooks["blocks.%d.ln1.hook_normalized" % l] = normalized(x, eps)
        a = ln(x, wt[p + "ln_1.weight"], wt[p + "ln_1.bias"], eps)
        qkv = a @ wt[p + "attn.c_attn.weight"] + wt[p + "attn.c_attn.bias"]
        q, k, v = qkv[:, :D], qkv[:, D:2 * D], qkv[:, 2 * D:]
        z = np.zeros((T, D))
        for h in range(H):
            s = slice(h * dh, (h + 1) * dh)
            sc = q[:, s] @ k[:, s].T / math.sqrt(dh)
            sc[mask] = -np.inf
            sc = np.exp(sc - sc.max(-1, keepdims=True))
            sc /= sc.sum(-1, keepdims=True)
            z[:, s] = sc @ v[:, s]
        hooks["blocks.%d.attn.hook_z" % l] = z
        ao = z @ wt[p + "attn.c_proj.weight"] + wt[p + "attn.c_proj.bias"]
        ao = at("blocks.%d.hook_attn_out" % l, ao)
        x = x + ao
        x = at("blocks.%d.hook_resid_mid" % l, x)
        hooks["blocks.%d.ln2.hook_normalized" % l] = normalized(x, eps)
        m = ln(x, wt[p + "ln_2.weight"], wt[p + "ln_2.bias"], eps)
        hooks["blocks.%d.mlp.hook_in" % l] = m
        hp = gelu_new(m @ wt[p + "mlp.c_fc.weight"] + wt[p + "mlp.c_fc.bias"])
        hooks["blocks.%d.mlp.hook_post" % l] = hp
        mo = hp @ wt[p + "mlp.c_proj.weight"] + wt[p + "mlp.c_proj.bias"]
        mo = at("blocks.%d.hook_mlp_out" % l, mo)
        x = x + mo
        x = at("blocks.%d.hook_resid_post" % l, x)
    logits = ln(x, wt["ln_f.weight"], wt["ln_f.bias"], eps) @ wt["wte.weight"].T
    return hooks, logits


def compare(got, want, tol):
    """float32 against float64: passes when |got - want| <= tol |want| +
    tol/10 max|want| everywhere (the absolute part covers values that are
    sums cancelling to nearly zero). Returns (passed, largest relative
    error where |want| >= 1% of max|want|, largest absolute error / max|want|)."""
    m = max(float(np.abs(want).max()), 1e-30)
    ae = np.abs(got - want)
    big = np.abs(want) >= 0.01 * m
    rel = float((ae[big] / np.abs(want[big])).max()) if big.any() else 0.0
    ok = bool(np.all(ae <= tol * np.abs(want) + 0.1 * tol * m))
    return ok, rel, float(ae.max()) / m


def cmd_check(args):
    d, ids, outdir = args[0], [int(i) for i in args[1].split(",")], args[2]
    tol = opt(args, "--tol", 1e-4)
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    wt = read_safetensors(os.path.join(d, "model.safetensors"))
    hooks, logits = forward(wt, cfg, ids)
    hooks["logits"] = logits
    bad = 0
    seen = 0
    for name in sorted(os.listdir(outdir)):
        if not name.endswith(".npy"):
            continue
        key = name[:-4]
        if key not in hooks:
            print("# %s: no such reference" % name)
            bad += 1
            continue
        got = np.load(os.path.join(outdir, name))
        want = hooks[key]
        seen += 1
        if got.dtype != np.float32 or got.shape != want.shape:
            print("# %s: got %s %s, want float32 %s" % (key, got.dtype, got.shape, want.shape))
            bad += 1
            continue
        ok, rel, ab = compare(got.astype(np.float64), want, tol)
        print("# %-28s max rel err %.2e  max abs err/max %.2e%s" % (key, rel, ab, "" if ok else "  FAILED"))
        if not ok:
            bad += 1
    if seen == 0:
        print("# nothing compared")
        bad += 1
    return 1 if bad else 0


def main():
    args = sys.argv[1:]
    cmd = args.pop(0)
    if cmd == "write":
        cmd_write(args)
        return 0
    if cmd == "check":
        return cmd_check(args)
    if cmd == "greedy":
        d, ids, n = args[0], [int(i) for i in args[1].split(",")], int(args[2])
        with open(os.path.join(d, "config.json")) as f:
            cfg = json.load(f)
        wt = read_safetensors(os.path.join(d, "model.safetensors"))
        for _ in range(min(n, cfg["n_positions"] - len(ids))):
            ids.append(int(np.argmax(forward(wt, cfg, ids)[1][-1])))
        print(",".join(map(str, ids)))
        return 0
    if cmd == "same":
        a, b = np.load(args[0]), np.load(args[1])
        return 0 if a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b) else 1
    print(__doc__, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
