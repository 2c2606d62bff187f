#!/bin/bash
# 060-db-hang.sh - a database that hangs (SIGSTOP on mariadbd) while an
# opened host has traffic.  Polls time out within database.timeout and go
# on every period or so; the database is logged unavailable; the opened
# host keeps working; USR1 and HUP are handled within one timed-out call;
# nothing new can be opened; after SIGCONT the held polls are applied
# exactly once.  A second hang ends with SIGTERM: the daemon exits within
# two timeouts, the held polls stay in the journal and the next start
# applies them.  Balance and period total equal the sum of the charges
# the daemon logged, exactly.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-db-hang

tq_require "lab and database set up" tqd_setup
DAVE4=198.18.1.13
lab_add_lan DAVE "$DAVE4" 2001:db8:1::13
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000),
	('dave', 100000);
	INSERT INTO allowed (name) VALUES ('alice'), ('dave');
	INSERT INTO periodtab (quota) VALUES (0);
	INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1')"
tqd_write
CONF=$TQD_DIR/tcpquota.conf
JOURNAL=$TQD_DIR/journal/journal
# database.timeout (connect, read and write), in seconds
TO=$(sed -n 's/^\s*timeout = \([0-9]*\);/\1/p' "$CONF")
expect_eq "database timeout in the test config" 2 "$TO"

tq_require "daemon starts" tqd_start
check "alice's host opened" tqd_wait_ms 3000 tqd_open_is "$LAB_LAN4" 1

# alice's quota and the newest period's total, read while nothing is
# charged; the sum of the charges the daemon logged, and how many.
snap() {
	tqd_q "SELECT (SELECT quota FROM tcptab WHERE name = 'alice'),
		(SELECT quota FROM periodtab ORDER BY id DESC LIMIT 1)"
}
charges() {
	awk '/ debug: charged alice [0-9]+$/ { s += $NF; n++ }
		END { print s + 0, n + 0 }' "$TQD_LOG"
}
lines() { wc -l <"$TQD_LOG"; }
# count PATTERN: log lines matching PATTERN (grep -E)
count() { grep -cE -- "$1" "$TQD_LOG" || true; }
count_ge() { [ "$(count "$1")" -ge "$2" ]; }
journal_empty() { [ "$(stat -c %s "$JOURNAL" 2>/dev/null)" = 8 ]; }
# polls_took FROM TO: the "poll took" durations (us) in log lines FROM..TO
polls_took() {
	sed -n "$1,$2p" "$TQD_LOG" | sed -n 's/.* poll took \([0-9]*\) us$/\1/p'
}
# held_ids FROM: ids of the polls logged as held from log line FROM on
held_ids() {
	sed -n "$1,\$p" "$TQD_LOG" |
		sed -n 's/.* poll \([0-9a-f]\{16\}\) held in the journal$/\1/p'
}
held_since() { [ -n "$(held_ids "$1")" ]; }
# in_db IDS...: every id is in poll_applied (gateway gw1) exactly once
in_db() {
	local id n
	for id in "$@"; do
		n=$(mdb_sql "SELECT COUNT(*) FROM poll_applied WHERE
			gateway = 'gw1' AND id = CONV('$id', 16, 10)")
		[ "$n" = 1 ] || return 1
	done
}

tqd_wait_polls 2
read -r q0 t0 <<<"$(snap)"
expect_eq "nothing charged before the traffic" "0 0" "$(charges)"
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 200 100000
A_TALK=$TQD_TALK
check "alice charged with the database up" \
	wait_for 10 count_ge ' debug: charged alice ' 2

# --- hang 1: SIGSTOP, the daemon carries on, SIGCONT, catch up
down0=$(count 'database unavailable')
l0=$(lines)
t_stop=$(tqd_ms)
mdb_pause
if tqd_wait_ms $((TO * 1000 + 3000)) count_ge 'database unavailable' \
	$((down0 + 1)); then
	ok "hang logged as 'database unavailable' after $((TQD_MS)) ms (timeout ${TO} s, period 1 s)"
else
	fail "hang not logged within $((TO * 1000 + 3000)) ms"
fi
check "the reason is the timed-out call (lost connection)" \
	grep -q 'database unavailable: .*Lost connection' \
	<(sed -n "$l0,\$p" "$TQD_LOG")
p0=$(tqd_polls)
check "polls go on during the hang (2 more)" tqd_wait_polls 2
check "held polls are charged and journalled" \
	wait_for 5 count_ge 'held in the journal' 1
check "the journal file holds them" [ "$(stat -c %s "$JOURNAL")" -gt 8 ]
check "daemon alive" tqd_alive "$TQD_PID"
check "the traffic flows on" tqd_alive "$A_TALK"
expect_eq "the opened host connects during the hang" "$LAB_GW_WAN4" \
	"$(lab_try "$LAB_LAN" "$LAB_SRV4")"

# signals while a call waits for the frozen server
for sig in USR1 HUP; do
	case $sig in
	USR1) pat='SIGUSR1: debug logging on' ;;
	HUP) pat='SIGHUP: reloading the configuration' ;;
	esac
	n=$(count "$pat")
	kill -"$sig" "$TQD_PID"
	if tqd_wait_ms $((TO * 1000 + 1000)) count_ge "$pat" $((n + 1)); then
		ok "SIG$sig handled during the hang in ${TQD_MS} ms (bound: one timeout ${TO} s + 1 s)"
	else
		fail "SIG$sig not handled within $((TO * 1000 + 1000)) ms"
	fi
done
check "debug lines go on after USR1" tqd_wait_polls 1

# an open request cannot be made: the tool's database call times out too
t1=$(tqd_ms)
timeout 30 "$TQ_BUILD/openhost" --config "$CONF" --user dave \
	--host "$DAVE4" </dev/null >"$TQ_TMP/openhost.out" 2>&1
rc=$?
ms=$(($(tqd_ms) - t1))
check "openhost fails during the hang (status $rc, not killed)" \
	[ "$rc" -ne 0 -a "$rc" -ne 124 ]
check "... within two timeouts ($ms ms)" [ "$ms" -lt $((2 * TO * 1000 + 1000)) ]
check "... naming the database" grep -q 'database' "$TQ_TMP/openhost.out"
check_not "dave's host is not opened" lab_try "$LAB_NS_DAVE" "$LAB_SRV4"
expect_eq "firewall: only alice's host" "$LAB_LAN4" "$(tqd_set)"

p1=$(tqd_polls)
l1=$(lines)
mdb_resume
hang_ms=$(($(tqd_ms) - t_stop))
max=$(polls_took "$l0" "$l1" | sort -n | tail -n 1)
check "$((p1 - p0)) polls in a ${hang_ms} ms hang" [ $((p1 - p0)) -ge 4 ]
check "no poll took longer than one timeout + 1 s (longest ${max} us)" \
	[ "${max:-0}" -lt $(((TO + 1) * 1000000)) ]
check "catches up after SIGCONT: held polls applied" \
	wait_for 15 count_ge 'journal: applied held poll' 1
check "database connected again" \
	wait_for 5 count_ge 'database connected' 2
check "journal cut back to its header" wait_for 5 journal_empty
# Every poll held since the hang began, counted once the journal is
# empty: a poll already waiting on the stopped server when SIGCONT came
# may still time out and be held just after it (on a loaded machine the
# server takes a while to answer again), and belongs to this hang.
l1=$(lines)
held1=$(held_ids "$l0")
# shellcheck disable=SC2086
check "every held poll is in poll_applied once ($(echo $held1 | wc -w) polls)" \
	in_db $held1
tqd_wait_polls 2
check "charges applied at once again (no new held poll)" \
	[ "$(held_ids "$l1" | wc -l)" = 0 ]

# --- hang 2: SIGTERM during the hang
l2=$(lines)
mdb_pause
check "second hang logged" wait_for $((TO + 5)) count_ge \
	'database unavailable' $((down0 + 2))
check "a poll held" wait_for $((TO + 5)) held_since "$l2"
t2=$(tqd_ms)
kill -TERM "$TQD_PID"
check "SIGTERM: daemon exits within two timeouts + 1.5 s" \
	tqd_wait_ms $((2 * TO * 1000 + 1500)) tqd_dead "$TQD_PID"
term_ms=$(($(tqd_ms) - t2))
ok "SIGTERM during the hang: gone after ${term_ms} ms"
wait "$TQD_PID"
expect_eq "exit status 0" 0 "$?"
check "'exiting' logged" count_ge 'tcpquotad\[[0-9]+\] info: exiting' 1
held2=$(held_ids "$l2")
check "the held polls stay in the journal file" \
	[ "$(stat -c %s "$JOURNAL")" -gt 8 ]
kill "$A_TALK" 2>/dev/null
wait "$A_TALK" 2>/dev/null
mdb_resume
l3=$(lines)
tqd_start || fail "daemon restarts after the hang"
check "the journal is read at start" \
	grep -q 'journal: [0-9]* polls\? held from before' \
	<(sed -n "$l3,\$p" "$TQD_LOG")
check "and applied" wait_for 10 journal_empty
# shellcheck disable=SC2086
check "every poll held before SIGTERM is in poll_applied once ($(echo $held2 | wc -w) polls)" \
	in_db $held2
tqd_wait_polls 2
read -r q1 t1 <<<"$(snap)"
read -r sum n <<<"$(charges)"
check "charged polls ($n) include the hangs" [ "$n" -ge 6 ]
expect_eq "every charge is 3 (alice alone, period 1, rate 2)" $((3 * n)) "$sum"
expect_eq "balance = start - sum of the logged charges, exactly" \
	$((q0 - sum)) "$q1"
expect_eq "period total = start + the same sum" $((t0 + sum)) "$t1"
expect_eq "no journal damage logged" 0 "$(count 'journal: .*(corrupt|torn|dropp)')"

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
