#!/bin/bash
# 099-demo.sh - "make demo" as a test.  First the whole scenario with the
# real binaries (each of its steps counts here); then a run interrupted
# as by Ctrl-C in step 4, which must leave nothing behind: no namespace,
# no process, no files.  The demo runs in a mount namespace of its own
# (its users alice and bob, its lab's namespace names): seen from inside
# while it runs, and nothing of it on the host afterwards.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_init demo-test
DEMO=$TQ_ROOT/demo/demo.sh
# The demo's users and group, if the host had any (it should not gain them).
host_users() {
	grep -E '^(alice|bob):' /etc/passwd
	grep -E '^tcpquota:' /etc/group
}
users0=$(host_users)

bash "$DEMO" 2>&1 | tee "$TQ_TMP/demo.out"
rc=${PIPESTATUS[0]}
res=$(grep -E '^RESULT demo ' "$TQ_TMP/demo.out" | tail -n 1)
p=$(sed -n 's/.*passed=\([0-9]*\).*/\1/p' <<<"$res")
f=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$res")
TQ_PASSED=$((TQ_PASSED + ${p:-0}))
TQ_FAILED=$((TQ_FAILED + ${f:-0}))
expect_eq "the demo exits 0" 0 "$rc"
check "the demo ran all its steps (at least 31 checks)" [ "${p:-0}" -ge 31 ]
expect_eq "the host's /etc/passwd and /etc/group have no alice, bob or tcpquota of it" \
	"$users0" "$(host_users)"

# Ctrl-C in a terminal (tmux on a private socket): the terminal sends
# SIGINT to the demo's whole process group.
tm() { tmux -S "$TQ_TMP/tmux.sock" "$@"; }
cat >"$TQ_TMP/run-demo.sh" <<RUN
bash $(printf %q "$DEMO") >$TQ_TMP/int.out 2>&1
echo \$? >$TQ_TMP/int.rc
sleep 600
RUN
tm new-session -d -s int -x 160 -y 40 "exec bash $TQ_TMP/run-demo.sh"
at_exit "tmux -S $TQ_TMP/tmux.sock kill-server 2>/dev/null"
in_step4() { grep -q '^== 4\.' "$TQ_TMP/int.out" 2>/dev/null; }
if wait_for 60 in_step4; then
	ok "second run reached step 4"
else
	fail "second run reached step 4"
	cat "$TQ_TMP/int.out"
fi
gw=$(sed -n 's/.*gateway \(tq-gw-[0-9a-f]*\),.*/\1/p' "$TQ_TMP/int.out" | head -n 1)
tmp=$(sed -n 's|.*files: *\(/tmp/tq-demo\.[^/ ]*\).*|\1|p' "$TQ_TMP/int.out" | head -n 1)
both() { [ -n "$1" ] && [ -n "$2" ]; }
check "its gateway and temp dir were printed" both "$gw" "$tmp"
id=${gw#tq-gw-}

# procs_in KIND NS...: the processes in any of these namespaces.
procs_in() {
	local kind=$1 p l n
	shift
	for p in /proc/[0-9]*; do
		l=$(readlink "$p/ns/$kind" 2>/dev/null) || continue
		for n in "$@"; do
			[ "$l" = "$n" ] && printf '%s ' "${p#/proc/}"
		done
	done
}

# Inside the running demo: the pane's shell runs it (bash, after its
# re-execution under unshare: the same process).
demo=$(pgrep -P "$(tm display -p -t int '#{pane_pid}')" | head -n 1)
mnt=$(readlink "/proc/${demo:-0}/ns/mnt")
own_ns() { [ -n "$1" ] && [ "$1" != "$(readlink /proc/self/ns/mnt)" ]; }
check "the demo runs in a mount namespace of its own" own_ns "$mnt"
has_users() { nsenter -t "${demo:-0}" -m getent passwd alice bob >/dev/null; }
check "  where alice and bob exist" has_users
# The inodes of its lab's network namespaces, from its /run/netns.
# shellcheck disable=SC2016
mapfile -t nets < <(nsenter -t "${demo:-0}" -m sh -c \
	'for f in /run/netns/*-"$1"; do stat -c "net:[%i]" "$f"; done' _ \
	"${id:-none}" 2>/dev/null)
expect_eq "  and its lab's 6 network namespaces are named" 6 "${#nets[@]}"
expect_eq "  but not on the host" 0 \
	"$(ip netns list 2>/dev/null | grep -c -- "-${id:-none}\b")"
check "  with processes in them (daemon, terminals, servers)" \
	[ -n "$(procs_in net "${nets[@]:-none}")" ]
tm send-keys -t int C-c
t0=$SECONDS
has_rc() { [ -s "$TQ_TMP/int.rc" ]; }
check "interrupted demo ends" wait_for 60 has_rc
expect_eq "interrupted demo exits 130" 130 "$(cat "$TQ_TMP/int.rc" 2>/dev/null)"
check "and tears down in under 15 s ($((SECONDS - t0)) s)" \
	[ $((SECONDS - t0)) -lt 15 ]
expect_eq "no process left in its mount namespace" "" \
	"$(procs_in mnt "${mnt:-none}")"
expect_eq "no process left in its lab's network namespaces" "" \
	"$(procs_in net "${nets[@]:-none}")"
expect_eq "no namespace name of it on the host" 0 \
	"$(ip netns list 2>/dev/null | grep -c -- "-${id:-none}\b")"
check "its temporary directory is gone" [ ! -e "${tmp:-/nonexistent}" ]
procs=$(pgrep -f -- "${tmp:-/nonexistent}/" | tr '\n' ' ')
expect_eq "no process of it left (daemon, database, terminals)" "" "$procs"
expect_eq "the host has no alice, bob or tcpquota of it" "$users0" \
	"$(host_users)"
tq_done
