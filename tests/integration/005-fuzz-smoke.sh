#!/bin/bash
# A short bounded run of every libFuzzer target (make fuzz runs longer).
. "$(dirname "$0")/../lib/lib.sh"
cd "$TQ_ROOT" || exit 1
if ! make -s --no-print-directory fuzz-build >/tmp/tq-fuzz-build.log 2>&1; then
	cat /tmp/tq-fuzz-build.log
	echo "RESULT fuzz passed=0 failed=1"
	exit 1
fi
exec tests/fuzz/run.sh "${FUZZ_SMOKE_SECONDS:-5}" build-fuzz/fuzz_*
