#!/bin/bash
# Run each libFuzzer target for SECONDS on a copy of its seed corpus
# (tests/fuzz/corpus/<name>/, built from the real fixtures), so runs never
# write into the source tree.  Prints one RESULT line.
#   tests/fuzz/run.sh SECONDS TARGET...
set -u
secs=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/tq-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
for t in "$@"; do
	name=$(basename "$t")
	mkdir -p "$work/$name"
	[ -d "$here/corpus/$name" ] && cp -r "$here/corpus/$name/." "$work/$name/"
	if "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$work/" "$work/$name" >"$work/$name.log" 2>&1; then
		echo "ok - $name: $(grep -Eo '#[0-9]+ *DONE.*' "$work/$name.log" | tail -n 1)"
		passed=$((passed + 1))
	else
		echo "FAIL - $name:"; tail -n 30 "$work/$name.log"
		mkdir -p fuzz-crashes && cp "$work"/crash-* "$work"/leak-* \
			"$work"/timeout-* fuzz-crashes/ 2>/dev/null
		failed=$((failed + 1))
	fi
done
echo "RESULT fuzz passed=$passed failed=$failed"
[ "$failed" -eq 0 ]
