#!/bin/bash
# 100-forwarding.sh - tcpquotad checks IPv4 and IPv6 forwarding in its own
# network namespace: `-n` warns on stderr, one exact line per family that
# is off, naming the setting and the shipped sysctl snippet, and still
# accepts the file; a start logs the same warnings; with forwarding on,
# no warning.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_init forwarding

NS=tqfwd-$(tq_rand)
tq_require "network namespace $NS" ip netns add "$NS"
at_exit "ip netns delete $NS"
TQD=$TQ_BUILD/tcpquotad
CONF=$TQ_TMP/tcpquota.conf
# (groups this system has and no password files: conf_sanity has nothing
# to warn about, 088)
printf '%s\n' 'daemon = { tools_group = "root"; };' \
	'quota = { admin_group = "root"; };' \
	'database = { password_file = ""; tool_password_file = "";' \
	'	admin_password_file = ""; };' >"$CONF"
SNIP=/etc/sysctl.d/60-tcpquota-forwarding.conf

# want KEY FAMILY: the warning's text after "tcpquotad: warning: "
want() {
	printf '%s forwarding is off (%s = 0): LAN hosts cannot reach the Internet through this gateway; set %s = 1 (uncomment it in %s, or add it to a file in /etc/sysctl.d/) and run "sysctl --system"' \
		"$2" "$1" "$1" "$SNIP"
}
W4=$(want net.ipv4.ip_forward IPv4)
W6=$(want net.ipv6.conf.all.forwarding IPv6)

in_ns() { ip netns exec "$NS" "$@"; }
fwd() {
	in_ns sysctl -qw "net.ipv4.ip_forward=$1" \
		"net.ipv6.conf.all.forwarding=$2"
}
# check_n DESC STDERR: -n exits 0 with "configuration OK" and STDERR
check_n() {
	local out rc
	out=$(in_ns "$TQD" -n --config "$CONF" 2>"$TQ_TMP/err")
	rc=$?
	expect_eq "$1: -n exit status" 0 "$rc"
	expect_eq "$1: -n output" "tcpquotad: $CONF: configuration OK" "$out"
	expect_eq "$1: -n warnings" "$2" "$(cat "$TQ_TMP/err")"
}

tq_require "forwarding off in $NS" fwd 0 0
check_n "both off" "tcpquotad: warning: $W4
tcpquotad: warning: $W6"
tq_require "IPv4 forwarding on" fwd 1 0
check_n "IPv6 off" "tcpquotad: warning: $W6"
tq_require "IPv6 forwarding on" fwd 0 1
check_n "IPv4 off" "tcpquotad: warning: $W4"
tq_require "both on" fwd 1 1
check_n "both on" ""

# --- a start logs the warnings (stderr log; no database is needed: the
# daemon holds its debits and runs without one)
start_log() {
	local out=$TQ_TMP/start.$1 dpid
	cat >"$CONF" <<CONF
daemon = { logfile = "-"; pidfile = "$TQ_TMP/pid"; journal = "$TQ_TMP/j";
	wakeup = ""; period = 1; };
database = { socket = "$TQ_TMP/no.sock"; password_file = ""; timeout = 1; };
network = { lan = [ "lo" ]; wan = [ "wan0" ]; };
CONF
	# ip netns exec may fork: the daemon's pid is the pid file's
	at_exit "kill -TERM \$(cat $TQ_TMP/pid 2>/dev/null) 2>/dev/null"
	in_ns "$TQD" -f --config "$CONF" >"$out" 2>&1 &
	# the check comes between "starting" and the table's creation
	wait_for 20 grep -q 'table inet tcpquota created' "$out"
	dpid=$(cat "$TQ_TMP/pid")
	kill -TERM "$dpid"
	wait_for 20 grep -q '^.* exiting$' "$out"
	wait
	sed -n '/starting (pid/,/table inet tcpquota created/p' "$out" |
		sed 's/^.*tcpquotad\[[0-9]*\] //'
}
fwd 0 0
got=$(start_log off | grep -F "forwarding is off")
expect_eq "start, both off: two warnings logged" \
	"warning: $W4
warning: $W6" "$got"
fwd 1 1
got=$(start_log on | grep -F "forwarding is off")
expect_eq "start, both on: no warning" "" "$got"

tq_done
