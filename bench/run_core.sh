#!/bin/sh
# bench/run_core.sh - builds bench_core, runs it (the SAE core against the
# machine's own limits), then the same GPT-2 weights through PyTorch
# (bench/torch_gpt2.py), and prints the ratios saex / torch.
#
# usage: bench/run_core.sh [BUILD_DIR]
#   BUILD_DIR is a configured build tree (default: the current folder).
#
# Environment (defaults in brackets):
#   SAEX_BENCH_DIR     scratch folder; the random weights go to
#                      $SAEX_BENCH_DIR/core (about 650 MB) and are kept and
#                      reused by later runs [/tmp/saex-bench]
#   SAEX_BENCH_PY      the Python with torch and numpy [/usr/bin/python3]
#                      (Debian: apt-get install python3-torch); when it has
#                      no torch the comparison is skipped
#   OPENBLAS_NUM_THREADS  threads of OpenBLAS, of the GELU split and of torch
#                      [one per CPU]
#   OPENBLAS_CORETYPE  OpenBLAS's kernels (e.g. SkylakeX): 0.3.21 falls back
#                      to its generic Prescott kernels on CPUs newer than it
#                      knows; both saex and torch (which calls the same
#                      libblas) see the setting
# Extra arguments for bench_core go in SAEX_BENCH_CORE_ARGS (e.g. "--reps 31").
#
# Exit status: 0 when everything ran (bars met or not), non-zero when a step
# failed.
set -eu

build=${1:-.}
scratch=${SAEX_BENCH_DIR:-/tmp/saex-bench}
py=${SAEX_BENCH_PY:-/usr/bin/python3}
src=$(cd "$(dirname "$0")" && pwd)

if [ ! -f "$build/Makefile" ]; then
	echo "run_core.sh: $build is not a configured build folder (no Makefile)" >&2
	exit 1
fi
echo "== building bench_core in $build"
make -C "$build" bench/bench_core >/dev/null
mkdir -p "$scratch"
threads=${OPENBLAS_NUM_THREADS:-$(nproc)}
export OPENBLAS_NUM_THREADS="$threads"
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo),"\
     "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== threads: $threads (OpenBLAS, saex's GELU, torch); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(auto)}"

echo "== bench_core"
# shellcheck disable=SC2086
"$build/bench/bench_core" --dir "$scratch/core" --keep ${SAEX_BENCH_CORE_ARGS:-} | tee "$scratch/core.log"
grep -q '^RESULT' "$scratch/core.log" || { echo "run_core.sh: bench_core failed" >&2; exit 2; }

if ! "$py" -c 'import torch, numpy' 2>/dev/null; then
	echo "== $py has no torch (Debian: apt-get install python3-torch): no comparison"
	exit 0
fi
echo "== torch_gpt2.py"
"$py" "$src/torch_gpt2.py" "$scratch/core/gpt2" --threads "$threads" | tee "$scratch/torch.log"
grep -q '^RESULT' "$scratch/torch.log" || { echo "run_core.sh: torch_gpt2.py failed" >&2; exit 2; }

echo
echo "== saex / torch (below 1: saex is faster)"
awk '
function val(line, key,   i, n, kv) {
	n = split(line, kv, " ")
	for (i = 1; i <= n; i++)
		if (index(kv[i], key "=") == 1)
			return substr(kv[i], length(key) + 2)
	return ""
}
/^RESULT threads=/ { sp = val($0, "prompt_ms"); sg = val($0, "gen_ms") }
/^RESULT torch_prompt_ms=/ { tp = val($0, "torch_prompt_ms"); tg = val($0, "torch_gen_ms") }
END {
	printf "prompt      saex %8.2f ms   torch %8.2f ms   saex/torch %5.2f  %s\n", sp, tp, sp / tp, sp + 0 <= tp + 0 ? "faster" : "SLOWER"
	printf "generation  saex %8.2f ms   torch %8.2f ms   saex/torch %5.2f  %s\n", sg, tg, sg / tg, sg + 0 <= tg + 0 ? "faster" : "SLOWER"
}' "$scratch/core.log" "$scratch/torch.log"
