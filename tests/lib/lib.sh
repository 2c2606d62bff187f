# shellcheck shell=bash
# lib.sh - shared helpers for tests/integration/NNN-*.sh, the demo and the
# benchmarks.  Source it first:  . "$(dirname "$0")/../lib/lib.sh"
#
#   tq_init NAME        temp dir $TQ_TMP, EXIT trap, counters
#   at_exit CMD...      run CMD at exit (reverse order), even on failure
#   ok DESC / fail DESC / check DESC CMD...   record a result
#   expect_eq DESC WANT GOT
#   wait_for SECONDS CMD...   poll until CMD succeeds (0.05 s steps)
#   tq_done             print "RESULT NAME passed=N failed=M", exit status
set -u

TQ_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${B:-build}
case "$B" in /*) TQ_BUILD=$B ;; *) TQ_BUILD=$TQ_ROOT/$B ;; esac
export TQ_ROOT TQ_BUILD
TQ_PASSED=0
TQ_FAILED=0
TQ_EXIT_CMDS=()

_tq_cleanup() {
	local i
	for ((i = ${#TQ_EXIT_CMDS[@]} - 1; i >= 0; i--)); do
		eval "${TQ_EXIT_CMDS[$i]}" || true
	done
	TQ_EXIT_CMDS=()
	# --one-file-system: a mount left below the directory (a bind mount a
	# test made in a mount namespace) is never descended into.
	[ -n "${TQ_TMP:-}" ] && [ -d "$TQ_TMP" ] && [ -z "${TQ_KEEP:-}" ] &&
		rm -rf --one-file-system "$TQ_TMP"
}

at_exit() {
	TQ_EXIT_CMDS+=("$*")
}

tq_init() {
	TQ_NAME=$1
	TQ_TMP=$(mktemp -d "/tmp/tq-$TQ_NAME.XXXXXX")
	chmod 755 "$TQ_TMP"
	export TQ_TMP
	trap _tq_cleanup EXIT
	trap 'exit 130' INT TERM
}

ok() { TQ_PASSED=$((TQ_PASSED + 1)); echo "ok - $*"; }
fail() { TQ_FAILED=$((TQ_FAILED + 1)); echo "FAIL - $*"; }

check() {
	local desc=$1; shift
	if "$@"; then ok "$desc"; else fail "$desc"; fi
}

check_not() {
	local desc=$1; shift
	if "$@"; then fail "$desc"; else ok "$desc"; fi
}

expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

wait_for() {
	local t=$1; shift
	local end=$((SECONDS + t))
	while :; do
		"$@" && return 0
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
}

tq_done() {
	echo "RESULT $TQ_NAME passed=$TQ_PASSED failed=$TQ_FAILED"
	[ "$TQ_FAILED" -eq 0 ]
}

# A random suffix for namespace and other names.
tq_rand() {
	od -An -N4 -tx4 /dev/urandom | tr -d ' \n'
}
