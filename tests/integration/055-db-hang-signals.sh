#!/bin/bash
# 055-db-hang-signals.sh - signals within 100 ms whatever the database
# does (issue 20, item 3): a server that hangs (SIGSTOP on mariadbd) with
# database.timeout = 30 s, so a call waits half a minute unless it is
# cut.  While the daemon waits in a call (its main thread in poll(2)),
# SIGUSR1 and SIGHUP are handled within a second (before: at the end of
# the 30 s call), the log names the cut call; while it waits for a
# connect's greeting, likewise; SIGTERM ends the daemon within 3 s
# (before: two timeouts).  After SIGCONT the held polls are applied
# exactly once; after the SIGTERM the next start applies the rest.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
. "$TQ_ROOT/tests/lib/held.sh"
tq_init tqd-db-hang-signals

tq_require "lab and database set up" tqd_setup
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000);
	INSERT INTO allowed (name) VALUES ('alice');
	INSERT INTO periodtab (quota) VALUES (0);
	INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1')"
tqd_write
CONF=$TQD_DIR/tcpquota.conf
JOURNAL=$TQD_DIR/journal/journal
sed -i 's/^\(\s*timeout = \)[0-9]*;/\130;/' "$CONF"
expect_eq "database.timeout 30 s in the test config" 30 \
	"$(sed -n 's/^\s*timeout = \([0-9]*\);/\1/p' "$CONF")"

tq_require "daemon starts" tqd_start
check "alice's host opened" tqd_wait_ms 3000 tqd_open_is "$LAB_LAN4" 1

# The daemon's main thread waits in poll(2): Connector/C waiting for the
# server (or the connect's probe); idle, it waits in epoll_wait(2).  The
# kernel function's name varies between builds (do_sys_poll,
# poll_schedule_timeout.constprop.0); epoll's are do_epoll_wait, ep_poll.
in_db_wait() {
	case $(cat "/proc/$TQD_PID/wchan" 2>/dev/null) in
	*epoll* | ep_poll*) return 1 ;;
	*poll*) return 0 ;;
	*) return 1 ;;
	esac
}
# sig_within SIG PATTERN: send SIG while the daemon waits for the hung
# server; PATTERN logged within 1000 ms (the call would wait 30 s).
sig_within() {
	local sig=$1 pat=$2 n
	n=$(held_count "$pat")
	if ! wait_for 40 in_db_wait; then
		fail "SIG$sig: the daemon never waited for the server"
		return
	fi
	kill -"$sig" "$TQD_PID"
	if tqd_wait_ms 1000 held_count_ge "$pat" $((n + 1)); then
		ok "SIG$sig handled within 1000 ms while a call waits for the hung server (${TQD_MS} ms)"
	else
		fail "SIG$sig not handled within 1000 ms (database.timeout 30 s)"
	fi
}
tqd_wait_polls 2
# alice's balance and the newest period's total, read while nothing is
# charged; the sum of the charges the daemon logged.
snap() {
	tqd_q "SELECT (SELECT quota FROM tcptab WHERE name = 'alice'),
		(SELECT quota FROM periodtab ORDER BY id DESC LIMIT 1)"
}
read -r q0 t0 <<<"$(snap)"
# alice's host has traffic all along, so every poll charges her: the
# polls of a hang are held in the journal.
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 300 100000
A_TALK=$TQD_TALK
check "alice charged with the database up" \
	wait_for 10 held_count_ge ' debug: charged alice ' 2

# --- a call waits for the stopped server
l0=$(held_lines)
mdb_pause
sig_within USR1 'SIGUSR1: debug logging on'
check "the cut call logged with its cause" wait_for 5 grep -qE \
	'database unavailable: .*no answer from the server for [0-9]+ ms, the call cut short for a signal \(database\.timeout 30 s\)' \
	<(sed -n "$l0,\$p" "$TQD_LOG")
check "the poll held in the journal" \
	wait_for 5 held_count_ge 'held in the journal' 1

# --- the reconnect waits for the server's greeting (the probe)
sig_within HUP 'SIGHUP: reloading the configuration'
check "the cut connect logged with its cause" wait_for 5 grep -qE \
	'database: .*no greeting from the server for [0-9]+ ms, cut short for a signal' \
	<(sed -n "$l0,\$p" "$TQD_LOG")
# (not SIGUSR2: the charges are counted from debug lines)
sig_within USR1 'SIGUSR1: debug logging on'
check "daemon alive" tqd_alive "$TQD_PID"

# --- the server back: every held poll applied once
mdb_resume
check "catches up after SIGCONT: held polls applied" \
	wait_for 40 held_count_ge 'journal: applied held poll' 1
check "journal cut back to its header" wait_for 10 held_journal_empty
held1=$(held_ids "$l0")
# shellcheck disable=SC2086
check "every held poll is in poll_applied once ($(echo $held1 | wc -w) polls)" \
	held_in_db $held1

# --- SIGTERM during a hang: gone within 3 s, the held polls kept
tqd_wait_polls 1
l2=$(held_lines)
mdb_pause
check "a call waits for the stopped server" wait_for 40 in_db_wait
t2=$(tqd_ms)
kill -TERM "$TQD_PID"
check "SIGTERM during the hang: the daemon exits within 3 s" \
	tqd_wait_ms 3000 tqd_dead "$TQD_PID"
ok "SIGTERM during the hang: gone after $(($(tqd_ms) - t2)) ms"
wait "$TQD_PID"
expect_eq "exit status 0" 0 "$?"
held2=$(held_ids "$l2")
check "a poll held before SIGTERM" [ -n "$held2" ]
check "the held polls stay in the journal file" \
	[ "$(stat -c %s "$JOURNAL")" -gt 8 ]
kill "$A_TALK" 2>/dev/null
wait "$A_TALK" 2>/dev/null
mdb_resume
tq_require "daemon restarts after the hang" tqd_start
check "the journal is read at start and applied" wait_for 10 held_journal_empty
# shellcheck disable=SC2086
check "every poll held before SIGTERM is in poll_applied once" \
	held_in_db $held2
tqd_wait_polls 2
read -r q1 t1 <<<"$(snap)"
read -r sum n <<<"$(held_charges alice)"
check "charged polls ($n) include the hangs" [ "$n" -ge 6 ]
expect_eq "balance = start - sum of the logged charges, exactly" \
	$((q0 - sum)) "$q1"
expect_eq "period total = start + the same sum" $((t0 + sum)) "$t1"
expect_eq "no journal damage logged" 0 \
	"$(held_count 'journal: .*(corrupt|torn|dropp)')"
tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
