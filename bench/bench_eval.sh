#!/bin/sh
# bench_eval.sh - saex eval on GPT-2-small shapes (bench/shapes.sh: a random
# model of 12 layers, d 768, vocabulary 50257, and standard SAEs of 24,576
# features calibrated to fire on about 0.3% of tokens), over PROMPTS
# prompts of 128 tokens. The cost of an evaluation is given in clean
# passes, measured in the same run: the clean pass is one plain forward
# pass of the prompt (logits included; its hooks only copy the
# activations out), so `ratio_to_clean` is the evaluation's time over that
# of one plain forward pass over the same tokens.
#
# Runs, each printing saex eval's time shares and the ratio:
#   1  one SAE at blocks.9.hook_resid_pre;
#   2  four SAEs of one set at that hook (they share the clean and the
#      ablated pass): each further SAE costs (ratio_4 - ratio_1) / 3;
#   3  three SAEs at blocks.5, 9 and 11 (share the clean pass only).
#
# usage: bench/bench_eval.sh [PROMPTS]   (from the build folder, after make)
# Needs python3 with numpy. Weights go to $BENCH_DIR (default a temporary
# folder, removed afterwards; set it to keep them between runs).
set -eu
SAEX=${SAEX_BIN:-./saex}
SRC=$(cd "$(dirname "$0")/.." && pwd)
PROMPTS=${1:-64}
. "$SRC/bench/shapes.sh"
shapes_dir bench-eval
shapes_python
M="$D/gpt2-shapes"
shapes_model "$M"
C="$D/corpus.txt"
shapes_corpus "$C" "$PROMPTS"
for s in 1 2 3 4; do
	shapes_sae "$D/sae9-$s" "$M" "$C" blocks.9.hook_resid_pre 24576 "$((6 + s))"
done
shapes_sae "$D/sae5" "$M" "$C" blocks.5.hook_resid_pre 24576 11
shapes_sae "$D/sae11" "$M" "$C" blocks.11.hook_resid_pre 24576 12

# run NAME SAE...: one saex eval, its time shares and ratio on one line
run() {
	name=$1
	shift
	args=
	for s in "$@"; do args="$args --sae $s"; done
	# shellcheck disable=SC2086
	"$SAEX" eval --model "$M" $args --corpus "$C" --prompts "$PROMPTS" --ctx 128 --json --quiet > "$D/$name.json"
	"$PY" - "$D/$name.json" "$name" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["time"]
print("bench_eval: %-10s %d SAE%s, %d prompts, %d tokens: clean %.2fs ablated %.2fs spliced %.2fs "
      "encode %.2fs stats %.2fs = %.3f x the clean passes; l0 %s" % (
          sys.argv[2], len(d["saes"]), "" if len(d["saes"]) == 1 else "s", d["prompts"], d["tokens"] + d["prompts"],
          t["clean"], t["ablated"], t["spliced"], t["encode"], t["stats"], t["ratio_to_clean"],
          ", ".join("%.1f" % s["metrics"]["sparsity"]["l0"] for s in d["saes"])))
EOF
}
run one "$D/sae9-1"
run set4 "$D/sae9-1" "$D/sae9-2" "$D/sae9-3" "$D/sae9-4"
run layers "$D/sae5" "$D/sae9-1" "$D/sae11"
"$PY" - "$D/one.json" "$D/set4.json" "$D/layers.json" <<'EOF'
import json, sys
one, four, layers = (json.load(open(p))["time"]["ratio_to_clean"] for p in sys.argv[1:4])
print("bench_eval: one SAE %.3f x a plain forward pass (bar 3.3); each further SAE of the set at its hook "
      "%.3f x more (bar 0.5); each further SAE at another layer %.3f x more" % (one, (four - one) / 3, (layers - one) / 2))
EOF
