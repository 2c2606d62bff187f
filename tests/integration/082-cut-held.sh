#!/bin/bash
# 082-cut-held.sh - cut-offs while debits are held.  mariadbd is killed;
# then alice, whose balance (10) covers three polls of 3 (min_quota 0),
# starts talking.  Her debits are held in the journal, and her balance is
# the last one read minus them: the poll that takes it to or below
# min_quota cuts her off while the database is down (host out of the set,
# so at most one poll beyond the balance: 4 polls, 10 - 12 = -2 >= 0 - 3),
# and nothing more is charged.  When the database is back the 4 polls are
# applied once each: balance -2 exactly, her row deleted, nothing set
# aside.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
. "$TQ_ROOT/tests/lib/held.sh"
tq_init tqd-cut-held

START=10
EACH=3
MIN=0
setup() {
	tqd_setup || return 1
	mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', $START);
		INSERT INTO allowed (name) VALUES ('alice');
		INSERT INTO periodtab (quota) VALUES (0);
		INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
		('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1')" || return 1
	TQD_MIN_QUOTA=$MIN tqd_write && tqd_start
}
tq_require "lab, database and daemon set up" setup
JOURNAL=$TQD_DIR/journal/journal
check "alice's host opened" tqd_wait_ms 3000 tqd_open_is "$LAB_LAN4" 1

out_of_set() { ! tqd_has_host "$LAB_LAN4"; }
# polls that charge her until the balance is at or below min_quota
want=$(((START - MIN + EACH - 1) / EACH))

tqd_wait_polls 2
expect_eq "nothing charged before the outage" "0 0" "$(held_charges alice)"
mdb_kill
check "outage logged" tqd_wait_log "database unavailable" 5
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 200 100000
A_TALK=$TQD_TALK
check "cut off while the database is down" \
	wait_for $((want + 10)) held_count_ge 'cut off alice' 1
check "her host is out of the set" tqd_wait_ms 2000 out_of_set
tqd_wait_polls 3
read -r sum n <<<"$(held_charges alice)"
expect_eq "charged in $want polls, none after the cut" "$((want * EACH)) $want" \
	"$sum $n"
check "the polls are held in the journal" \
	[ "$(stat -c %s "$JOURNAL")" -gt 8 ]
check "daemon alive" tqd_alive "$TQD_PID"
kill "$A_TALK" 2>/dev/null
wait "$A_TALK" 2>/dev/null

mdb_restart
check "held polls applied when the database is back" \
	tqd_wait_log 'journal: applied held poll' 15
check "journal back to its header" wait_for 10 held_journal_empty
tqd_wait_polls 2
bal=$(mdb_sql "SELECT quota FROM tcptab WHERE name = 'alice'")
expect_eq "balance = start - $want polls of $EACH, exactly" \
	$((START - want * EACH)) "$bal"
check "at most one poll beyond min_quota ($bal >= $MIN - $EACH)" \
	[ "$bal" -ge $((MIN - EACH)) ]
expect_eq "her row deleted" "" \
	"$(mdb_sql "SELECT host FROM masq WHERE name = 'alice'")"
check "still out of the set" out_of_set
expect_eq "nothing set aside" no \
	"$(test -e "$JOURNAL.rejected" && echo yes || echo no)"
read -r sum n <<<"$(held_charges alice)"
expect_eq "no charge after the cut" "$((want * EACH)) $want" "$sum $n"

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
