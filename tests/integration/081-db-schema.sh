#!/bin/bash
# 081-db-schema.sh - schema damage while alice's host talks: periodtab
# dropped (under LOCK TABLES, its last total read first) and recreated
# empty after POLLS polls; then tcptab renamed away and back after POLLS
# polls.  A missing table is no refusal of a poll's data:
#   - said once as schema damage naming the table, never as "database
#     unavailable", and said over when it is back
#   - the polls meanwhile are held (journal), none set aside
#     (journal.rejected never appears), and applied once each when the
#     table is back: every held id in poll_applied exactly once
#   - alice's balance = start - the logged charges and the period totals
#     (the old table's last total + the new table's) = start + the same
#     charges, exactly.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
. "$TQ_ROOT/tests/lib/held.sh"
tq_init tqd-db-schema

POLLS=5
setup() {
	tqd_setup || return 1
	mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000);
		INSERT INTO allowed (name) VALUES ('alice');
		INSERT INTO periodtab (quota) VALUES (0);
		INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
		('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1')" || return 1
	tqd_write && tqd_start
}
tq_require "lab, database and daemon set up" setup
JOURNAL=$TQD_DIR/journal/journal
check "alice's host opened" tqd_wait_ms 3000 tqd_open_is "$LAB_LAN4" 1

quota() { mdb_sql "SELECT quota FROM tcptab WHERE name = 'alice'"; }
period() { mdb_sql "SELECT quota FROM periodtab ORDER BY id DESC LIMIT 1"; }
# damage WHAT FROM: the checks while the table is away (log from FROM)
damaged() {
	local what=$1 from=$2
	check "$what: said as schema damage" wait_for 5 held_count_ge \
		"warning: database: schema: .*$what" 1 "$from"
	check "$what: polls go on ($POLLS)" tqd_wait_polls "$POLLS"
	check "$what: polls held in the journal" \
		[ "$(held_ids "$from" | wc -l)" -ge $((POLLS - 1)) ]
	expect_eq "$what: said once, not every poll" 1 \
		"$(held_count "warning: database: schema: " "$from")"
	expect_eq "$what: no 'database unavailable'" 0 \
		"$(held_count 'database unavailable' "$from")"
	expect_eq "$what: nothing set aside" no \
		"$(test -e "$JOURNAL.rejected" && echo yes || echo no)"
	check "$what: the host stays open" tqd_has_host "$LAB_LAN4"
}
# repaired WHAT SINCE FROM: the checks once it is back (the polls held
# from line SINCE on, the log from FROM)
repaired() {
	local what=$1 from=$3 ids
	ids=$(held_ids "$2")
	check "$what: polls were held" [ -n "$ids" ]
	check "$what: said over" wait_for 10 held_count_ge \
		'database: schema problem over' 1 "$from"
	check "$what: held polls applied" wait_for 10 held_journal_empty
	# shellcheck disable=SC2086
	check "$what: every held poll in poll_applied once ($(echo $ids | wc -w) polls)" \
		held_in_db $ids
	expect_eq "$what: nothing set aside" no \
		"$(test -e "$JOURNAL.rejected" && echo yes || echo no)"
}

tqd_wait_polls 2
q0=$(quota)
t0=$(period)
expect_eq "nothing charged before the traffic" "0 0" "$(held_charges alice)"
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 200 100000
A_TALK=$TQD_TALK
check "alice charged" wait_for 10 held_count_ge ' debug: charged alice ' 2

# --- periodtab dropped, recreated empty
mdb_sql "CREATE TABLE periodtab_def LIKE periodtab"
l1=$(held_lines)
t_old=$(mdb_sql "LOCK TABLES periodtab WRITE;
	SELECT quota FROM periodtab ORDER BY id DESC LIMIT 1;
	DROP TABLE periodtab; UNLOCK TABLES;")
damaged periodtab "$l1"
l2=$(held_lines)
mdb_sql "CREATE TABLE periodtab LIKE periodtab_def; DROP TABLE periodtab_def"
repaired periodtab "$l1" "$l2"
check "alice charged again at once" wait_for 5 held_count_ge \
	' debug: charged alice ' 1 "$(held_lines)"

# --- tcptab renamed away and back
l3=$(held_lines)
mdb_sql "RENAME TABLE tcptab TO tcptab_away"
damaged tcptab "$l3"
l4=$(held_lines)
mdb_sql "RENAME TABLE tcptab_away TO tcptab"
repaired tcptab "$l3" "$l4"

kill "$A_TALK" 2>/dev/null
wait "$A_TALK" 2>/dev/null
tqd_wait_polls 3
check "journal empty" held_journal_empty
read -r sum n <<<"$(held_charges alice)"
check "alice charged in $n periods" [ "$n" -ge $((3 * POLLS)) ]
expect_eq "balance = start - the logged charges, exactly" $((q0 - sum)) \
	"$(quota)"
expect_eq "old period total + new period total = start + the charges" \
	$((t0 + sum)) $((t_old + $(period)))
expect_eq "no journal.rejected" no \
	"$(test -e "$JOURNAL.rejected" && echo yes || echo no)"

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
