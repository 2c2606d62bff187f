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
	export ASAN_OPTIONS="log_path=$san_dir/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	export UBSAN_OPTIONS="log_path=$san_dir/ubsan:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
fi

run_one() {
	local name=$1; shift
	local log out p f t0=$SECONDS
	log=$(mktemp)
	echo "=== $name"
	"$@" 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	times+=("$((SECONDS - t0)) s  $name")
	out=$(grep -E '^RESULT ' "$log" | tail -n 1)
	rm -f "$log"
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
		for t in tests/integration/[0-9]*.sh; do
			[ -f "$t" ] || continue
			case "$t" in *"$pat"*) ;; *) continue ;; esac
			run_one "integration/$(basename "$t")" \
				env B="$B" timeout 900 bash "$t"
		done
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
