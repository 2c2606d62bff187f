#!/bin/bash
# Run the unit programs and/or the integration scripts and add up their
# "RESULT <name> passed=N failed=M" lines.  The last line of output is
# "N passed, N failed".  A program that dies without a RESULT line counts
# as one failure.
#   tests/run.sh all|unit|integration [pattern]
set -u
B=${B:-build}
what=${1:-all}
pat=${2:-}
passed=0
failed=0
failures=()
times=()

# A sanitizer build: every ASan/UBSan/LSan report of any program the tests
# run goes to a file of its own, and each report counts as a failure.
san_dir=
if [ "$B" = build-san ]; then
	san_dir=$(mktemp -d /tmp/tq-san.XXXXXX)
	# Programs that drop privileges (the portal and its PAM helper, the
	# tools run as test users) must be able to write their reports too:
	# a report they cannot write is only a line on their stderr.
	chmod 1777 "$san_dir"
	export ASAN_OPTIONS="log_path=$san_dir/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	export UBSAN_OPTIONS="log_path=$san_dir/ubsan:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
fi

# account NAME LOG RC SECS: add up one finished program's RESULT line.
account() {
	local name=$1 log=$2 rc=$3 secs=$4 out p f
	times+=("$secs s  $name")
	out=$(grep -E '^RESULT ' "$log" | tail -n 1)
	if [ -z "$out" ]; then
		failed=$((failed + 1)); failures+=("$name (exit $rc, no RESULT line)")
		return
	fi
	p=$(sed -n 's/.*passed=\([0-9]*\).*/\1/p' <<<"$out")
	f=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$out")
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		failures+=("$name ($f failed)")
	elif [ "$rc" -ne 0 ]; then
		failed=$((failed + 1)); failures+=("$name (exit $rc)")
	fi
}

run_one() {
	local name=$1; shift
	local log t0=$SECONDS
	log=$(mktemp)
	echo "=== $name"
	"$@" 2>&1 | tee "$log"
	account "$name" "$log" "${PIPESTATUS[0]}" "$((SECONDS - t0))"
	rm -f "$log"
}

# Integration tests run TQ_JOBS at a time (default 2): each has its own
# namespaces, MariaDB and temporary directory, and most of their time is
# spent waiting for polls.  A test whose script has a line "# tq: serial"
# (timing bounds that other work on the machine would disturb) runs with
# nothing beside it.  Each test's output is printed whole when it ends.
jobs_dir=
jobs_seq=0
declare -A job_name=() job_t0=() job_log=()
job_start() {
	local name=$1; shift
	local log="$jobs_dir/$((jobs_seq += 1)).log"
	"$@" >"$log" 2>&1 </dev/null &
	job_name[$!]=$name; job_t0[$!]=$SECONDS; job_log[$!]=$log
}
job_reap() {
	local pid rc
	wait -n -p pid "${!job_name[@]}"
	rc=$?
	echo "=== ${job_name[$pid]}"
	cat "${job_log[$pid]}"
	account "${job_name[$pid]}" "${job_log[$pid]}" "$rc" \
		"$((SECONDS - ${job_t0[$pid]}))"
	rm -f "${job_log[$pid]}"
	unset "job_name[$pid]" "job_t0[$pid]" "job_log[$pid]"
}
run_integration() {
	local t name jobs=${TQ_JOBS:-2}
	local -a cmd
	jobs_dir=$(mktemp -d /tmp/tq-jobs.XXXXXX)
	trap 'kill ${!job_name[*]} 2>/dev/null; rm -rf "$jobs_dir"' EXIT
	for t in tests/integration/[0-9]*.sh; do
		[ -f "$t" ] || continue
		case "$t" in *"$pat"*) ;; *) continue ;; esac
		name="integration/$(basename "$t")"
		cmd=(env B="$B" timeout 900 bash "$t")
		if [ "$jobs" -le 1 ]; then
			run_one "$name" "${cmd[@]}"
			continue
		fi
		if grep -q '^# tq: serial' "$t"; then
			while [ ${#job_name[@]} -gt 0 ]; do job_reap; done
			run_one "$name" "${cmd[@]}"
			continue
		fi
		while [ ${#job_name[@]} -ge "$jobs" ]; do job_reap; done
		job_start "$name" "${cmd[@]}"
	done
	while [ ${#job_name[@]} -gt 0 ]; do job_reap; done
	rm -rf "$jobs_dir"
	trap - EXIT
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in "$B"/tests/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *"$pat"*) ;; *) continue ;; esac
		run_one "unit/$(basename "$t")" "$t"
	done
fi
if [ "$what" = all ] || [ "$what" = integration ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "integration tests need root (network namespaces)" >&2
		failed=$((failed + 1)); failures+=("integration (not root)")
	else
		run_integration
	fi
fi
if [ -n "$san_dir" ]; then
	for r in "$san_dir"/*; do
		[ -f "$r" ] || continue
		echo "=== sanitizer report $(basename "$r")"
		head -n 40 "$r"
		failed=$((failed + 1)); failures+=("sanitizer report $r")
	done
	[ "$failed" -eq 0 ] && rm -rf "$san_dir"
fi
echo
echo "slowest:"
printf '%s\n' "${times[@]+"${times[@]}"}" | sort -rn | head -n 8 | sed 's/^/  /'
echo "total: $SECONDS s"
for x in "${failures[@]+"${failures[@]}"}"; do echo "FAILED: $x"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
