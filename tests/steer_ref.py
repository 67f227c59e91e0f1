#!/usr/bin/env python3
"""steer_ref.py - test helper for tests/steer.test (numpy only): checks a
sequence that `saex generate` produced against an independent float64
implementation of FORMATS.md section 5 (steering) and the sampling rule of
src/include/saex_model.h, on GPT-2 (gpt2_ref.py) or any family hf_ref.py
runs.

  steer_ref.py verify MODEL SEQ PROMPT_LEN [--temperature T] [--seed S]
               [--freq-penalty F] [--multiplier M] [--method add|clamp]
               [--steer SAEDIR:FEATURE:STRENGTH]...
  steer_ref.py logits MODEL IDS LOGITS.npy [--multiplier M]
               [--method add|clamp] [--steer SAEDIR:FEATURE:STRENGTH]...
      compares the logits `saex run --steer ... --logits` wrote with the
      reference's steered logits (1e-4 relative, as tests/model.test).

SEQ is the prompt followed by the generated ids. The reference runs SEQ
once (teacher forcing: with causal attention the logits at position p
depend only on positions <= p, and steering applies at every position) and
checks each generated token against the rule: greedy - the arg max (a
step whose top two logits lie within the tolerance counts as undecided);
sampling - xoshiro256** from splitmix64(seed), u = (out >> 11) * 2^-53, the
token i with cum(i-1) <= u < cum(i) over softmax(l/T - F*count). Steps
where u lies within the tolerance of a boundary are undecided. Exits 1 on a
token the rule rules out, or when fewer than half the steps are decided.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpt2_ref  # noqa: E402
import hf_ref  # noqa: E402
import sae_ref  # noqa: E402

M64 = (1 << 64) - 1
TOL = 1e-4


class Rng:
    def __init__(self, seed):
        x = seed & M64
        self.s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & M64

    def next(self):
        s = self.s
        r = (self.rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return (r >> 11) * 2.0 ** -53


def steering(specs, mult, method, forward, wt, cfg, ids):
    """{hook: function(x)} for the forward pass over ids: every entry where
    its SAE writes (sae_ref.Sae.hook_out). A transcoder's clamp encodes what
    its input hook holds in the unsteered pass, which is what the steered
    pass holds there as long as nothing is steered before that hook (the
    tests steer nothing else then)."""
    by_hook = {}
    for spec in specs:
        d, feat, strength = spec.rsplit(":", 2)
        sae = sae_ref.Sae(d)
        by_hook.setdefault(sae.hook_out, []).append((d, sae, int(feat), float(strength) * mult))
    base = None
    if method == "clamp" and any(e[1].transcoder for es in by_hook.values() for e in es):
        base, _ = forward(wt, cfg, ids)

    def make(entries):
        def f(x):
            if method == "add":
                for _, sae, feat, v in entries:
                    x = x + v * sae.rows[feat]
                return x
            done = []
            for d, sae, _, _ in entries:  # each SAE once, in order
                if d in done:
                    continue
                done.append(d)
                clamp = {e[2]: e[3] for e in entries if e[0] == d}
                xin = base[sae.hook] if sae.transcoder else x
                _, r0, _ = sae.run(xin)
                _, r1, _ = sae.run(xin, clamp)
                x = x + r1 - r0
            return x
        return f

    return {h: make(e) for h, e in by_hook.items()}


def model_of(d):
    """(forward, config, weights, vocabulary size) of a model folder: GPT-2's
    reference or the other families'."""
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("model_type", "gpt2") == "gpt2":
        return gpt2_ref.forward, cfg, gpt2_ref.read_safetensors(os.path.join(d, "model.safetensors")), cfg["vocab_size"]
    return hf_ref.forward, cfg, hf_ref.read_weights(d), hf_ref.text_config(cfg)[0]["vocab_size"]


def cmd_logits(forward, ids, path, cfg, wt, st):
    _, want = forward(wt, cfg, ids, st)
    got = np.load(path).astype(np.float64)
    if got.shape != want.shape:
        print("# logits: shape %s, wanted %s" % (got.shape, want.shape))
        return 1
    ok, rel, ab = gpt2_ref.compare(got, want, TOL)
    print("# steered logits: max rel err %.2e, max abs err/max %.2e%s" % (rel, ab, "" if ok else "  FAILED"))
    return 0 if ok else 1


def main():
    a = sys.argv[1:]
    cmd = a.pop(0) if a else ""
    if cmd not in ("verify", "logits"):
        print(__doc__, file=sys.stderr)
        return 2
    model, seq = a[0], [int(i) for i in a[1].split(",")]
    o = {"--temperature": "0", "--seed": "0", "--freq-penalty": "0", "--multiplier": "1", "--method": "add"}
    specs = []
    i = 3
    while i < len(a):
        if a[i] == "--steer":
            specs.append(a[i + 1])
        else:
            o[a[i]] = a[i + 1]
        i += 2
    temp, seed, fp = float(o["--temperature"]), int(o["--seed"]), float(o["--freq-penalty"])
    forward, cfg, wt, vocab = model_of(model)
    if cmd == "logits":
        st = steering(specs, float(o["--multiplier"]), o["--method"], forward, wt, cfg, seq)
        return cmd_logits(forward, seq, a[2], cfg, wt, st)
    plen = int(a[2])
    st = steering(specs, float(o["--multiplier"]), o["--method"], forward, wt, cfg, seq[:-1])
    _, logits = forward(wt, cfg, seq[:-1], st)
    rng = Rng(seed)
    counts = np.zeros(vocab)
    for t in seq[:plen]:
        counts[t] += 1
    decided = bad = 0
    for p in range(plen, len(seq)):
        l, tok = logits[p - 1], seq[p]
        tol = TOL * max(1.0, np.abs(l).max())
        if temp == 0:
            top = np.sort(l)[-2:]
            if top[1] - top[0] > tol:
                decided += 1
                if tok != int(np.argmax(l)):
                    bad += 1
                    print("# position %d: %d, wanted %d" % (p, tok, int(np.argmax(l))))
            elif l[tok] < top[1] - tol:
                bad += 1
        else:
            z = l / temp - fp * counts
            q = np.exp(z - z.max())
            q /= q.sum()
            cum = np.cumsum(q)
            u = rng.next()
            lo, hi = (cum[tok - 1] if tok else 0.0), cum[tok]
            if not (lo - TOL <= u < hi + TOL):
                bad += 1
                print("# position %d: %d has [%.6f, %.6f), u = %.6f" % (p, tok, lo, hi, u))
            elif np.min(np.abs(cum - u)) > TOL:
                decided += 1
        counts[tok] += 1
    n = len(seq) - plen
    print("# %d tokens: %d decided, %d wrong" % (n, decided, bad))
    return 1 if bad or decided * 2 < n else 0


if __name__ == "__main__":
    sys.exit(main())
