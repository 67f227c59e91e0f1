# shapes.sh - sourced by bench_build.sh and bench_eval.sh: a random model of
# GPT-2-small shapes (12 layers, d 768, vocabulary 50257, context 1024;
# tests/gpt2_ref.py) with a small byte-level tokenizer, a corpus of random
# words, and standard SAEs calibrated on the model's own activations.
# Needs SAEX (the binary) and SRC (the source tree) set.

# shapes_dir NAME: D, the folder for the weights: $BENCH_DIR (kept), else a
# temporary one removed at exit.
shapes_dir() {
	if [ -n "${BENCH_DIR:-}" ]; then
		D=$BENCH_DIR
		mkdir -p "$D"
	else
		D=$(mktemp -d "${TMPDIR:-/tmp}/saex-$1-XXXXXX")
		trap 'rm -rf "$D"' EXIT
	fi
}

# PY: a python3 that imports numpy (exits with a message when none does).
shapes_python() {
	PY=
	for p in python3 /usr/bin/python3; do
		if "$p" -c 'import numpy' >/dev/null 2>&1; then PY=$p; break; fi
	done
	[ -n "$PY" ] || { echo "$(basename "$0"): needs python3 with numpy" >&2; exit 1; }
}

# shapes_model DIR: the model and its tokenizer (the 256 bytes, "he", "ll"
# and <|endoftext|> = 258), unless DIR has them already.
shapes_model() {
	[ -f "$1/model.safetensors" ] && return 0
	echo "$(basename "$0"): writing the random model (GPT-2 small shapes)" >&2
	"$PY" "$SRC/tests/gpt2_ref.py" write "$1" --seed 1 --n-layer 12 --n-head 12 --n-embd 768 \
		--vocab 50257 --n-pos 1024 --wscale 0.1
	awk 'BEGIN {
		printf "{"; n = 0
		for (b = 0; b < 256; b++) {
			p = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174
			cp = p ? b : 256 + n++
			printf "\"\\u%04x\":%d,", cp, b
		}
		printf "\"he\":256,\"ll\":257,\"<|endoftext|>\":258}\n"
	}' > "$1/vocab.json"
	printf '#version: 0.2\nh e\nl l\n' > "$1/merges.txt"
}

# shapes_corpus FILE PROMPTS: random words, documents of about 64 full
# prompts of 128 tokens each (127 tokens after BOS: about 127 bytes).
shapes_corpus() {
	"$PY" -c '
import random, sys
r = random.Random(3)
words = ["".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(2, 8))) for _ in range(2000)]
for d in range(int(sys.argv[1]) // 64 + 1):
    print(" ".join(r.choice(words) for _ in range(1600)))
' "$2" > "$1"
}

# shapes_sae DIR MODEL CORPUS HOOK FEATURES SEED: a standard SAE of FEATURES
# features at HOOK whose encoder biases make each feature fire on about
# 0.3% of tokens (an L0 near 75, like real residual SAEs; above each
# feature's 99.7th percentile) over 32 prompts of the corpus cut as saex
# build cuts it (BOS and 127 tokens): an SAE calibrated on other text, or
# on a few prompts, fires far more often here (in this random model a
# prompt's first tokens sway every later position). Unless DIR has one.
shapes_sae() {
	[ -f "$1/sae_weights.safetensors" ] && return 0
	echo "$(basename "$0"): calibrating $(basename "$1") on the model's $4 activations" >&2
	"$SAEX" tokenize --model "$2" --json "$(head -n 1 "$3")" > "$D/doc0.json"
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
ids = d["ids"] if isinstance(d, dict) else [t["id"] for t in d]
for k in range(32):
    print(",".join(str(i) for i in [258] + ids[127 * k:127 * (k + 1)]))
' "$D/doc0.json" > "$D/calib.ids"
	k=0
	rm -f "$D"/calib.*.npy
	while read -r ids; do
		"$SAEX" run --model "$2" --ids "$ids" --hook "$4" --save "$D/calib.$k.npy" > /dev/null
		k=$((k + 1))
	done < "$D/calib.ids"
	"$PY" - "$1" "$4" "$5" "$6" "$D"/calib.*.npy <<'EOF'
import json, os, struct, sys
import numpy as np
out, hook, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
# BOS rows left out: their activations are unlike every other position's
x = np.concatenate([np.load(f)[1:] for f in sys.argv[5:]]).astype(np.float64)
d = x.shape[1]
rng = np.random.default_rng(seed)
W_enc = rng.normal(0, 1 / np.sqrt(d), (d, n)).astype(np.float32)
W_dec = rng.normal(0, 1 / np.sqrt(d), (n, d)).astype(np.float32)
b_dec = x.mean(0).astype(np.float32)
pre = (x - b_dec) @ W_enc
b_enc = -np.quantile(pre, 0.997, axis=0).astype(np.float32)
os.makedirs(out, exist_ok=True)
t = [("W_enc", W_enc), ("W_dec", W_dec), ("b_enc", b_enc), ("b_dec", b_dec)]
header, off = {}, 0
for k, a in t:
    header[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
    off += a.nbytes
h = json.dumps(header).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(os.path.join(out, "sae_weights.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h)
    for _, a in t:
        f.write(a.astype("<f4").tobytes())
cfg = {"architecture": "standard", "d_in": d, "d_sae": n, "dtype": "float32",
       "apply_b_dec_to_input": True, "normalize_activations": "none",
       "metadata": {"model_name": "gpt2-shapes", "hook_name": hook,
                    "context_size": 128, "prepend_bos": True}}
json.dump(cfg, open(os.path.join(out, "cfg.json"), "w"))
EOF
}
