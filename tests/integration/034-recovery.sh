#!/bin/bash
# 034-recovery.sh - start-up reconciliation, a flushed or altered ruleset,
# a flushed host set and a foreign element (both modes), SIGKILL and
# restart, a database outage with debits held in the journal and applied
# exactly once.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-recovery

tq_require "lab and database set up" tqd_setup
lab_add_lan BOB 198.18.1.11 2001:db8:1::11
lab_add_lan CAROL 198.18.1.12 2001:db8:1::12
lab_add_lan DAVE 198.18.1.13 2001:db8:1::13
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000),
	('bob', 100000), ('carol', 100000), ('dave', 100000);
	INSERT INTO allowed (name) VALUES ('alice'), ('bob'), ('carol'),
	('dave');
	INSERT INTO periodtab (quota) VALUES (0);
	INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$LAB_LAN4', 'alice', 1000, 1, 0, 'gw1'),
	('198.18.1.11', 'bob', 0, 1, 0, 'gw1'),
	('198.18.1.12', 'carol', 1000, 2, 0, 'gw1')"
tqd_write

db_open_hosts() {
	mdb_sql "SELECT host FROM masq WHERE gateway = 'gw1' AND open = 1" |
		sort
}
fw_matches_db() {
	[ "$(tqd_set)" = "$(db_open_hosts)" ]
}

# --- start: open rows with a live heartbeat come back, expired ones go
tq_require "daemon starts" tqd_start
tqd_wait_polls 1
expect_eq "after the first poll: firewall = open rows" \
	"$(printf '%s\n' "$LAB_LAN4" 198.18.1.12)" "$(tqd_set)"
expect_eq "expired open row (tic 0) deleted at start" "" \
	"$(mdb_sql "SELECT host FROM masq WHERE host = '198.18.1.11'")"
expect_eq "reopened host reaches the server" "$LAB_GW_WAN4" \
	"$(lab_try "$LAB_LAN" "$LAB_SRV4")"
check_not "expired host shut out" lab_try "$LAB_NS_BOB" "$LAB_SRV4"

# --- someone flushes the whole ruleset: back within one poll
lab_gw nft flush ruleset
table_listed() { lab_gw nft list table inet tcpquota >/dev/null 2>&1; }
check "table rebuilt within one poll" tqd_wait_ms 2000 table_listed
check "same hosts after the rebuild" wait_for 2 fw_matches_db
check "rebuild logged" tqd_wait_log "missing or altered, rebuilding" 2
expect_eq "reopened host reaches the server after the rebuild" \
	"$LAB_GW_WAN4" "$(lab_try "$LAB_LAN" "$LAB_SRV4")"

# --- someone alters the table (flushes our forward chain)
lab_gw nft flush chain inet tcpquota forward
has_rules() {
	lab_gw nft list chain inet tcpquota forward | grep -q 'accept\|drop'
}
check "altered table rebuilt within one poll" tqd_wait_ms 2000 has_rules
check "same hosts after that rebuild" wait_for 2 fw_matches_db
check_not "closed host still shut out after the rebuild" \
	lab_try "$LAB_NS_BOB" "$LAB_SRV4"

# --- someone flushes set hosts4: the table's shape is intact, only the
# elements tell; the open hosts are put back within one poll
unstamp() { sed 's/^[-0-9]* [:.0-9]* tcpquotad\[[0-9]*\] //' "$TQD_LOG"; }
set_lines() { unstamp | grep '^warning: firewall: set ' || true; }
nrebuild=$(grep -c 'missing or altered, rebuilding' "$TQD_LOG")
lab_gw nft flush set inet tcpquota hosts4
check "flushed hosts put back within one poll" tqd_wait_ms 2000 fw_matches_db
expect_eq "set hosts4 holds exactly the open hosts" \
	"$(printf '%s\n' "$LAB_LAN4" 198.18.1.12)" "$(tqd_set)"
expect_eq "each put-back host logged" \
	"warning: firewall: set hosts4: $LAB_LAN4 of alice missing: put back
warning: firewall: set hosts4: 198.18.1.12 of carol missing: put back" \
	"$(set_lines)"
expect_eq "no table rebuild for it" "$nrebuild" \
	"$(grep -c 'missing or altered, rebuilding' "$TQD_LOG")"
expect_eq "the rows still say open" "$(printf '1\n1')" \
	"$(mdb_sql "SELECT open FROM masq WHERE gateway = 'gw1' ORDER BY host")"
expect_eq "put-back host reaches the server" "$LAB_GW_WAN4" \
	"$(lab_try "$LAB_LAN" "$LAB_SRV4")"

# --- someone adds an element no row names (bob's row is gone): while the
# daemon is stopped it lets bob out; within one poll of waking it is
# removed, with bob's conntrack entries
bob_cts() { lab_gw conntrack -L -s 198.18.1.11 2>/dev/null | grep -c . || true; }
kill -STOP "$TQD_PID"
lab_gw nft add element inet tcpquota hosts4 '{ 198.18.1.11 }'
expect_eq "the foreign element lets bob out" "$LAB_GW_WAN4" \
	"$(lab_try "$LAB_NS_BOB" "$LAB_SRV4")"
tqd_talk "$LAB_NS_BOB" "$LAB_SRV4" "$LAB_PORT" 200 100000
B_TALK=$TQD_TALK
bob_has_cts() { [ "$(bob_cts)" -ge 1 ]; }
check "bob has a conntrack entry" wait_for 3 bob_has_cts
kill -CONT "$TQD_PID"
bob_out() { ! tqd_has_host 198.18.1.11; }
check "foreign element removed within one poll" tqd_wait_ms 2000 bob_out
expect_eq "set hosts4 holds exactly the open hosts again" \
	"$(printf '%s\n' "$LAB_LAN4" 198.18.1.12)" "$(tqd_set)"
expect_eq "its removal logged" \
	"warning: firewall: set hosts4: 198.18.1.11 is no host the daemon opened: removed" \
	"$(set_lines | sed -n 3,\$p)"
bob_no_cts() { [ "$(bob_cts)" -eq 0 ]; }
check "bob's conntrack entries deleted" wait_for 2 bob_no_cts
kill "$B_TALK"
wait "$B_TALK" 2>/dev/null
check_not "bob shut out again" lab_try "$LAB_NS_BOB" "$LAB_SRV4"
expect_eq "no row made up for bob" 0 \
	"$(mdb_sql "SELECT COUNT(*) FROM masq WHERE host = '198.18.1.11'")"
check "open hosts unaffected" fw_matches_db

# --- SIGKILL; the database changes meanwhile; restart repairs the state
kill -KILL "$TQD_PID"
wait "$TQD_PID" 2>/dev/null
mdb_sql "UPDATE masq SET tic = 0 WHERE host = '$LAB_LAN4';
	INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('198.18.1.13', 'dave', 1000, 1, 0, 'gw1')"
tqd_start || { fail "daemon restarts after SIGKILL (stale pid file)"; }
tqd_wait_polls 1
expect_eq "after restart: firewall = open rows of the database" \
	"$(printf '%s\n' 198.18.1.12 198.18.1.13)" "$(tqd_set)"
check "... and the database agrees" fw_matches_db
check_not "host whose row expired is shut out" \
	lab_try "$LAB_LAN" "$LAB_SRV4"
expect_eq "host opened while the daemon was dead reaches the server" \
	"$LAB_GW_WAN4" "$(lab_try "$LAB_NS_DAVE" "$LAB_SRV4")"

# --- database outage: firewall kept, debits journalled, applied once
snap() {
	tqd_q "SELECT (SELECT quota FROM tcptab WHERE name = 'carol'),
		(SELECT quota FROM periodtab ORDER BY id DESC LIMIT 1)"
}
charged() { grep -c 'charged carol ' "$TQD_LOG" || true; }
tqd_wait_polls 2
read -r q0 t0 <<<"$(snap)"
n0=$(charged)
tqd_talk "$LAB_NS_CAROL" "$LAB_SRV4" "$LAB_PORT" 200 100000
C_TALK=$TQD_TALK
tqd_wait_polls 2
mdb_kill
check "outage logged" tqd_wait_log "database unavailable" 5
tqd_wait_polls 3
check "daemon alive during the outage" tqd_alive "$TQD_PID"
check "firewall kept during the outage" tqd_has_host 198.18.1.12
check "connection flows during the outage" tqd_alive "$C_TALK"
check "journal holds the polls" [ -s "$TQD_DIR/journal/journal" ]
mdb_restart
check "held polls applied when the database returns" \
	tqd_wait_log "journal: applied held poll" 15
tqd_wait_polls 2
kill "$C_TALK"
wait "$C_TALK" 2>/dev/null
tqd_wait_polls 3
read -r q1 t1 <<<"$(snap)"
n1=$(charged)
check "carol charged during the outage too ($((n1 - n0)) polls)" \
	[ $((n1 - n0)) -ge 6 ]
expect_eq "every charged poll applied exactly once" \
	$((3 * (n1 - n0))) $((q0 - q1))
expect_eq "period total matches" $((q0 - q1)) $((t1 - t0))
check "firewall still matches the database" fw_matches_db

# --- the same repair reading the whole conntrack table every poll
TQD_RESYNC=0 tqd_write
n0=$(grep -c 'configuration reloaded' "$TQD_LOG")
kill -HUP "$TQD_PID"
reloaded() { [ "$(grep -c 'configuration reloaded' "$TQD_LOG")" -gt "$n0" ]; }
check "reload to conntrack_resync = 0" wait_for 5 reloaded
tqd_wait_polls 1
# One transaction: a poll between two commands would log the missing
# elements and the foreign one in two polls, in another order.
lab_gw nft 'flush set inet tcpquota hosts4;
	add element inet tcpquota hosts4 { 198.18.1.11 }'
check "conntrack_resync = 0: repaired within one poll" \
	tqd_wait_ms 2000 fw_matches_db
expect_eq "conntrack_resync = 0: exact set contents" \
	"$(printf '%s\n' 198.18.1.12 198.18.1.13)" "$(tqd_set)"
expect_eq "conntrack_resync = 0: repair logged" \
	"warning: firewall: set hosts4: 198.18.1.11 is no host the daemon opened: removed
warning: firewall: set hosts4: 198.18.1.12 of carol missing: put back
warning: firewall: set hosts4: 198.18.1.13 of dave missing: put back" \
	"$(set_lines | sed -n 4,\$p)"

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
