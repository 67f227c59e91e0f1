#!/bin/sh
# fuzz/run.sh - runs the libFuzzer harnesses built by `make fuzz`.
#   run.sh run|regress SRCDIR BUILDDIR SECONDS NAME...
# run: each harness fuzzes for SECONDS on BUILDDIR/corpus/NAME (seeded from
# BUILDDIR/seeds/NAME and SRCDIR/regress/NAME), with SRCDIR/NAME.dict when
# there is one; crash inputs go to BUILDDIR/crashes/NAME/, the log to
# BUILDDIR/logs/NAME.log. regress: each harness runs once over its seeds
# and SRCDIR/regress/NAME. Prints executions, exec/s, coverage and crashes
# per harness; exits 1 when any harness crashed.
set -u
mode=$1 src=$2 build=$3 secs=$4
shift 4
status=0
printf '%-13s %12s %8s %7s %7s %8s  %s\n' harness execs exec/s cov ft corpus result
for name in "$@"; do
	bin=$build/fuzz_$name
	if test ! -x "$bin"; then
		echo "$name: no harness $bin" >&2
		status=1
		continue
	fi
	mkdir -p "$build/corpus/$name" "$build/crashes/$name" "$build/logs"
	log=$build/logs/$name.log
	dict=
	test -f "$src/$name.dict" && dict=-dict=$src/$name.dict
	if test "$mode" = regress; then
		set --
		for d in "$build/seeds/$name" "$src/regress/$name"; do
			test -d "$d" && for f in "$d"/*; do test -f "$f" && set -- "$@" "$f"; done
		done
		n=$#
		rc=0
		test $n -gt 0 && { "$bin" -runs=1 "$@" >"$log" 2>&1; rc=$?; }
		line="$n inputs"
	else
		for d in "$build/seeds/$name" "$src/regress/$name"; do
			test -d "$d" && cp -f "$d"/* "$build/corpus/$name/" 2>/dev/null
		done
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$build/crashes/$name/" $dict "$build/corpus/$name" >"$log" 2>&1
		rc=$?
		line=
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(printf '%s\n' "$last" | sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p')
	if test $rc -eq 0; then
		result=ok
	else
		status=1
		crash=$(ls -t "$build/crashes/$name" 2>/dev/null | head -n 1)
		result="CRASH (exit $rc): see $log${crash:+, input $build/crashes/$name/$crash}"
	fi
	printf '%-13s %12s %8s %7s %7s %8s  %s\n' "$name" "${execs:-${line:--}}" "${rate:--}" \
		"${cov:--}" "${ft:--}" "${corp:--}" "$result"
done
exit $status
