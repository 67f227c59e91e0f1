#!/usr/bin/python3
"""torch_gpt2.py - the PyTorch side of bench/run_core.sh.

  /usr/bin/python3 bench/torch_gpt2.py MODEL_DIR [--tokens 128] [--gen 64]
      [--reps 15] [--gen-reps 3] [--threads N]

Loads MODEL_DIR/config.json and MODEL_DIR/model.safetensors (the folder
bench_core --dir DIR --keep leaves in DIR/gpt2; F32, Hugging Face GPT-2
names with or without "transformer."), parsing the safetensors header with
json and the data with numpy.frombuffer (no safetensors package needed), and
builds GPT-2 in plain torch float32 (torch.nn.functional; no transformers
package): layer norm, Conv1D-style x @ W + b, causal attention, gelu
(tanh approximation, = gelu_new), tied unembedding. Then, like bench_core:

  prompt  --tokens random ids (seeded as bench_core: same count, not the
          same ids) through all blocks and the last position's logits;
          median over --reps after 2 warm-ups;
  gen     the prompt into a preallocated KV cache, then --gen tokens one at
          a time (T = 1, the last logits, their arg max); median ms/token
          over --gen-reps runs after one warm-up run.

Threads: torch.set_num_threads(--threads, default: OPENBLAS_NUM_THREADS, else
the number of CPUs), the same count OpenBLAS gives saex; torch's matrix
products go to the same OpenBLAS (Debian builds torch on the system
libblas), whose threads follow OPENBLAS_NUM_THREADS. OMP_WAIT_POLICY
defaults to PASSIVE (see below). Everything runs under
torch.inference_mode(). Prints a human summary and then
"RESULT torch_prompt_ms=... torch_gen_ms=... threads=... torch=VERSION".
"""
import json
import math
import os
import struct
import sys
import time

# torch runs its element-wise work on OpenMP threads and its matrix products
# in OpenBLAS's own threads. With OpenMP's default (active) waiting, the idle
# OpenMP threads spin on the cores OpenBLAS needs: on 2 cores the prompt then
# takes 4-6 times longer. Passive waiting is torch at its best here; set
# OMP_WAIT_POLICY=ACTIVE to see the default. (Read when torch loads.)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def opt(args, name, default):
    if name in args:
        i = args.index(name)
        v = args[i + 1]
        del args[i:i + 2]
        return type(default)(v)
    return default


def load(d):
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    path = os.path.join(d, "model.safetensors")
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    base = 8 + n
    w = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        if e["dtype"] != "F32":
            raise SystemExit("torch_gpt2.py: %s is %s; only F32 is read" % (name, e["dtype"]))
        b, end = e["data_offsets"]
        a = np.frombuffer(data, dtype="<f4", count=(end - b) // 4, offset=base + b).reshape(e["shape"])
        key = name[len("transformer."):] if name.startswith("transformer.") else name
        w[key] = torch.from_numpy(a.copy())
    return cfg, w


class GPT2:
    def __init__(self, cfg, w):
        self.L, self.H, self.D = cfg["n_layer"], cfg["n_head"], cfg["n_embd"]
        self.eps = cfg.get("layer_norm_epsilon", 1e-5)
        self.w = w
        self.blocks = []
        for l in range(self.L):
            p = "h.%d." % l
            self.blocks.append({k: w[p + k] for k in (
                "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
                "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
                "mlp.c_proj.weight", "mlp.c_proj.bias")})

    def new_cache(self, cap):
        dh = self.D // self.H
        return [torch.empty(self.L, self.H, cap, dh), torch.empty(self.L, self.H, cap, dh), 0]

    def forward(self, ids, cache=None):
        """ids: 1-D LongTensor of T new tokens; returns the last position's
        logits. With a cache, positions continue from its length."""
        T, D, H = ids.shape[0], self.D, self.H
        dh = D // H
        p0 = cache[2] if cache else 0
        x = self.w["wte.weight"][ids] + self.w["wpe.weight"][p0:p0 + T]
        scale = 1.0 / math.sqrt(dh)
        for l, b in enumerate(self.blocks):
            a = F.layer_norm(x, (D,), b["ln_1.weight"], b["ln_1.bias"], self.eps)
            qkv = torch.addmm(b["attn.c_attn.bias"], a, b["attn.c_attn.weight"])
            q, k, v = qkv.split(D, dim=1)
            q = q.view(T, H, dh).transpose(0, 1)
            k = k.view(T, H, dh).transpose(0, 1)
            v = v.view(T, H, dh).transpose(0, 1)
            if cache:
                cache[0][l, :, p0:p0 + T] = k
                cache[1][l, :, p0:p0 + T] = v
                k = cache[0][l, :, :p0 + T]
                v = cache[1][l, :, :p0 + T]
            sc = torch.matmul(q, k.transpose(1, 2)) * scale
            if T > 1:
                mask = torch.ones(T, p0 + T, dtype=torch.bool).triu(p0 + 1)
                sc = sc.masked_fill(mask, float("-inf"))
            z = torch.matmul(torch.softmax(sc, dim=-1), v).transpose(0, 1).reshape(T, D)
            x = x + torch.addmm(b["attn.c_proj.bias"], z, b["attn.c_proj.weight"])
            m = F.layer_norm(x, (D,), b["ln_2.weight"], b["ln_2.bias"], self.eps)
            h = F.gelu(torch.addmm(b["mlp.c_fc.bias"], m, b["mlp.c_fc.weight"]), approximate="tanh")
            x = x + torch.addmm(b["mlp.c_proj.bias"], h, b["mlp.c_proj.weight"])
        if cache:
            cache[2] = p0 + T
        last = F.layer_norm(x[-1], (D,), self.w["ln_f.weight"], self.w["ln_f.bias"], self.eps)
        return torch.mv(self.w["wte.weight"], last)


def main():
    args = sys.argv[1:]
    T = opt(args, "--tokens", 128)
    ngen = opt(args, "--gen", 64)
    reps = opt(args, "--reps", 15)
    gen_reps = opt(args, "--gen-reps", 3)
    threads = opt(args, "--threads", int(os.environ.get("OPENBLAS_NUM_THREADS", "0")) or os.cpu_count())
    if len(args) != 1:
        raise SystemExit(__doc__)
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    cfg, w = load(args[0])
    model = GPT2(cfg, w)
    V = cfg["vocab_size"]
    print("torch %s, %d threads, OMP_WAIT_POLICY=%s, weights loaded in %.1f s" % (
        torch.__version__, torch.get_num_threads(), os.environ["OMP_WAIT_POLICY"], time.perf_counter() - t0))
    rng = np.random.default_rng(42)
    ids = torch.from_numpy(rng.integers(0, V, size=T + ngen).astype(np.int64))
    with torch.inference_mode():
        for _ in range(2):
            model.forward(ids[:T])
        ts = []
        for _ in range(reps):
            a = time.perf_counter()
            model.forward(ids[:T])
            ts.append(time.perf_counter() - a)
        tp = float(np.median(ts))
        gt = []
        cache = model.new_cache(T + ngen)
        for r in range(gen_reps + 1):
            cache[2] = 0
            nxt = int(torch.argmax(model.forward(ids[:T], cache)))
            for _ in range(ngen):
                a = time.perf_counter()
                nxt = int(torch.argmax(model.forward(torch.tensor([nxt]), cache)))
                if r > 0:
                    gt.append(time.perf_counter() - a)
        tg = float(np.median(gt))
    print("[torch prompt] %d tokens: %.2f ms (median of %d; best %.2f ms)" % (T, tp * 1e3, reps, min(ts) * 1e3))
    print("[torch generation] %.2f ms/token (median of %d; best %.2f ms)" % (tg * 1e3, len(gt), min(gt) * 1e3))
    print("RESULT torch_prompt_ms=%.3f torch_gen_ms=%.3f threads=%d torch=%s" % (
        tp * 1e3, tg * 1e3, torch.get_num_threads(), torch.__version__))


if __name__ == "__main__":
    main()
