#!/bin/bash
# 095-sysv.sh - the SysV init script drives the real daemon in the lab:
# start, start again, status, reload (HUP), restart, stop, with LSB exit
# codes; stop lets the daemon remove its nftables table.  Twice: with
# Debian's /lib/lsb/init-functions (log_daemon_msg and friends) where it
# is installed, and with the script's own stand-ins (TQ_NO_LSB), which
# must print the same lines.  A start that fails shows the daemon's
# reason after the status line.
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
sed "s|journal = .*|journal = \"$CONF/j\";|" "$CONF" >"$TQ_TMP/bad.conf"

# The script as installed, run inside the gateway namespace; its output
# goes to $TQ_TMP/initd.out.  NO_LSB set: without init-functions.
initd() {
	ip netns exec "$LAB_GW" env DAEMON="$TQ_BUILD/tcpquotad" \
		CONFIG="${ICONF:-$CONF}" PIDFILE="$PIDF" RUNDIR="$TQ_TMP/run" \
		TQ_DEFAULTS="$TQ_TMP/absent" ${NO_LSB:+TQ_NO_LSB=1} \
		sh "$TQ_ROOT/init/tcpquotad.init" "$@" >>"$TQ_TMP/initd.out" 2>&1
	echo $?
}
at_exit "[ -s $PIDF ] && kill -TERM \$(cat $PIDF) 2>/dev/null"
table() { lab_gw nft list table inet tcpquota >/dev/null 2>&1; }
alive() { [ -s "$PIDF" ] && running "$(cat "$PIDF")"; }

# sequence WHAT: the whole round, its transcript compared at the end.
sequence() {
	local w=$1 pid pid2
	: >"$TQ_TMP/initd.out"
	expect_eq "$w: status before start: 3 (not running)" 3 \
		"$(initd status)"
	expect_eq "$w: start: 0" 0 "$(initd start)"
	check "$w: the daemon runs" alive
	pid=$(cat "$PIDF" 2>/dev/null)
	expect_eq "$w: it is tcpquotad" tcpquotad \
		"$(cat "/proc/$pid/comm" 2>/dev/null)"
	check "$w: its table is in the gateway" wait_for 5 table
	expect_eq "$w: start again: 0" 0 "$(initd start)"
	expect_eq "$w: ... and the same daemon" "$pid" "$(cat "$PIDF")"
	expect_eq "$w: status: 0 (running)" 0 "$(initd status)"

	n=$(grep -c 'SIGHUP' "$LOG")
	expect_eq "$w: reload: 0" 0 "$(initd reload)"
	check "$w: reload sent SIGHUP (logged)" \
		wait_for 5 sh -c "[ \$(grep -c SIGHUP '$LOG') -gt $n ]"
	expect_eq "$w: force-reload: 0" 0 "$(initd force-reload)"
	expect_eq "$w: the daemon kept its pid over reloads" "$pid" \
		"$(cat "$PIDF")"

	expect_eq "$w: restart: 0" 0 "$(initd restart)"
	check "$w: a new daemon runs after restart" alive
	pid2=$(cat "$PIDF" 2>/dev/null)
	check_not "$w: with a new pid" [ "$pid2" = "$pid" ]
	check_not "$w: the old one is gone" running "$pid"
	check "$w: the table is there after restart" wait_for 5 table

	expect_eq "$w: stop: 0" 0 "$(initd stop)"
	check_not "$w: the daemon is gone" running "$pid2"
	check_not "$w: its table was removed (clean exit on TERM)" table
	check "$w: its pid file was removed" [ ! -e "$PIDF" ]
	check "$w: it logged a clean exit" grep -q 'exiting' "$LOG"
	expect_eq "$w: status after stop: 3" 3 "$(initd status)"
	expect_eq "$w: stop again: 0" 0 "$(initd stop)"
	expect_eq "$w: reload when stopped: 7" 7 "$(initd reload)"
	expect_eq "$w: the lines it printed" \
"tcpquotad is not running ... failed!
Starting tcpquota daemon: tcpquotad.
Starting tcpquota daemon: tcpquotad already running (pid $pid).
tcpquotad is running (pid $pid).
Reloading tcpquota daemon configuration: tcpquotad.
Reloading tcpquota daemon configuration: tcpquotad.
Restarting tcpquota daemon: tcpquotad.
Stopping tcpquota daemon: tcpquotad.
tcpquotad is not running ... failed!
Stopping tcpquota daemon: tcpquotad.
Reloading tcpquota daemon configuration: tcpquotad is not running failed!" \
		"$(cat "$TQ_TMP/initd.out")"

	# The debit journal below a file: the start fails, the reason follows
	# the status line.
	: >"$TQ_TMP/initd.out"
	ICONF=$TQ_TMP/bad.conf
	expect_eq "$w: a start that fails: 1" 1 "$(initd start)"
	ICONF=
	expect_eq "$w: ... says why after the status line" \
"Starting tcpquota daemon: tcpquotad failed!
tcpquotad: journal $CONF/j: Not a directory" "$(cat "$TQ_TMP/initd.out")"
	check_not "$w: ... and nothing runs" alive
}

if [ -r /lib/lsb/init-functions ]; then
	sequence "with init-functions"
else
	echo "# /lib/lsb/init-functions is not installed: the stand-ins only"
fi
NO_LSB=1 sequence "without init-functions"
tq_done
