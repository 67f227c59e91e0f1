#!/bin/sh
# bench_build.sh - saex build on GPT-2-small shapes: a random model of 12
# layers, d 768, vocabulary 50257, context 1024 (tests/gpt2_ref.py) and a
# standard SAE of 24,576 features at blocks.9.hook_resid_pre whose encoder
# biases are set from the model's own activations so that about 0.3% of the
# features fire per token (an L0 near 75, like real residual SAEs). The
# corpus is random words; the tokenizer is a small byte-level one (the
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
	"$SAEX" run --model "$M" --ids "$("$PY" -c 'import random; r = random.Random(9); print(",".join(str(r.randrange(256)) for _ in range(512)))')" \
		--hook blocks.9.hook_resid_pre --save "$D/x9.npy" > /dev/null
	"$PY" - "$D/x9.npy" "$S" <<'EOF'
import json, os, struct, sys
import numpy as np
x = np.load(sys.argv[1]).astype(np.float64)
d, n = x.shape[1], 24576
rng = np.random.default_rng(7)
W_enc = rng.normal(0, 1 / np.sqrt(d), (d, n)).astype(np.float32)
W_dec = rng.normal(0, 1 / np.sqrt(d), (n, d)).astype(np.float32)
b_dec = x.mean(0).astype(np.float32)
pre = (x - b_dec) @ W_enc
# fire when pre exceeds mean + 2.75 sd: about 0.3% of tokens
b_enc = -(pre.mean(0) + 2.75 * pre.std(0)).astype(np.float32)
os.makedirs(sys.argv[2], exist_ok=True)
t = [("W_enc", W_enc), ("W_dec", W_dec), ("b_enc", b_enc), ("b_dec", b_dec)]
header, off = {}, 0
for k, a in t:
    header[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
    off += a.nbytes
h = json.dumps(header).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(os.path.join(sys.argv[2], "sae_weights.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h)
    for _, a in t:
        f.write(a.astype("<f4").tobytes())
cfg = {"architecture": "standard", "d_in": d, "d_sae": n, "dtype": "float32",
       "apply_b_dec_to_input": True, "normalize_activations": "none",
       "metadata": {"model_name": "gpt2-shapes", "hook_name": "blocks.9.hook_resid_pre",
                    "context_size": 128, "prepend_bos": True}}
json.dump(cfg, open(os.path.join(sys.argv[2], "cfg.json"), "w"))
EOF
fi
rm -f "$D/bench.db" "$D/bench.db.build"
echo "bench_build: saex build, $PROMPTS prompts of 128 tokens" >&2
"$SAEX" build "$D/bench.db" --model "$M" --sae "$S" --corpus "$C" --prompts "$PROMPTS" \
	--ctx 128 --json --checkpoint-every 600
