#!/usr/bin/env python3
"""eval_ref.py - test helper for tests/eval.test (numpy only): an
independent float64 implementation of saex eval's metrics (SAELens's
sae_lens/evals.py formulas, as saex_eval.h states them).

  eval_ref.py sae DIR --kind random|perfect|zero --hook HOOK --d-in D
                  [--d-sae N] [--arch standard|jumprelu|topk] [--seed S]
                  [--cww]
      writes a SAELens folder: random weights whose features fire on some
      tokens; perfect: W_enc = [I, -I], W_dec = [I; -I] (x^ = x exactly);
      zero: W_dec = 0, b_dec = 0 (x^ = 0).
  eval_ref.py cut CTX BOS N DOC.json...
      prints the prompts saex eval runs, as JSON: each document's ids
      (saex tokenize --json output) cut into pieces of CTX - 1 tokens, each
      piece after BOS; the first N prompts (0: all).
  eval_ref.py check MODEL PROMPTS.json GOT.json BOS SAE... [--ablate-bos]
      recomputes every metric of every SAE on the prompts with the model
      (tests/gpt2_ref.py's forward pass) and the SAEs (tests/sae_ref.py's
      encode and decode) and compares saex eval --json's output; prints one
      line per SAE and exits 1 on a disagreement.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpt2_ref  # noqa: E402
import sae_ref  # noqa: E402


def cmd_sae(a):
    rng = np.random.default_rng(a.seed)
    d = a.d_in
    os.makedirs(a.dir, exist_ok=True)
    if a.kind == "perfect":
        n = 2 * d
        eye = np.eye(d, dtype=np.float32)
        t = {"W_enc": np.concatenate([eye, -eye], 1), "W_dec": np.concatenate([eye, -eye], 0),
             "b_enc": np.zeros(n, np.float32), "b_dec": np.zeros(d, np.float32)}
    else:
        n = a.d_sae
        t = {"W_enc": rng.normal(0, 1 / np.sqrt(d), (d, n)).astype(np.float32),
             "W_dec": rng.normal(0, 1 / np.sqrt(d), (n, d)).astype(np.float32),
             "b_enc": rng.normal(-0.4, 0.3, n).astype(np.float32),
             "b_dec": rng.normal(0, 0.2, d).astype(np.float32)}
        if a.kind == "zero":
            t["W_dec"][:] = 0
            t["b_dec"][:] = 0
        if a.arch == "jumprelu":
            t["threshold"] = rng.uniform(0.05, 0.3, n).astype(np.float32)
    sae_ref.write_safetensors(os.path.join(a.dir, "sae_weights.safetensors"), t)
    cfg = {"architecture": a.arch if a.kind != "perfect" else "standard", "d_in": d, "d_sae": n,
           "dtype": "float32", "apply_b_dec_to_input": True, "normalize_activations": "none",
           "metadata": {"model_name": "gpt2", "hook_name": a.hook, "context_size": 128, "prepend_bos": True,
                        "model_from_pretrained_kwargs": {"center_writing_weights": a.cww}}}
    if a.arch == "topk":
        cfg["k"] = 4
    with open(os.path.join(a.dir, "cfg.json"), "w") as f:
        json.dump(cfg, f, indent=1)


def cmd_cut(a):
    prompts = []
    for path in a.docs:
        with open(path) as f:
            d = json.load(f)
        ids = d["ids"]
        for k in range(0, len(ids), a.ctx - 1):
            prompts.append([a.bos] + ids[k:k + a.ctx - 1])
    if a.n:
        prompts = prompts[:a.n]
    json.dump(prompts, sys.stdout)


def log_softmax(z):
    m = z.max(-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(-1, keepdims=True))


class Totals:
    """Sums over counted tokens, as saex_eval.h defines each metric."""

    def __init__(self, d_sae):
        self.n = self.n_ce = 0
        self.sums = dict.fromkeys(["norm_in", "norm_out", "ratio", "xhat2", "dot", "rss", "x2", "cos",
                                   "ce_clean", "ce_sae", "ce_abl", "kl_sae", "kl_abl"], 0.0)
        self.count = np.zeros(d_sae)
        self.fsum = np.zeros(d_sae)
        self.ambiguous = 0

    def metrics(self, d):
        s, N, Nc = self.sums, self.n, self.n_ce
        A, R = s["x2"] / N, s["rss"] / N
        m = {"l0": self.count.sum() / N, "l1": self.fsum.sum() / N,
             "explained_variance": 1 - R / (A - (A / d) ** 2), "mse": s["rss"] / (N * d), "cossim": s["cos"] / N,
             "l2_norm_in": s["norm_in"] / N, "l2_norm_out": s["norm_out"] / N, "l2_ratio": s["ratio"] / N,
             "relative_reconstruction_bias": s["xhat2"] / s["dot"],
             "ce_loss_without_sae": s["ce_clean"] / Nc, "ce_loss_with_sae": s["ce_sae"] / Nc,
             "ce_loss_with_ablation": s["ce_abl"] / Nc,
             "kl_div_with_sae": s["kl_sae"] / N, "kl_div_with_ablation": s["kl_abl"] / N}
        m["ce_loss_score"] = ((m["ce_loss_with_ablation"] - m["ce_loss_with_sae"]) /
                              (m["ce_loss_with_ablation"] - m["ce_loss_without_sae"]))
        m["kl_div_score"] = (m["kl_div_with_ablation"] - m["kl_div_with_sae"]) / m["kl_div_with_ablation"]
        dens = self.count / N
        m["frac_alive"] = float((self.count > 0).mean())
        m["freq_over_1_percent"] = float((dens > 0.01).mean())
        m["freq_over_10_percent"] = float((dens > 0.1).mean())
        m["mean_act_active"] = self.fsum.sum() / self.count.sum() if self.count.sum() else float("nan")
        return m, dens, int((self.count == 0).sum()), int((dens > 0.1).sum())


def ce_kl(lp_clean, z, ids, count):
    """Sums of CE_t (counted t < T-1) and KL_t (counted t) of run logits z."""
    lp = log_softmax(z)
    t = np.arange(len(ids) - 1)
    ce = -lp[t, ids[1:]]
    kl = (np.exp(lp_clean) * (lp_clean - lp)).sum(-1)
    return ce[count[:-1]].sum(), kl[count].sum()


def run_prompt(wt, cfg, ids, saes, tots, ablate_bos, bos):
    ids = np.array(ids)
    count = ids != bos
    hooks, z = gpt2_ref.forward(wt, cfg, ids)
    lpc = log_softmax(z)
    t = np.arange(len(ids) - 1)
    ce_clean = -lpc[t, ids[1:]][count[:-1]].sum()
    for (scfg, sw), tot in zip(saes, tots):
        hook = scfg["metadata"]["hook_name"]
        x = hooks[hook]
        f, xh, amb = sae_ref.reference(scfg, sw, x)
        cww = scfg["metadata"]["model_from_pretrained_kwargs"]["center_writing_weights"]
        xr = x - x.mean(1, keepdims=True) if cww else x
        # pre-activations within 1e-4 of 0 (ReLU) may fire in float32 and
        # not here, or the other way
        pre = (xr - sw["b_dec"]) @ sw["W_enc"] + sw["b_enc"]
        amb = amb | (np.abs(pre) < 1e-4).any(1)
        tot.ambiguous += int((np.abs(pre[count]) < 1e-4).sum()) + int(amb[count].sum())

        def splice(v, xh=xh):
            return np.where(count[:, None], xh, v)

        def ablate(v):
            return np.zeros_like(v) if ablate_bos else np.where(count[:, None], 0.0, v)

        ce_s, kl_s = ce_kl(lpc, gpt2_ref.forward(wt, cfg, ids, {hook: splice})[1], ids, count)
        ce_a, kl_a = ce_kl(lpc, gpt2_ref.forward(wt, cfg, ids, {hook: ablate})[1], ids, count)
        a, b = xr[count], xh[count]
        na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
        s = tot.sums
        s["norm_in"] += na.sum()
        s["norm_out"] += nb.sum()
        s["ratio"] += (nb / np.where(na < 1e-4, 1, na)).sum()
        s["xhat2"] += (nb ** 2).sum()
        s["dot"] += (a * b).sum()
        s["rss"] += ((a - b) ** 2).sum()
        s["x2"] += (na ** 2).sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            s["cos"] += np.where((na > 0) & (nb > 0), (a * b).sum(1) / (na * nb), 0).sum()
        s["ce_clean"] += ce_clean
        s["ce_sae"] += ce_s
        s["ce_abl"] += ce_a
        s["kl_sae"] += kl_s
        s["kl_abl"] += kl_a
        tot.n += int(count.sum())
        tot.n_ce += int(count[:-1].sum())
        tot.count += (f[count] > 0).sum(0)
        tot.fsum += np.where(f[count] > 0, f[count], 0).sum(0)


def close(got, want, rel, ab):
    if got is None:
        return want is None or not np.isfinite(want)
    return abs(got - want) <= rel * abs(want) + ab


def cmd_check(a):
    np.seterr(all="ignore")
    with open(os.path.join(a.model, "config.json")) as f:
        cfg = json.load(f)
    wt = gpt2_ref.read_safetensors(os.path.join(a.model, "model.safetensors"))
    with open(a.prompts) as f:
        prompts = json.load(f)
    with open(a.got) as f:
        got = json.load(f)
    saes = []
    for d in a.saes:
        with open(os.path.join(d, "cfg.json")) as f:
            scfg = json.load(f)
        saes.append((scfg, sae_ref.read_safetensors(os.path.join(d, "sae_weights.safetensors"))))
    tots = [Totals(s[0]["d_sae"]) for s in saes]
    for ids in prompts:
        run_prompt(wt, cfg, ids, saes, tots, a.ablate_bos, a.bos)
    bad = 0
    if got["prompts"] != len(prompts) or got["tokens"] != tots[0].n:
        print("# prompts/tokens: got %s/%s, want %d/%d" % (got["prompts"], got["tokens"], len(prompts), tots[0].n))
        bad += 1
    for i, ((scfg, _), tot) in enumerate(zip(saes, tots)):
        want, dens, dead, dense = tot.metrics(scfg["d_in"])
        g = got["saes"][i]
        flat = {k: v for grp in g["metrics"].values() for k, v in grp.items()}
        # a feature decided by a near-tie may fire in float32 and not in
        # float64: each such token moves l0 by 1/N
        slack = tot.ambiguous / tot.n + 1e-9
        worst = 0.0
        for k, w in want.items():
            rel, ab = 1e-4, 1e-6 * max(1.0, abs(w))
            if k in ("l0", "frac_alive", "freq_over_1_percent", "freq_over_10_percent"):
                ab += slack
            if k.startswith("kl_") or k.endswith("_score"):
                ab += 2e-5
            if not close(flat.get(k), w, rel, ab):
                print("# SAE %d %s: got %r, want %r" % (i + 1, k, flat.get(k), w))
                bad += 1
            elif flat.get(k) is not None and np.isfinite(w):
                worst = max(worst, abs(flat[k] - w) / max(abs(w), 1e-12))
        gd = np.array(g["feature_density"])
        if gd.shape != dens.shape or np.abs(gd - dens).max() > slack + 1e-7:
            print("# SAE %d feature_density differs" % (i + 1))
            bad += 1
        if g["dead_features"] != dead or g["dense_features"] != dense:
            if not tot.ambiguous:
                print("# SAE %d dead/dense: got %d/%d, want %d/%d" % (i + 1, g["dead_features"],
                                                                    g["dense_features"], dead, dense))
                bad += 1
        print("# SAE %d: l0 %.4f ev %.4f ce_loss_score %.4f kl_div_score %.4f; largest relative error %.2e "
              "(%d near-ties)" % (i + 1, want["l0"], want["explained_variance"], want["ce_loss_score"],
                                  want["kl_div_score"], worst, tot.ambiguous))
    return 1 if bad else 0


def main():
    p = argparse.ArgumentParser()
    sp = p.add_subparsers(dest="cmd", required=True)
    w = sp.add_parser("sae")
    w.add_argument("dir")
    w.add_argument("--kind", default="random", choices=["random", "perfect", "zero"])
    w.add_argument("--hook", required=True)
    w.add_argument("--d-in", type=int, required=True)
    w.add_argument("--d-sae", type=int, default=48)
    w.add_argument("--arch", default="standard", choices=["standard", "jumprelu", "topk"])
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--cww", action="store_true")
    c = sp.add_parser("cut")
    c.add_argument("ctx", type=int)
    c.add_argument("bos", type=int)
    c.add_argument("n", type=int)
    c.add_argument("docs", nargs="+")
    k = sp.add_parser("check")
    k.add_argument("model")
    k.add_argument("prompts")
    k.add_argument("got")
    k.add_argument("bos", type=int)
    k.add_argument("saes", nargs="+")
    k.add_argument("--ablate-bos", action="store_true")
    a = p.parse_args()
    if a.cmd == "sae":
        cmd_sae(a)
        return 0
    if a.cmd == "cut":
        cmd_cut(a)
        return 0
    return cmd_check(a)


if __name__ == "__main__":
    sys.exit(main())
