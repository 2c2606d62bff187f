#!/bin/bash
# 095-sysv.sh - the SysV init script drives the real daemon in the lab:
# start, start again, status, reload (HUP), restart, stop, with LSB exit
# codes; stop lets the daemon remove its nftables table.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=tests/lib/lab.sh
. "$TQ_ROOT/tests/lib/lab.sh"
tq_init sysv
# running PID: alive and not a zombie (an exited daemon is reaped by
# init, maybe not at once)
running() {
	local s
	s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}
gone() { ! running "$1"; }

tq_require "lab set up" lab_create
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
database = { socket = "$TQ_TMP/no-such.sock"; password_file = ""; timeout = 1; };
$(lab_conf)
CONF

# The script as installed, run inside the gateway namespace.
initd() {
	ip netns exec "$LAB_GW" env DAEMON="$TQ_BUILD/tcpquotad" \
		CONFIG="$CONF" PIDFILE="$PIDF" RUNDIR="$TQ_TMP/run" \
		TQ_DEFAULTS="$TQ_TMP/absent" \
		sh "$TQ_ROOT/init/tcpquotad.init" "$@" >>"$TQ_TMP/initd.out" 2>&1
	echo $?
}
at_exit "[ -s $PIDF ] && kill -TERM \$(cat $PIDF) 2>/dev/null"
table() { lab_gw nft list table inet tcpquota >/dev/null 2>&1; }
alive() { [ -s "$PIDF" ] && running "$(cat "$PIDF")"; }

expect_eq "status before start: 3 (not running)" 3 "$(initd status)"
expect_eq "start: 0" 0 "$(initd start)"
check "the daemon runs" alive
pid=$(cat "$PIDF" 2>/dev/null)
expect_eq "it is tcpquotad" tcpquotad "$(cat "/proc/$pid/comm" 2>/dev/null)"
check "its table is in the gateway" wait_for 5 table
expect_eq "start again: 0" 0 "$(initd start)"
expect_eq "... and the same daemon" "$pid" "$(cat "$PIDF")"
check "... said it was already running" \
	grep -q 'already running' "$TQ_TMP/initd.out"
expect_eq "status: 0 (running)" 0 "$(initd status)"

n=$(grep -c 'SIGHUP' "$LOG")
expect_eq "reload: 0" 0 "$(initd reload)"
check "reload sent SIGHUP (logged)" \
	wait_for 5 sh -c "[ \$(grep -c SIGHUP '$LOG') -gt $n ]"
expect_eq "force-reload: 0" 0 "$(initd force-reload)"
expect_eq "the daemon kept its pid over reloads" "$pid" "$(cat "$PIDF")"

expect_eq "restart: 0" 0 "$(initd restart)"
check "a new daemon runs after restart" alive
check_not "with a new pid" [ "$(cat "$PIDF" 2>/dev/null)" = "$pid" ]
check_not "the old one is gone" running "$pid"
check "the table is there after restart" wait_for 5 table
pid=$(cat "$PIDF")

expect_eq "stop: 0" 0 "$(initd stop)"
check_not "the daemon is gone" running "$pid"
check_not "its table was removed (clean exit on TERM)" table
check "its pid file was removed" [ ! -e "$PIDF" ]
check "it logged a clean exit" grep -q 'exiting' "$LOG"
expect_eq "status after stop: 3" 3 "$(initd status)"
expect_eq "stop again: 0" 0 "$(initd stop)"
expect_eq "reload when stopped: 7" 7 "$(initd reload)"
tq_done
