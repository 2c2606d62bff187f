#!/bin/bash
# 098-lab.sh - "make lab" leaves a working lab (daemon, database, tools
# through the env file, openhost as its instructions show it) and "make
# lab-down" removes every piece of it.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_init lab
# running PID: alive and not a zombie (an exited daemon is reaped by
# init, maybe not at once)
running() {
	local s
	s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}
gone() { ! running "$1"; }
export LAB_STATE_DIR=$TQ_TMP/lab
at_exit "bash $TQ_ROOT/demo/lab.sh down >/dev/null 2>&1"

tq_require -o "$TQ_TMP/up.out" "lab.sh up" bash "$TQ_ROOT/demo/lab.sh" up
ok "lab.sh up"
check "it printed how to tear it down" grep -q 'make lab-down' "$TQ_TMP/up.out"
check "state file written" [ -s "$LAB_STATE_DIR/state" ]
# state VAR: a value from the state file (read in a subshell: it sets
# TQ_TMP and other names of ours)
state() {
	bash -c '. "$1"; eval "printf \"%s\n\" \"\${$2[@]}\""' _ \
		"$LAB_STATE_DIR/state" "$1"
}
pid=$(cat "$(state PIDFILE)" 2>/dev/null)
mdb_pid=$(state MDB_PID)
lab_tmp=$(state TQ_TMP)
mapfile -t nses < <(state LAB_NSES)
check "tcpquotad runs" running "${pid:-0}"
check "MariaDB runs" running "${mdb_pid:-0}"
check "the lab has 6 namespaces" [ "${#nses[@]}" -eq 6 ]

# The env file's short commands work, as a person would use them.
# shellcheck source=/dev/null
. "$LAB_STATE_DIR/env"
expect_eq "tcpquota list through the env file" "alice 600" \
	"$(tcpquota list | awk '$1 == "alice" { print $1, $2 }')"
check_not "alice's host is closed at first" try alice
expect_eq "sql through the env file" 0 \
	"$(sql 'SELECT COUNT(*) AS n FROM masq' | awk '$2 ~ /^[0-9]+$/ { print $2 }')"
check "the firewall table is there" gw nft list table inet tcpquota
# openhost as the instructions print it (root, on alice's behalf); here
# stdin is a pipe: a newline is Enter, once alice's host got through.
reached() { try alice >/dev/null 2>&1; }
{ wait_for 15 reached && touch "$TQ_TMP/reached"; echo; } |
	openhost --user alice --host 198.18.1.10 >"$TQ_TMP/oh.out" 2>&1
expect_eq "openhost --user alice --host 198.18.1.10: exit 0 on Enter" 0 \
	"${PIPESTATUS[1]}"
check "  it opened her host" \
	grep -q '^198.18.1.10 opened for alice\.$' "$TQ_TMP/oh.out"
check "  which reached the server while open" [ -e "$TQ_TMP/reached" ]
check_not "  and is closed again" reached

if bash "$TQ_ROOT/demo/lab.sh" down >"$TQ_TMP/down.out" 2>&1; then
	ok "lab.sh down"
else
	cat "$TQ_TMP/down.out"
	fail "lab.sh down"
fi
check_not "tcpquotad is gone" running "${pid:-0}"
check "MariaDB is gone" wait_for 10 gone "${mdb_pid:-0}"
left=0
for ns in "${nses[@]}"; do
	ip netns list | grep -qw "$ns" && left=$((left + 1))
done
expect_eq "no lab namespace left" 0 "$left"
removed() { [ -n "$1" ] && [ ! -e "$1" ]; }
check "its files are gone" removed "$lab_tmp"
check "the state file is gone" [ ! -e "$LAB_STATE_DIR/state" ]
expect_eq "down again says so" "lab: not up (no $LAB_STATE_DIR/state)" \
	"$(bash "$TQ_ROOT/demo/lab.sh" down)"
tq_done
