#!/bin/bash
# 094-cron-rotate.sh - /etc/cron.weekly/tcpquotad rotates a running
# daemon's log: the generations shift (4 compressed kept), the daemon gets
# SIGHUP, keeps running with the same pid and writes to the new file, also
# when the configuration file is broken by then (the reload is rejected,
# the log reopened all the same).
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=tests/lib/lab.sh
. "$TQ_ROOT/tests/lib/lab.sh"
tq_init cron-rotate
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
# No database is needed: the daemon logs that it is away and runs on.
cat >"$TQ_TMP/tcpquota.conf" <<CONF
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

# Started as the init script starts it: it forks, writes the pid file.
tq_require -l "$LOG" "tcpquotad starts" \
	lab_gw "$TQ_BUILD/tcpquotad" --config "$TQ_TMP/tcpquota.conf"
pid=$(cat "$PIDF")
at_exit "kill -TERM $pid 2>/dev/null"
ok "tcpquotad started (pid $pid)"
wait_for 5 grep -q 'starting' "$LOG"
check "it logged its start" grep -q 'tcpquotad .* starting' "$LOG"

# Older generations, to see them shift and the oldest go.
for i in 1 2 3 4; do
	echo "generation $i" | gzip >"$LOG.$i.gz"
done

cron() {
	TQ_LOGFILE=$LOG TQ_PIDFILE=$PIDF TQ_LOGROTATE="$TQ_TMP/absent" \
		sh "$TQ_ROOT/init/tcpquotad.cron.weekly"
}
cron
check "cron script exits 0" [ $? -eq 0 ]
expect_eq "the old log is now $LOG.1.gz" 1 \
	"$(zcat "$LOG.1.gz" 2>/dev/null | grep -c 'tcpquotad .* starting')"
for i in 1 2 3; do
	expect_eq "generation $i moved to .$((i + 1)).gz" "generation $i" \
		"$(zcat "$LOG.$((i + 1)).gz" 2>/dev/null)"
done
check "generation 4 was dropped (4 kept)" [ ! -e "$LOG.5.gz" ]
check "no uncompressed $LOG.1 left" [ ! -e "$LOG.1" ]
check "the daemon got SIGHUP (logged)" \
	sh -c "zcat '$LOG.1.gz' | cat - '$LOG' | grep -q 'SIGHUP'"
check "the daemon still runs" running "$pid"
expect_eq "with the same pid" "$pid" "$(cat "$PIDF")"
expect_eq "the new log has mode 0640" 640 "$(stat -c %a "$LOG")"

# It writes to the new file: turn on debug logging and watch it grow.
# The daemon writes on into the new log and has let go of the rotated one.
writes_new_log() {
	local s1 s2 fd open_fds=0
	s1=$(stat -c %s "$LOG")
	# debug logging writes a line every poll (period 1): wait for one
	grew() { [ "$(stat -c %s "$LOG")" -gt "$s1" ]; }
	wait_for 10 grew
	s2=$(stat -c %s "$LOG")
	check "the new log keeps growing ($s1 -> $s2 bytes)" [ "$s2" -gt "$s1" ]
	for fd in /proc/"$pid"/fd/*; do
		case "$(readlink "$fd")" in
		"$LOG".1*) open_fds=$((open_fds + 1)) ;;
		esac
	done
	expect_eq "the daemon holds no descriptor of the rotated file" 0 \
		"$open_fds"
}
kill -USR1 "$pid"
check "the daemon writes to the new log" \
	wait_for 5 grep -q 'SIGUSR1' "$LOG"
check "... and to no other file" \
	sh -c "! zcat '$LOG.1.gz' | grep -q SIGUSR1"
writes_new_log

# A second week: the first rotation's log moves on to .2.gz.
cron
expect_eq "second run: the first log is now .2.gz" 1 \
	"$(zcat "$LOG.2.gz" 2>/dev/null | grep -c 'tcpquotad .* starting')"
check "the daemon still runs after the second run" running "$pid"

# A third week, with the configuration file broken meanwhile: the reload
# is rejected, the log is reopened all the same (at the path of the
# configuration in force) and the rejection is in the new file.
cp "$TQ_TMP/tcpquota.conf" "$TQ_TMP/good.conf"
printf 'daemon = { period = 0; };\n' >"$TQ_TMP/tcpquota.conf"
why=$("$TQ_BUILD/tcpquotad" -n --config "$TQ_TMP/tcpquota.conf" 2>&1)
why=${why#tcpquotad: }
cron
check "third run (broken configuration): cron script exits 0" [ $? -eq 0 ]
check "the rejection is in the new log" grep -qF \
	"warning: reload rejected, old configuration kept: $why" "$LOG"
check "... and not in the rotated one" \
	sh -c "! zcat '$LOG.1.gz' | grep -q 'reload rejected'"
check "the daemon still runs with the old configuration" running "$pid"
writes_new_log
cp "$TQ_TMP/good.conf" "$TQ_TMP/tcpquota.conf"

# An empty log is left alone.
: >"$LOG.empty"
TQ_LOGFILE=$LOG.empty TQ_PIDFILE=$PIDF TQ_LOGROTATE="$TQ_TMP/absent" \
	sh "$TQ_ROOT/init/tcpquotad.cron.weekly"
check "an empty log is not rotated" [ ! -e "$LOG.empty.1.gz" ]

kill -TERM "$pid"
check "the daemon exits on TERM" wait_for 10 gone "$pid"
tq_done
