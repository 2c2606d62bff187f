#!/bin/bash
# 096-health.sh - tcpquota-health answers by the Nagios convention:
# OK with a polling daemon and its database, WARNING without the
# database, CRITICAL with no daemon or a stuck poll loop, UNKNOWN on bad
# usage.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=tests/lib/lab.sh
. "$TQ_ROOT/tests/lib/lab.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
tq_init health
# running PID: alive and not a zombie (an exited daemon is reaped by
# init, maybe not at once)
running() {
	local s
	s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}

tq_require "lab and database set up" lab_create
tq_require "lab and database set up" mdb_start
LOG=$TQ_TMP/tcpquotad.log
PIDF=$TQ_TMP/tcpquotad.pid
CONF=$TQ_TMP/tcpquota.conf
cat >"$CONF" <<CONF
daemon = {
	period = 1;
	pidfile = "$PIDF";
	logfile = "$LOG";
	journal = "$TQ_TMP/journal";
	wakeup = "";
};
$(mdb_conf)
$(lab_conf)
CONF

OUT=$TQ_TMP/health.out
health() {
	sh "$TQ_ROOT/init/tcpquota-health" -c "$CONF" "$@" >"$OUT" 2>&1
	echo $?
}

expect_eq "no daemon: CRITICAL (2)" 2 "$(health)"
check "... saying it is not running" grep -q '^TCPQUOTA CRITICAL - .*not running' "$OUT"

tq_require -l "$LOG" "tcpquotad starts" \
	lab_gw "$TQ_BUILD/tcpquotad" --config "$CONF"
pid=$(cat "$PIDF")
at_exit "kill -CONT $pid 2>/dev/null; kill -TERM $pid 2>/dev/null"
wait_for 10 grep -q 'database connected' "$LOG"

expect_eq "daemon and database up: OK (0)" 0 "$(health)"
check "... one OK line naming pid and period" \
	grep -qx "TCPQUOTA OK - pid $pid, polling every 1 s; database tcpquota reachable" "$OUT"
expect_eq "-D skips the database: OK (0)" 0 "$(health -D)"
expect_eq "bad option: UNKNOWN (3)" 3 "$(health -x)"
expect_eq "unreadable configuration: UNKNOWN (3)" 3 \
	"$(sh "$TQ_ROOT/init/tcpquota-health" -c "$TQ_TMP/none.conf" >/dev/null 2>&1; echo $?)"
echo $$ >"$TQ_TMP/other.pid"
expect_eq "pid file of another program: CRITICAL (2)" 2 \
	"$(health -p "$TQ_TMP/other.pid")"

# The configuration as the daemon reads it: one-line sections, and
# password_file = "" (no password, not the default file).
C2=$TQ_TMP/oneline.conf
cat >"$C2" <<CONF
daemon = { pidfile = "$PIDF"; };
database = { socket = "$MDB_SOCKET"; name = "tq_none"; user = "tq_nobody"; password_file = ""; };
CONF
expect_eq "one-line sections: WARNING (1) for that account" 1 \
	"$(sh "$TQ_ROOT/init/tcpquota-health" -c "$C2" >"$OUT" 2>&1; echo $?)"
expect_eq "... its database and user, without a password" \
	"TCPQUOTA WARNING - pid $pid, polling every 1 s; database tq_none unreachable: ERROR 1045 (28000): Access denied for user 'tq_nobody'@'localhost' (using password: NO)" \
	"$(cat "$OUT")"
printf 'daemon = { pidfil = "x"; };\n' >"$TQ_TMP/bad.conf"
expect_eq "a broken file: UNKNOWN (3), the parser's reason" \
	"TCPQUOTA UNKNOWN - cannot read daemon.pidfile: $TQ_TMP/bad.conf:1: daemon.pidfil: unknown setting; check the spelling (known here: period, heartbeat_tics, gateway, pidfile, logfile, journal, wakeup, tools_group)
3" "$(sh "$TQ_ROOT/init/tcpquota-health" -c "$TQ_TMP/bad.conf" 2>&1; echo $?)"

mdb_stop
expect_eq "database down: WARNING (1)" 1 "$(health)"
check "... saying the database is unreachable" \
	grep -q '^TCPQUOTA WARNING - .*database tcpquota unreachable' "$OUT"
mdb_restart
expect_eq "database back: OK (0)" 0 "$(health)"

# A stuck loop: the process exists but serves no poll.
kill -STOP "$pid"
sleep 1.5
expect_eq "stopped daemon: CRITICAL (2) after -w 2" 2 "$(health -w 2 -D)"
check "... saying the loop is stuck" grep -q 'loop stuck' "$OUT"
kill -CONT "$pid"
expect_eq "resumed daemon: OK (0)" 0 "$(health -D)"

kill -TERM "$pid"
gone() { ! running "$1"; }
wait_for 10 gone "$pid"
expect_eq "after TERM: CRITICAL (2)" 2 "$(health)"
tq_done
