#!/bin/sh
# bench/run.sh - builds the benchmark programs, generates synthetic
# Neuronpedia exports and runs the import and query benchmarks.
#
# usage: bench/run.sh [BUILD_DIR]
#   BUILD_DIR is a configured build tree (default: the current folder); the
#   programs are built there with `make bench`.
#
# Environment (defaults in brackets):
#   SAEX_BENCH_DIR        scratch folder for exports and databases [/tmp/saex-bench]
#   SAEX_BENCH_JOBS       gen_export writer processes [2]
#   SAEX_BENCH_SEED       generator seed [1]
#   SAEX_BENCH_BIG        features of the query database [1000000]; 0 skips it
#   SAEX_BENCH_BIG_ACTS   activations per feature in it [5] (a full 20 makes
#                         a ~4x larger database and import)
#   SAEX_BENCH_KEEP       1 keeps the big export after its database is built [0]
#
# Generated data is reused while the generator options stay the same (a
# .params file beside each export records them); the import benchmark always
# starts from a new database; the query database is reused when present
# (delete it to rebuild). Exit status: 0 when everything ran (bars met or
# not), non-zero when a step failed.
set -eu

build=${1:-.}
scratch=${SAEX_BENCH_DIR:-/tmp/saex-bench}
jobs=${SAEX_BENCH_JOBS:-2}
seed=${SAEX_BENCH_SEED:-1}
big=${SAEX_BENCH_BIG:-1000000}
big_acts=${SAEX_BENCH_BIG_ACTS:-5}
keep=${SAEX_BENCH_KEEP:-0}

if [ ! -f "$build/Makefile" ]; then
	echo "run.sh: $build is not a configured build folder (no Makefile)" >&2
	exit 1
fi
echo "== building the benchmark programs in $build"
make -C "$build" bench >/dev/null
gen=$build/bench/gen_export
bimp=$build/bench/bench_import
bqry=$build/bench/bench_query
mkdir -p "$scratch"

# gen_if_needed DIR ARGS...: runs gen_export unless DIR holds the same data.
gen_if_needed() {
	dir=$1
	shift
	want="$("$gen" --version): $* --seed $seed"
	if [ -f "$dir/.params" ] && [ "$(cat "$dir/.params")" = "$want" ]; then
		echo "== reusing $dir ($want)"
		return 0
	fi
	rm -rf "$dir"
	echo "== generating $dir ($want)"
	"$gen" --out "$dir" --jobs "$jobs" --seed "$seed" "$@"
	printf '%s\n' "$want" > "$dir/.params"
}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo),"\
     "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"

# 1. Import: one GPT-2-small-sized SAE (24,576 features x 20 examples x 128 tokens).
gen_if_needed "$scratch/gpt2" --features 24576 --acts-per-feature 20 --tokens 128
echo "== bench_import"
"$bimp" --force "$scratch/gpt2" "$scratch/gpt2.db" | tee "$scratch/import.log"
grep -q '^RESULT' "$scratch/import.log" || { echo "run.sh: bench_import failed" >&2; exit 2; }

# 2. Queries: a large database (1,000,000 features by default).
if [ "$big" -gt 0 ]; then
	bigdb=$scratch/big-$big-$big_acts.db
	# A database this saex cannot read (older storage format) is rebuilt.
	if [ -f "$bigdb" ] && ! "$build/saex" show "$bigdb" gpt2-small/9-res-jb/0 >/dev/null 2>&1; then
		echo "== $bigdb is unreadable by this saex: rebuilding it"
		rm -f "$bigdb" "$bigdb-wal" "$bigdb-shm"
	fi
	if [ ! -f "$bigdb" ]; then
		gen_if_needed "$scratch/big" --features "$big" --acts-per-feature "$big_acts" --tokens 128
	fi
	note="synthetic data: $big features in one source with $big_acts activation examples each"
	[ "$big_acts" -lt 20 ] && note="$note (Neuronpedia has 20; fewer to keep the build short)"
	echo "== bench_query"
	"$bqry" --build "$scratch/big" --note "$note" "$bigdb" | tee "$scratch/query.log"
	if [ "$keep" != 1 ] && [ -f "$bigdb" ]; then
		rm -rf "$scratch/big"
	fi
else
	echo "== bench_query on the import database (SAEX_BENCH_BIG=0)"
	"$bqry" "$scratch/gpt2.db" | tee "$scratch/query.log"
fi
grep -q '^RESULT' "$scratch/query.log" || { echo "run.sh: bench_query failed" >&2; exit 2; }

# Summary of the machine-relative ratios and the latency bars.
echo
echo "== summary"
awk '
function val(line, key,   i, n, kv) {
	n = split(line, kv, " ")
	for (i = 1; i <= n; i++)
		if (index(kv[i], key "=") == 1)
			return substr(kv[i], length(key) + 2)
	return ""
}
function bar(v, limit) { return (v + 0 <= limit) ? "meets" : "MISSES" }
/^RESULT baseline_s=/ {
	r = val($0, "import_ratio"); s = val($0, "size_ratio")
	printf "import/baseline time  %6.2f   bar <= 1.5  %s\n", r, bar(r, 1.5)
	printf "database/export size  %6.2f   bar <= 1.0  %s\n", s, bar(s, 1.0)
	printf "import rows/s         %6d\n", val($0, "rows_per_s")
}
/^RESULT features=/ {
	printf "query database        %d features, %.1f activations each\n", val($0, "features"), val($0, "acts_per_feature")
	t = val($0, "show_text_p99_ms"); j = val($0, "show_json_p99_ms"); q = val($0, "search_p99_ms")
	printf "show text p99         %6.2f ms  bar <= 5    %s\n", t, bar(t, 5)
	printf "show json p99         %6.2f ms  bar <= 5    %s\n", j, bar(j, 5)
	printf "search p99            %6.2f ms  bar <= 20   %s\n", q, bar(q, 20)
	printf "cold show p99         %6.2f ms  (open + show + close, no bar)\n", val($0, "cold_show_p99_ms")
}' "$scratch/import.log" "$scratch/query.log"
