#!/bin/bash
# 080-db-lock.sh - an admin's open transaction holds a row lock on alice's
# tcptab row for LOCK_S seconds (BEGIN; UPDATE tcptab ... WHERE name =
# 'alice'; ... COMMIT) while alice's host talks.  A lock is no outage:
#   - the loop stays responsive: SIGUSR1 is handled within 100 ms, plus
#     what the machine's load costs (the worst of the same measurement
#     taken before the lock: a loaded machine delays both alike)
#   - the log names the lock (table and user), never "database
#     unavailable"; no poll takes a period
#   - others' requests are answered within a poll: bob's openhost (which
#     pokes the wake-up socket) and dave's request row (no poke: the poll
#     answers it); carol's host, whose row is deleted by hand, is closed
#     at the next poll
#   - every period is billed: the charges logged during the lock cover
#     the periods that passed, held while the lock lasts and applied
#     exactly once after it (poll ids in poll_applied once); alice's
#     balance = start + the admin's 1000 - the logged charges, exactly,
#     and the period total grows by the same charges.
# Timings are measured from the daemon's own log stamps (milliseconds)
# against the moment the signal was sent ($EPOCHREALTIME, no fork).
# tq: serial
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
. "$TQ_ROOT/tests/lib/held.sh"
tq_init tqd-db-lock

LOCK_S=10
BOB4=198.18.1.11
CAROL4=198.18.1.12
DAVE4=198.18.1.13
setup() {
	tqd_setup || return 1
	lab_add_lan BOB "$BOB4" 2001:db8:1::11 || return 1
	lab_add_lan CAROL "$CAROL4" 2001:db8:1::12 || return 1
	lab_add_lan DAVE "$DAVE4" 2001:db8:1::13 || return 1
	mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000),
		('bob', 100000), ('carol', 100000), ('dave', 100000);
		INSERT INTO allowed (name) VALUES ('alice'), ('bob'),
		('carol'), ('dave');
		INSERT INTO periodtab (quota) VALUES (0);
		INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
		('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1'),
		('$CAROL4', 'carol', 1000, 2, 0, 'gw1')" || return 1
	tqd_write && tqd_start
}
tq_require "lab, database and daemon set up" setup
CONF=$TQD_DIR/tcpquota.conf
JOURNAL=$TQD_DIR/journal/journal
check "alice's and carol's hosts opened" \
	tqd_wait_ms 3000 tqd_open_is "$CAROL4" 1

snap() {
	tqd_q "SELECT (SELECT quota FROM tcptab WHERE name = 'alice'),
		(SELECT quota FROM periodtab ORDER BY id DESC LIMIT 1)"
}
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
# stamp_ms LINE: the log line's time stamp in ms since the epoch
stamp_ms() { date -d "${1:0:23}" +%s%3N; }
# usr1_ms: send SIGUSR1, print the ms until the daemon logged it
usr1_ms() {
	local pat='SIGUSR1: debug logging on' n t0 line
	n=$(held_count "$pat")
	t0=$(now_ms)
	kill -USR1 "$TQD_PID"
	if ! wait_for 10 held_count_ge "$pat" $((n + 1)); then
		echo 99999
		return
	fi
	line=$(grep -E -- "$pat" "$TQD_LOG" | sed -n "$((n + 1))p")
	echo $(($(stamp_ms "$line") - t0))
}

tqd_wait_polls 2
read -r q0 t0 <<<"$(snap)"
expect_eq "nothing charged before the traffic" "0 0" "$(held_charges '[a-z]+')"
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 200 100000
A_TALK=$TQD_TALK
check "alice charged with the database up" \
	wait_for 10 held_count_ge ' debug: charged alice ' 2

# what the machine's load costs, measured as below without a lock
base=0
for _ in 1 2 3; do
	ms=$(usr1_ms)
	[ "$ms" -gt "$base" ] && base=$ms
	sleep 0.3
done
ok "SIGUSR1 without a lock: at most $base ms"

# --- the admin's transaction: alice's row locked for LOCK_S seconds
l_lock=$(held_lines)
mariadb --no-defaults -S "$MDB_SOCKET" -uroot -N -B --unbuffered tcpquota \
	-e "BEGIN; UPDATE tcptab SET quota = quota + 1000 WHERE name = 'alice';
	SELECT 'locked'; DO SLEEP($LOCK_S); COMMIT; SELECT 'released';" \
	>"$TQ_TMP/admin.out" 2>&1 &
ADMIN=$!
at_exit "kill $ADMIN 2>/dev/null"
tq_require -o "$TQ_TMP/admin.out" "the admin's session holds the lock" \
	wait_for 10 grep -q locked "$TQ_TMP/admin.out"
t_lock=$(now_ms)
check "the lock is logged as a lock wait on alice's tcptab row" \
	wait_for 5 held_count_ge 'warning: database: lock wait on tcptab \(alice\)' 1

for _ in 1 2 3; do
	ms=$(usr1_ms)
	check "SIGUSR1 during the lock handled in $ms ms (bound 100 + $base ms)" \
		[ "$ms" -le $((100 + base)) ]
	sleep 0.4
done

# bob's openhost, answered through the wake-up socket
# (its input a FIFO held open here: closing it is Enter)
mkfifo "$TQ_TMP/oh.in"
t1=$(now_ms)
"$TQ_BUILD/openhost" --config "$CONF" --user bob --host "$BOB4" \
	<"$TQ_TMP/oh.in" >"$TQ_TMP/openhost.out" 2>&1 &
OH=$!
at_exit "kill $OH 2>/dev/null"
exec 8>"$TQ_TMP/oh.in"
if wait_for 10 grep -q "opened for bob" "$TQ_TMP/openhost.out"; then
	ms=$(($(now_ms) - t1))
	check "bob's openhost answered in $ms ms (bound: a 1 s poll + 1 s for the tool)" \
		[ "$ms" -le 2000 ]
else
	fail "bob's openhost not answered: $(cat "$TQ_TMP/openhost.out")"
fi
expect_eq "bob reaches the server" "$LAB_GW_WAN4" \
	"$(lab_try "$LAB_NS_BOB" "$LAB_SRV4")"

# dave's request row, no poke: the next poll answers it
mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$DAVE4', 'dave', 1000, 2, 0, 'gw1')"
if tqd_wait_ms 2000 tqd_open_is "$DAVE4" 1; then
	ok "dave's request answered by a poll in $TQD_MS ms (bound: one poll + 1 s)"
else
	fail "dave's request not answered within 2 s"
fi

# carol's row deleted by hand: her host is closed at the next poll
mdb_sql "DELETE FROM masq WHERE host = '$CAROL4'"
carol_out() { ! tqd_has_host "$CAROL4"; }
if tqd_wait_ms 2000 carol_out; then
	ok "carol's host, its row gone, closed in $TQD_MS ms (bound: one poll + 1 s)"
else
	fail "carol's host still open 2 s after its row went"
fi

# --- the admin commits
check "the admin's transaction ends" wait_for $((LOCK_S + 10)) \
	grep -q released "$TQ_TMP/admin.out"
lock_ms=$(($(now_ms) - t_lock))
l_rel=$(held_lines)
check "lock over logged" wait_for 5 held_count_ge 'database: lock wait over' 1
expect_eq "no 'database unavailable' during the lock" 0 \
	"$(sed -n "$l_lock,${l_rel}p" "$TQD_LOG" | grep -c 'database unavailable')"
took=$(sed -n "$l_lock,${l_rel}p" "$TQD_LOG" |
	sed -n 's/.* poll took \([0-9]*\) us$/\1/p' | sort -n | tail -n 1)
np=$(sed -n "$l_lock,${l_rel}p" "$TQD_LOG" | grep -c 'poll took')
check "$np polls in the ${lock_ms} ms lock" [ "$np" -ge $((LOCK_S - 2)) ]
check "no poll took a period (longest ${took} us)" [ "${took:-0}" -lt 1000000 ]

# Every period billed: the charges logged after the window's first poll
# up to its last cover the periods between the two (timer ticks, 1 s
# apart: the stamps' distance rounded; 1 for a poll logged late).
first=$(awk -v a="$l_lock" -v b="$l_rel" 'NR >= a && NR <= b &&
	/ poll took / { print NR; exit }' "$TQD_LOG")
last=$(awk -v a="$l_lock" -v b="$l_rel" 'NR >= a && NR <= b &&
	/ poll took / { n = NR } END { print n }' "$TQD_LOG")
span=$(($(stamp_ms "$(sed -n "${last}p" "$TQD_LOG")") -
	$(stamp_ms "$(sed -n "${first}p" "$TQD_LOG")")))
periods=$(((span + 500) / 1000))
read -r _ nc <<<"$(held_charges alice "$((first + 1))" "$last")"
check "alice billed $nc periods of the $periods between polls $first and $last (no stalled period unbilled)" \
	[ "$nc" -ge $((periods - 1)) -a "$nc" -le $((periods + 1)) ]

held=$(held_ids "$l_lock")
check "polls held during the lock" [ -n "$held" ]
check "held polls applied after it" \
	wait_for 10 held_count_ge 'journal: applied held poll' 1
check "journal back to its header" wait_for 10 held_journal_empty
# shellcheck disable=SC2086
check "every held poll in poll_applied once ($(echo $held | wc -w) polls)" \
	held_in_db $held

kill "$A_TALK" 2>/dev/null
wait "$A_TALK" 2>/dev/null
exec 8>&-
check "bob's openhost ends when its input does" wait_for 10 tqd_dead "$OH"
tqd_wait_polls 3
check "journal still empty" held_journal_empty
read -r q1 t1 <<<"$(snap)"
read -r sa _ <<<"$(held_charges alice)"
read -r sall _ <<<"$(held_charges '[a-z]+')"
expect_eq "alice's balance = start + the admin's 1000 - the logged charges" \
	$((q0 + 1000 - sa)) "$q1"
expect_eq "period total = start + every logged charge" $((t0 + sall)) "$t1"
expect_eq "no poll set aside" "" \
	"$(cat "$JOURNAL.rejected" 2>/dev/null)"

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
