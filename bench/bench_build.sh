#!/bin/sh
# bench_build.sh - saex build on GPT-2-small shapes: a random model of 12
# layers, d 768, vocabulary 50257, context 1024 (tests/gpt2_ref.py) and a
# standard SAE of 24,576 features at blocks.9.hook_resid_pre whose encoder
# biases are set from the model's own activations so that about 0.3% of the
# features fire per token (an L0 near 75, like real residual SAEs; the
# script prints the L0 it got). The corpus is random words; the tokenizer is a small byte-level one (the
# vocabulary size does not change the work of a build, which runs the model
# only to layer 9).
#
# usage: bench/bench_build.sh [PROMPTS]   (from the build folder, after make)
#   PROMPTS  prompts of 128 tokens to build from (1024)
# Prints saex build's JSON summary: tokens/s over the streaming phase and
# the time shares of model forward, SAE encode and bookkeeping, then the
# finalize (logit effects, similar features) and write times. Needs python3
# with numpy. Weights go to $BENCH_DIR (default a temporary folder, removed
# afterwards; set it to keep the weights between runs).
set -eu
SAEX=${SAEX_BIN:-./saex}
SRC=$(cd "$(dirname "$0")/.." && pwd)
PROMPTS=${1:-1024}
PY=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import numpy' >/dev/null 2>&1; then PY=$p; break; fi
done
[ -n "$PY" ] || { echo "bench_build: needs python3 with numpy" >&2; exit 1; }
if [ -n "${BENCH_DIR:-}" ]; then
	D=$BENCH_DIR
	mkdir -p "$D"
else
	D=$(mktemp -d "${TMPDIR:-/tmp}/saex-bench-build-XXXXXX")
	trap 'rm -rf "$D"' EXIT
fi
M="$D/gpt2-shapes"
if [ ! -f "$M/model.safetensors" ]; then
	echo "bench_build: writing the random model (GPT-2 small shapes)" >&2
	"$PY" "$SRC/tests/gpt2_ref.py" write "$M" --seed 1 --n-layer 12 --n-head 12 --n-embd 768 \
		--vocab 50257 --n-pos 1024 --wscale 0.1
	awk 'BEGIN {
		printf "{"; n = 0
		for (b = 0; b < 256; b++) {
			p = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174
			cp = p ? b : 256 + n++
			printf "\"\\u%04x\":%d,", cp, b
		}
		printf "\"he\":256,\"ll\":257,\"<|endoftext|>\":258}\n"
	}' > "$M/vocab.json"
	printf '#version: 0.2\nh e\nl l\n' > "$M/merges.txt"
fi
C="$D/corpus.txt"
"$PY" -c '
import random, sys
r = random.Random(3)
words = ["".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(2, 8))) for _ in range(2000)]
n = int(sys.argv[1])
# documents of about 64 full prompts each (127 tokens after BOS: about 127 bytes)
for d in range(n // 64 + 1):
    print(" ".join(r.choice(words) for _ in range(1600)))
' "$PROMPTS" > "$C"
S="$D/sae-24576"
if [ ! -f "$S/sae_weights.safetensors" ]; then
	echo "bench_build: calibrating the SAE on the model's layer-9 activations" >&2
	# 32 prompts of the corpus cut as saex build cuts it (BOS and 127
	# tokens): an SAE calibrated on other text, or on a few prompts, fires
	# far more often here (in this random model a prompt's first tokens
	# sway every later position)
	"$SAEX" tokenize --model "$M" --json "$(head -n 1 "$C")" > "$D/doc0.json"
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
ids = d["ids"] if isinstance(d, dict) else [t["id"] for t in d]
for k in range(32):
    print(",".join(str(i) for i in [258] + ids[127 * k:127 * (k + 1)]))
' "$D/doc0.json" > "$D/calib.ids"
	k=0
	while read -r ids; do
		"$SAEX" run --model "$M" --ids "$ids" --hook blocks.9.hook_resid_pre --save "$D/x9.$k.npy" > /dev/null
		k=$((k + 1))
	done < "$D/calib.ids"
	"$PY" - "$S" "$D"/x9.*.npy <<'EOF'
import json, os, struct, sys
import numpy as np
# BOS rows left out: their activations are unlike every other position's
x = np.concatenate([np.load(f)[1:] for f in sys.argv[2:]]).astype(np.float64)
d, n = x.shape[1], 24576
rng = np.random.default_rng(7)
W_enc = rng.normal(0, 1 / np.sqrt(d), (d, n)).astype(np.float32)
W_dec = rng.normal(0, 1 / np.sqrt(d), (n, d)).astype(np.float32)
b_dec = x.mean(0).astype(np.float32)
pre = (x - b_dec) @ W_enc
# fire on about 0.3% of tokens: above each feature's 99.7th percentile
b_enc = -np.quantile(pre, 0.997, axis=0).astype(np.float32)
os.makedirs(sys.argv[1], exist_ok=True)
t = [("W_enc", W_enc), ("W_dec", W_dec), ("b_enc", b_enc), ("b_dec", b_dec)]
header, off = {}, 0
for k, a in t:
    header[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
    off += a.nbytes
h = json.dumps(header).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(os.path.join(sys.argv[1], "sae_weights.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h)
    for _, a in t:
        f.write(a.astype("<f4").tobytes())
cfg = {"architecture": "standard", "d_in": d, "d_sae": n, "dtype": "float32",
       "apply_b_dec_to_input": True, "normalize_activations": "none",
       "metadata": {"model_name": "gpt2-shapes", "hook_name": "blocks.9.hook_resid_pre",
                    "context_size": 128, "prepend_bos": True}}
json.dump(cfg, open(os.path.join(sys.argv[1], "cfg.json"), "w"))
EOF
fi
rm -f "$D/bench.db" "$D/bench.db.build"
echo "bench_build: saex build, $PROMPTS prompts of 128 tokens" >&2
"$SAEX" build "$D/bench.db" --model "$M" --sae "$S" --corpus "$C" --prompts "$PROMPTS" \
	--ctx 128 --json --checkpoint-every 600
# The SAE's L0 on this corpus: the bookkeeping's work grows with it.
"$SAEX" export "$D/bench.db" --source gpt2-shapes/9-sae-24576 --what features |
	"$PY" -c 'import csv, sys
print("bench_build: L0 %.1f features active per token" %
      sum(float(r["frac_nonzero"] or 0) for r in csv.DictReader(sys.stdin)), file=sys.stderr)'
