#!/bin/bash
# 061-kill-journal.sh - tcpquotad SIGKILLed with debits held in its
# journal (database stopped, an opened host with traffic), the database
# started and changed (an open request, a close request, another
# gateway's row), the daemon restarted: every held poll is applied exactly
# once (the same poll ids, balance and period total equal to the sum of
# the logged charges), the journal is cut back to its header, and after
# the first poll the nft sets equal this gateway's open rows.  A second
# SIGKILL + restart applies nothing; nor does a restart with the old
# journal put back (acknowledgements lost): the polls are recognised by
# their (gateway, id) in poll_applied.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-kill-journal

tq_require "lab and database set up" tqd_setup
BOB4=198.18.1.11
DAVE4=198.18.1.13
OTHER4=198.18.1.14
lab_add_lan BOB "$BOB4" 2001:db8:1::11
lab_add_lan DAVE "$DAVE4" 2001:db8:1::13
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000),
	('bob', 100000), ('dave', 100000), ('erin', 100000);
	INSERT INTO allowed (name) VALUES ('alice'), ('bob'), ('dave'),
	('erin');
	INSERT INTO periodtab (quota) VALUES (0);
	INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1'),
	('$BOB4', 'bob', 1000, 2, 0, 'gw1')"
tqd_write
JOURNAL=$TQD_DIR/journal/journal

tq_require "daemon starts" tqd_start
check "alice's host opened" tqd_wait_ms 3000 tqd_open_is "$LAB_LAN4" 1
check "bob's host opened" tqd_wait_ms 3000 tqd_open_is "$BOB4" 1

snap() {
	tqd_q "SELECT (SELECT quota FROM tcptab WHERE name = 'alice'),
		(SELECT quota FROM tcptab WHERE name = 'bob'),
		(SELECT quota FROM tcptab WHERE name = 'dave'),
		(SELECT quota FROM periodtab ORDER BY id DESC LIMIT 1)"
}
# charges [USER]: sum and number of the charges logged (for USER)
charges() {
	awk -v u="${1:-[a-z]+}" '$0 ~ " debug: charged " u " [0-9]+$" {
		s += $NF; n++ } END { print s + 0, n + 0 }' "$TQD_LOG"
}
lines() { wc -l <"$TQD_LOG"; }
count() { grep -cE -- "$1" "$TQD_LOG" || true; }
count_ge() { [ "$(count "$1")" -ge "$2" ]; }
jsize() { stat -c %s "$JOURNAL" 2>/dev/null; }
journal_empty() { [ "$(jsize)" = 8 ]; }
# ids FROM WHAT: poll ids of the log lines from line FROM on that say
# "held" (debug: poll ID held in the journal) or "applied" (journal:
# applied held poll ID), sorted
ids() {
	local re
	case $2 in
	held) re='s/.* poll \([0-9a-f]\{16\}\) held in the journal$/\1/p' ;;
	applied) re='s/.* journal: applied held poll \([0-9a-f]\{16\}\) .*/\1/p' ;;
	esac
	sed -n "$1,\$p" "$TQD_LOG" | sed -n "$re" | sort
}
held_ge() { [ "$(ids "$1" held | wc -l)" -ge "$2" ]; }
# in_db IDS...: every id is in poll_applied (gateway gw1) exactly once
in_db() {
	local id n
	for id in "$@"; do
		n=$(mdb_sql "SELECT COUNT(*) FROM poll_applied WHERE
			gateway = 'gw1' AND id = CONV('$id', 16, 10)")
		[ "$n" = 1 ] || return 1
	done
}
db_open_hosts() {
	mdb_sql "SELECT host FROM masq WHERE gateway = 'gw1' AND open = 1" |
		sort
}
# kill9: SIGKILL the daemon (right after a poll, far from the next one)
kill9() {
	kill -KILL "$TQD_PID"
	wait "$TQD_PID" 2>/dev/null
}

tqd_wait_polls 2
read -r qa0 qb0 qd0 t0 <<<"$(snap)"
expect_eq "nothing charged before the traffic" "0 0" "$(charges)"
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 200 100000
A_TALK=$TQD_TALK
check "alice charged with the database up" \
	wait_for 10 count_ge ' debug: charged alice ' 2

# --- database stopped: charged polls held in the journal
l0=$(lines)
mdb_stop
check "outage logged" wait_for 5 count_ge 'database unavailable' 1
check "3 charged polls held in the journal" wait_for 10 held_ge "$l0" 3
# SIGKILL just after the next held poll (its record is synced before the
# line is logged; the next poll is a period away)
n=$(ids "$l0" held | wc -l)
if wait_for 10 held_ge "$l0" $((n + 1)); then
	kill9
	ok "SIGKILL right after held poll number $((n + 1))"
else
	fail "no further held poll"
	kill9
fi
HELD=$(ids "$l0" held)
nheld=$(wc -l <<<"$HELD")
check "journal file holds them ($(jsize) bytes)" [ "$(jsize)" -gt 8 ]
check "the table stays after SIGKILL" tqd_has_host "$LAB_LAN4"
kill "$A_TALK" 2>/dev/null
wait "$A_TALK" 2>/dev/null
cp -p "$JOURNAL" "$TQ_TMP/journal.old"

# --- the database comes back and changes while the daemon is dead
tq_require "database restarts" mdb_restart
mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$DAVE4', 'dave', 1000, 2, 0, 'gw1'),
	('$OTHER4', 'erin', 1000, 1, 0, 'gw2');
	UPDATE masq SET open = 3 WHERE host = '$BOB4'"
# shellcheck disable=SC2086
expect_eq "none of the held polls is in the database yet" 0 \
	"$(mdb_sql "SELECT COUNT(*) FROM poll_applied WHERE gateway = 'gw1'
		AND id IN ($(printf "CONV('%s', 16, 10)," $HELD)0)")"

# --- restart: replay once, firewall = database after the first poll
l1=$(lines)
tq_require "daemon restarts after SIGKILL" tqd_start
fw=$(tqd_set)
db=$(db_open_hosts)
expect_eq "after the first poll: nft sets = this gateway's open rows" \
	"$db" "$fw"
expect_eq "... which are alice's and dave's hosts" \
	"$(printf '%s\n' "$LAB_LAN4" "$DAVE4")" "$fw"
expect_eq "bob's close request answered" 0 \
	"$(mdb_sql "SELECT COUNT(*) FROM masq WHERE host = '$BOB4' AND open <> 0")"
check "the journal was read at start" \
	grep -q "journal: $nheld polls\? held from before" \
	<(sed -n "$l1,\$p" "$TQD_LOG")
expect_eq "the polls applied are the polls held, each once ($nheld)" \
	"$HELD" "$(ids "$l1" applied)"
# shellcheck disable=SC2086
check "each is in poll_applied once" in_db $HELD
expect_eq "journal cut back to its header (bytes)" 8 "$(jsize)"
expect_eq "dave's host reaches the server" "$LAB_GW_WAN4" \
	"$(lab_try "$LAB_NS_DAVE" "$LAB_SRV4")"
check_not "bob's host is shut out" lab_try "$LAB_NS_BOB" "$LAB_SRV4"
tqd_wait_polls 2
read -r qa1 qb1 qd1 t1 <<<"$(snap)"
read -r sa na <<<"$(charges alice)"
read -r sd nd <<<"$(charges dave)"
read -r sum n <<<"$(charges)"
check "alice's charged polls ($na) include the $nheld held ones" \
	[ "$na" -ge $((nheld + 2)) ]
expect_eq "every charge is 3 (one user online, period 1, rate 2)" \
	$((3 * n)) "$sum"
expect_eq "alice: start - sum of her logged charges, exactly" \
	$((qa0 - sa)) "$qa1"
expect_eq "dave: start - sum of his ($nd), exactly" $((qd0 - sd)) "$qd1"
expect_eq "bob (idle) not charged" "$qb0" "$qb1"
expect_eq "period total = start + the sum of all charges" $((t0 + sum)) "$t1"

# --- a second SIGKILL + restart: nothing pending, nothing applied
kill9
l2=$(lines)
tqd_start || fail "daemon restarts a second time"
expect_eq "second restart: nft sets = open rows" "$(db_open_hosts)" \
	"$(tqd_set)"
tqd_wait_polls 2
expect_eq "second restart: nothing replayed" 0 \
	"$(sed -n "$l2,\$p" "$TQD_LOG" | grep -c 'journal: ')"
expect_eq "second restart: balances and period total unchanged" \
	"$qa1 $qb1 $qd1 $t1" "$(snap)"

# --- the old journal put back (acknowledgements lost): recognised
kill9
cp -p "$TQ_TMP/journal.old" "$JOURNAL"
l3=$(lines)
tqd_start || fail "daemon restarts with the old journal"
check "the old entries are read" \
	grep -q "journal: $nheld polls\? held from before" \
	<(sed -n "$l3,\$p" "$TQD_LOG")
check "and dropped from the journal" wait_for 5 journal_empty
tqd_wait_polls 2
expect_eq "none applied a second time" "" "$(ids "$l3" applied)"
expect_eq "balances and period total still unchanged" \
	"$qa1 $qb1 $qd1 $t1" "$(snap)"
expect_eq "nft sets = open rows" "$(db_open_hosts)" "$(tqd_set)"
expect_eq "no journal damage logged" 0 \
	"$(count 'journal: .*(corrupt|torn|dropp)')"

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
