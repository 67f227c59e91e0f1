#!/bin/sh
# bench/run_live.sh - the explorer's live test and steering latency on
# GPT-2-small shapes: builds bench_core and bench_live, has bench_core write
# (and keep) its random weights once, then runs bench_live on them.
#
# usage: bench/run_live.sh [BUILD_DIR [bench_live options]]  (BUILD_DIR: the current folder)
# Environment: SAEX_BENCH_DIR, the scratch folder [/tmp/saex-bench]; the
# weights go to $SAEX_BENCH_DIR/core (about 650 MB) and are reused.
set -eu
build=${1:-.}
[ $# -gt 0 ] && shift
scratch=${SAEX_BENCH_DIR:-/tmp/saex-bench}
if [ ! -f "$build/Makefile" ]; then
	echo "run_live.sh: $build is not a configured build folder (no Makefile)" >&2
	exit 1
fi
make -C "$build" bench/bench_core bench/bench_live >/dev/null
mkdir -p "$scratch/core"
if [ ! -f "$scratch/core/gpt2/model.safetensors" ]; then
	echo "== writing the weights (bench_core --keep)"
	"$build/bench/bench_core" --dir "$scratch/core" --keep --reps 3 >/dev/null
fi
"$build/bench/bench_live" --dir "$scratch/core" "$@"
