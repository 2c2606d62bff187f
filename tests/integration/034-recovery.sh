#!/bin/bash
# 034-recovery.sh - start-up reconciliation, a flushed or altered ruleset,
# SIGKILL and restart, a database outage with debits held in the journal
# and applied exactly once.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-recovery

if ! tqd_setup; then
	fail "lab and database set up"
	tq_done
	exit 1
fi
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
tqd_start || { fail "daemon starts"; tq_done; exit 1; }
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

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
