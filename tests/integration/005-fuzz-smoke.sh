#!/bin/bash
# A short bounded run of every libFuzzer target (make fuzz runs longer):
# the config parser, the /proc parsers, the masq row checks, the
# ctnetlink message parser and the portal's request parsing,
# FUZZ_SMOKE_SECONDS (default 5) each, seeded from the fixtures.  FUZZ_B picks the build directory (default
# build-fuzz), so parallel runs need not share one.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
cd "$TQ_ROOT" || exit 1
fb=${FUZZ_B:-build-fuzz}
log=$(mktemp /tmp/tq-fuzz-build.XXXXXX)
if ! make -s --no-print-directory FUZZ_B="$fb" fuzz-build >"$log" 2>&1; then
	cat "$log"
	rm -f "$log"
	echo "RESULT fuzz passed=0 failed=1"
	exit 1
fi
rm -f "$log"
for t in conf proc rows ct http; do
	[ -x "$fb/fuzz_$t" ] || { echo "not ok - fuzz_$t not built"
				  echo "RESULT fuzz passed=0 failed=1"; exit 1; }
done
exec tests/fuzz/run.sh "${FUZZ_SMOKE_SECONDS:-5}" "$fb"/fuzz_*
