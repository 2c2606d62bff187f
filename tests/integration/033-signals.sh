#!/bin/bash
# 033-signals.sh - daemonizing, the pid file lock, -n, conntrack
# accounting turned on in the gateway's namespace, USR1/USR2, HUP with a
# broken configuration after a log rotation (the new file gets the
# rejection) and with a valid one, TERM, INT and QUIT clean-up.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-signals

tq_require "lab and database set up" tqd_setup
CONF=$TQD_DIR/tcpquota.conf
LOG=$TQD_DIR/tcpquotad.log
PIDFILE=$TQD_DIR/tcpquotad.pid
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000);
	INSERT INTO allowed (name) VALUES ('alice');
	INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1'),
	('198.18.1.99', 'alice', 1000, 1, 0, 'other-gw')"
tqd_write

# --- -n checks the configuration
check "-n accepts a valid file" "$TQ_BUILD/tcpquotad" -n --config "$CONF"
printf 'daemon = { period = 0; };\n' >"$TQD_DIR/bad.conf"
out=$("$TQ_BUILD/tcpquotad" -n --config "$TQD_DIR/bad.conf" 2>&1)
rc=$?
check "-n rejects a broken file (status $rc)" [ "$rc" -ne 0 ]
check "-n names file, line and setting" \
	grep -q "bad.conf:1: daemon.period" <<<"$out"

# --- daemonized start: the parent returns 0 once the daemon runs
ACCT=/proc/sys/net/netfilter/nf_conntrack_acct
expect_eq "a new namespace starts without conntrack accounting" 0 \
	"$(lab_gw cat "$ACCT")"
lab_gw "$TQ_BUILD/tcpquotad" --config "$CONF"
expect_eq "daemonizing parent exits 0" 0 "$?"
DPID=$(cat "$PIDFILE" 2>/dev/null)
check "pid file names a running process" tqd_alive "${DPID:-0}"
at_exit "kill $DPID 2>/dev/null"
# Double fork: setsid() in the first child, the daemon is its child, so
# it is in a session of its own but not its leader and can never acquire
# a controlling terminal.
sid=$(ps -o sid= -p "$DPID" | tr -d ' ')
new_session() { [ -n "$sid" ] && [ "$sid" != "$(ps -o sid= -p $$ | tr -d ' ')" ]; }
not_leader() { [ "$sid" != "$DPID" ] && ! tqd_alive "$sid"; }
check "daemon is in a new session (setsid; sid $sid)" new_session
check "daemon is not the session leader, its leader has exited" not_leader
expect_eq "daemon has no controlling terminal" "?" \
	"$(ps -o tty= -p "$DPID" | tr -d ' ')"
check "daemon runs in /" [ "$(readlink "/proc/$DPID/cwd")" = / ]
check "daemon's stdin is /dev/null" \
	[ "$(readlink "/proc/$DPID/fd/0")" = /dev/null ]
check "opens alice's host while daemonized" \
	tqd_wait_ms 3000 tqd_open_is "$LAB_LAN4" 1
expect_eq "the daemon turned conntrack accounting on in its namespace" 1 \
	"$(lab_gw cat "$ACCT")"
expect_eq "... and only there" 0 "$(cat "$ACCT")"

out=$(lab_gw "$TQ_BUILD/tcpquotad" -f --config "$CONF" 2>&1)
rc=$?
check "second instance refused (status $rc)" [ "$rc" -ne 0 ]
expect_eq "second instance's message" \
	"tcpquotad: already running (pid $DPID, pidfile $PIDFILE)" "$out"
check "first instance still running" tqd_alive "$DPID"

# --- USR1 / USR2: debug logging on and off
TQD_LOG=$LOG
kill -USR1 "$DPID"
check "USR1: debug lines appear" tqd_wait_polls 2
kill -USR2 "$DPID"
# counted from the daemon's own word that it took the signal, not from a
# fixed sleep (a loaded machine may take longer to get to it)
tqd_wait_log "SIGUSR2: debug logging off" 10
n0=$(tqd_polls)
sleep 2.2
expect_eq "USR2: no more debug lines" "$n0" "$(tqd_polls)"
kill -USR1 "$DPID"

# --- HUP with a broken file right after the weekly rotation moved the
# log away: the log is reopened first, at the old path (the broken file
# names no other), and the rejection goes there; old configuration kept
cp "$CONF" "$TQD_DIR/good.conf"
printf 'daemon = { period = 0; };\n' >"$CONF"
why=$("$TQ_BUILD/tcpquotad" -n --config "$CONF" 2>&1)
why=${why#tcpquotad: }
mv "$LOG" "$LOG.1"
kill -HUP "$DPID"
check "reload rejected, reason logged" \
	tqd_wait_log "reload rejected.*tcpquota.conf:1: daemon.period" 5
unstamp() { sed 's/^[-0-9]* [:.0-9]* tcpquotad\[[0-9]*\] //' "$1"; }
expect_eq "the new log file begins with the HUP and its rejection" \
	"info: SIGHUP: reloading the configuration
warning: reload rejected, old configuration kept: $why" \
	"$(unstamp "$LOG" | sed -n 1,2p)"
expect_eq "nothing of it in the rotated file" 0 \
	"$(grep -c 'SIGHUP\|reload rejected' "$LOG.1")"
n1=$(wc -l <"$LOG.1")
check "daemon alive after a broken reload" tqd_alive "$DPID"
check "polls go on every second (old period), into the new file" \
	tqd_wait_polls 2
expect_eq "the rotated file is no longer written" "$n1" \
	"$(wc -l <"$LOG.1")"
check "alice's host still open" tqd_has_host "$LAB_LAN4"
cp "$TQD_DIR/good.conf" "$CONF"

# --- TERM: table gone, this gateway's rows gone, the other's kept
kill -TERM "$DPID"
check "daemon exits on TERM" wait_for 10 tqd_dead "$DPID"
check_not "table gone from the ruleset" \
	sh -c "ip netns exec $LAB_GW nft list ruleset | grep -q 'table inet tcpquota'"
expect_eq "this gateway's masq rows gone" 0 \
	"$(mdb_sql "SELECT COUNT(*) FROM masq WHERE gateway = 'gw1'")"
expect_eq "another gateway's row kept" 1 \
	"$(mdb_sql "SELECT COUNT(*) FROM masq WHERE gateway = 'other-gw'")"
check_not "pid file removed" test -e "$PIDFILE"
check "exit logged" tqd_wait_log "exiting" 2

# --- HUP with a new tariff: the charge changes (rate 2 -> 6: 3 -> 7)
mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1')"
tq_require "daemon starts in the foreground" tqd_start
check "alice's host opened" tqd_wait_ms 2000 tqd_open_is "$LAB_LAN4" 1
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 200 100000
snap() {
	tqd_q "SELECT (SELECT quota FROM tcptab WHERE name = 'alice'),
		(SELECT counter FROM masq WHERE name = 'alice'
		 AND gateway = 'gw1')"
}
tqd_wait_polls 2
read -r q0 c0 <<<"$(snap)"
tqd_wait_polls 3
read -r q1 c1 <<<"$(snap)"
check "charged with traffic" [ $((c1 - c0)) -ge 2 ]
expect_eq "rate 2: 3 per poll" $((3 * (c1 - c0))) $((q0 - q1))
TQD_TARIFFS="{ days = \"daily\"; from = \"$(tqd_hhmm -60)\"; to = \"$(tqd_hhmm 60)\"; rate = 6; }" \
	tqd_write
kill -HUP "$TQD_PID"
check "reload logged" tqd_wait_log "configuration reloaded" 5
tqd_wait_polls 2
read -r q0 c0 <<<"$(snap)"
tqd_wait_polls 3
read -r q1 c1 <<<"$(snap)"
check "charged with traffic after the reload" [ $((c1 - c0)) -ge 2 ]
expect_eq "tariff 6 in force: 7 per poll" $((7 * (c1 - c0))) $((q0 - q1))

tqd_stop
expect_eq "SIGTERM in the foreground: exit status 0" 0 "$TQD_RC"
check_not "table gone" sh -c \
	"ip netns exec $LAB_GW nft list table inet tcpquota 2>/dev/null"
expect_eq "masq rows gone" 0 \
	"$(mdb_sql "SELECT COUNT(*) FROM masq WHERE gateway = 'gw1'")"

# --- INT and QUIT clean up as TERM does, with an open host each time
for sig in INT QUIT; do
	case $sig in
	INT) what='signal 2 (Interrupt)' ;;
	QUIT) what='signal 3 (Quit)' ;;
	esac
	mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway)
		VALUES ('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1')"
	tqd_start || { fail "daemon starts for SIG$sig"; continue; }
	check "SIG$sig: alice's host opened first" \
		tqd_wait_ms 3000 tqd_has_host "$LAB_LAN4"
	kill -"$sig" "$TQD_PID"
	wait "$TQD_PID"
	expect_eq "SIG$sig: exit status 0" 0 "$?"
	expect_eq "SIG$sig: clean-up logged" "info: $what: cleaning up" \
		"$(unstamp "$LOG" | grep ': cleaning up$' | tail -n 1)"
	check_not "SIG$sig: table gone" sh -c \
		"ip netns exec $LAB_GW nft list table inet tcpquota 2>/dev/null"
	expect_eq "SIG$sig: this gateway's masq rows gone" 0 \
		"$(mdb_sql "SELECT COUNT(*) FROM masq WHERE gateway = 'gw1'")"
	expect_eq "SIG$sig: another gateway's row kept" 1 \
		"$(mdb_sql "SELECT COUNT(*) FROM masq WHERE gateway = 'other-gw'")"
done
tq_done
