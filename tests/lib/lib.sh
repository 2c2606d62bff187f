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
#   tq_require [-o FILE] [-l FILE] DESC CMD...   a step the test cannot go
#                       on without: on failure "FAIL - DESC", tq_done, exit 1
#   tq_mount_ns "$@"    re-run the test in a private mount namespace (call
#                       it right after sourcing lib.sh, before tq_init)
#   tq_overlay DIR...   in that namespace, an overlay on each DIR whose
#                       upper layer is in $TQ_TMP: users, groups, files
#                       the test writes there never reach the host
#   as USER CMD...      CMD with USER's uid, gid and groups, a plain env
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
	trap 'exit 129' HUP	# a closed terminal: clean up all the same
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

# tq_require [-o FILE] [-l FILE] DESC CMD...: a step the rest of the test
# needs.  Runs CMD in this shell (what it sets stays set) and records
# nothing if it succeeds; if it fails, prints FILE, records "FAIL - DESC",
# names CMD and its exit status, and ends the test: tq_done, exit 1.
#   -o FILE   CMD's stdout and stderr go to FILE
#   -l FILE   FILE is a log that CMD writes
# The locals are named _tq_* so that no global CMD sets is caught by one.
tq_require() {
	local _tq_out='' _tq_log='' _tq_desc _tq_rc=0
	while :; do
		case $1 in
		-o) _tq_out=$2; _tq_log=$2; shift 2 ;;
		-l) _tq_log=$2; shift 2 ;;
		*) break ;;
		esac
	done
	_tq_desc=$1; shift
	if [ -n "$_tq_out" ]; then
		"$@" >"$_tq_out" 2>&1 || _tq_rc=$?
	else
		"$@" || _tq_rc=$?
	fi
	[ "$_tq_rc" -eq 0 ] && return 0
	if [ -n "$_tq_log" ]; then
		cat "$_tq_log" 2>/dev/null
	fi
	fail "$_tq_desc"
	echo "# $*: exit status $_tq_rc"
	tq_done
	exit 1
}

# A random suffix for namespace and other names.
tq_rand() {
	od -An -N4 -tx4 /dev/urandom | tr -d ' \n'
}

tq_mount_ns() {
	[ -n "${TQ_IN_MOUNT_NS:-}" ] && return 0
	exec unshare -m --propagation private env TQ_IN_MOUNT_NS=1 \
		bash "$0" "$@"
}

# True in a mount namespace of our own that propagates nothing back: ours
# differs from the parent's (the runner's or a shell's; pid 1's is not
# always readable) and /etc is not a shared mount.
tq_private_mount_ns() {
	local mine outer
	mine=$(readlink /proc/self/ns/mnt)
	outer=$(readlink "/proc/$PPID/ns/mnt")
	[ -n "$mine" ] && [ -n "$outer" ] && [ "$mine" != "$outer" ] &&
		! findmnt -n -o PROPAGATION --target /etc | grep -q shared
}

# Overlay /run before the lab creates its namespaces: an overlay hides
# the /run/netns mounts made before it.
tq_overlay() {
	local d ov
	if ! tq_private_mount_ns; then
		echo "tq_overlay: not in a private mount namespace;" \
			"refusing to overlay $* of the host" >&2
		return 1
	fi
	for d in "$@"; do
		ov=$TQ_TMP/ov$d
		mkdir -p "$ov/upper" "$ov/work" || return 1
		mount -t overlay overlay \
			-o "lowerdir=$d,upperdir=$ov/upper,workdir=$ov/work" \
			"$d" || return 1
		at_exit "umount -l $d"
	done
}

as() {
	local u=$1; shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups \
		env -i PATH=/usr/bin:/bin TERM=xterm "$@"
}
