#!/bin/sh
# bench_build.sh - saex build on GPT-2-small shapes: a random model of 12
# layers, d 768, vocabulary 50257, context 1024 (tests/gpt2_ref.py) and a
# standard SAE of 24,576 features at blocks.9.hook_resid_pre whose encoder
# biases are set from the model's own activations so that about 0.3% of the
# features fire per token (an L0 near 75, like real residual SAEs; the
# script prints the L0 it got). The corpus is random words; the tokenizer is a small byte-level one (the
# vocabulary size does not change the work of a build, which runs the model
# only to layer 9). The weights and corpus come from bench/shapes.sh.
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
. "$SRC/bench/shapes.sh"
shapes_dir bench-build
shapes_python
M="$D/gpt2-shapes"
shapes_model "$M"
C="$D/corpus.txt"
shapes_corpus "$C" "$PROMPTS"
S="$D/sae-24576"
shapes_sae "$S" "$M" "$C" blocks.9.hook_resid_pre 24576 7
rm -f "$D/bench.db" "$D/bench.db.build"
echo "bench_build: saex build, $PROMPTS prompts of 128 tokens" >&2
"$SAEX" build "$D/bench.db" --model "$M" --sae "$S" --corpus "$C" --prompts "$PROMPTS" \
	--ctx 128 --json --checkpoint-every 600
# The SAE's L0 on this corpus: the bookkeeping's work grows with it.
"$SAEX" export "$D/bench.db" --source gpt2-shapes/9-sae-24576 --what features |
	"$PY" -c 'import csv, sys
print("bench_build: L0 %.1f features active per token" %
      sum(float(r["frac_nonzero"] or 0) for r in csv.DictReader(sys.stdin)), file=sys.stderr)'
