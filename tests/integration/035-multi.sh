#!/bin/bash
# 035-multi.sh - two daemons (gateway ids gw1 and gw2, two gateway
# namespaces) on one database keep their masq rows apart.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-multi

tq_require "lab and database set up" tqd_setup
# A second gateway namespace with the same interface names (no LAN behind
# it: this daemon only manages its table and its rows).
GW2=tq-gw2-$LAB_ID
tq_require "second gateway namespace" _lab_ns "$GW2"
ip -n "$GW2" link add lan0 type dummy
ip -n "$GW2" link add wan0 type dummy
ip -n "$GW2" link set lan0 up
ip -n "$GW2" link set wan0 up

mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000),
	('bob', 100000);
	INSERT INTO allowed (name) VALUES ('alice'), ('bob');
	INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1'),
	('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw2'),
	('198.18.1.11', 'bob', 1000, 2, 0, 'gw2')"
# Poll ids recorded 8 and 30 days ago (older than the 7 days kept) and 6
# days ago, of both gateways and of a third without a daemon here.
mdb_sql "INSERT INTO poll_applied (gateway, id, applied_at) VALUES
	('gw1', 1, NOW() - INTERVAL 30 DAY), ('gw1', 2, NOW() - INTERVAL 8 DAY),
	('gw1', 3, NOW() - INTERVAL 6 DAY), ('gw2', 1, NOW() - INTERVAL 9 DAY),
	('gw3', 1, NOW() - INTERVAL 30 DAY)"

tqd_write
tq_require "gw1 daemon starts" tqd_start
PID1=$TQD_PID
LOG1=$TQD_LOG
mkdir -p "$TQ_TMP/gw2"
TQD_DIR=$TQ_TMP/gw2 TQD_GATEWAY=gw2 tqd_write
tq_require "gw2 daemon starts" tqd_start "$GW2" "$TQ_TMP/gw2/tcpquota.conf"
PID2=$TQD_PID
LOG2=$TQD_LOG

check "gw1 acknowledged its row" tqd_wait_ms 2000 tqd_open_is "$LAB_LAN4" 1 gw1
check "gw2 acknowledged its rows" \
	tqd_wait_ms 2000 tqd_open_is 198.18.1.11 1 gw2
check "gw2 acknowledged its copy of the shared host" \
	tqd_open_is "$LAB_LAN4" 1 gw2
expect_eq "gw1's firewall holds only gw1's host" "$LAB_LAN4" "$(tqd_set)"

# Each daemon forgets its own poll ids older than 7 days (journal empty).
check "gw1 logs the ids it forgot" \
	tqd_wait_log "forgot 2 poll ids older than 7 days" 5 "$LOG1"
check "gw2 logs the id it forgot" \
	tqd_wait_log "forgot 1 poll id older than 7 days" 5 "$LOG2"
expect_eq "old poll ids pruned per gateway, recent and foreign kept" \
	"gw1 3 gw3 1" "$(mdb_sql "SELECT gateway, id FROM poll_applied
	WHERE id < 100 ORDER BY gateway, id" | tr '\t\n' '  ' | sed 's/ $//')"
expect_eq "gw2's firewall holds gw2's hosts" \
	"$(printf '%s\n' "$LAB_LAN4" 198.18.1.11)" "$(tqd_set "$GW2")"

# A close request on gw2 leaves gw1's row of the same host alone.
mdb_sql "UPDATE masq SET open = 3 WHERE host = '$LAB_LAN4' AND gateway = 'gw2'"
check "gw2 closed its row" tqd_wait_ms 2000 tqd_open_is "$LAB_LAN4" 0 gw2
tqd_wait_polls 2 "$LOG1"
check "gw1's row of that host still open" tqd_open_is "$LAB_LAN4" 1 gw1
check "gw1's firewall still has the host" tqd_has_host "$LAB_LAN4"
check_not "gw2's firewall dropped it" tqd_has_host "$LAB_LAN4" "$GW2"
expect_eq "the host still reaches the server through gw1" "$LAB_GW_WAN4" \
	"$(lab_try "$LAB_LAN" "$LAB_SRV4")"

# Heartbeats: each daemon decrements only its own rows.
tic() {
	mdb_sql "SELECT tic FROM masq WHERE host = '$1' AND gateway = '$2'"
}
kill -STOP "$PID2"
a0=$(tic "$LAB_LAN4" gw1)
b0=$(tic 198.18.1.11 gw2)
tqd_wait_polls 3 "$LOG1"
a1=$(tic "$LAB_LAN4" gw1)
b1=$(tic 198.18.1.11 gw2)
kill -CONT "$PID2"
check "gw1 ticks its row ($a0 -> $a1)" [ "$a1" -lt "$a0" ]
expect_eq "gw1 leaves gw2's row alone" "$b0" "$b1"

# SIGTERM to gw1 empties only gw1's rows.
tqd_stop "$PID1"
expect_eq "gw1 exits 0" 0 "$TQD_RC"
expect_eq "gw1's rows gone" 0 \
	"$(mdb_sql "SELECT COUNT(*) FROM masq WHERE gateway = 'gw1'")"
expect_eq "gw2's rows kept" "$(printf '%s\n' "$LAB_LAN4	0" "198.18.1.11	1")" \
	"$(mdb_sql "SELECT host, open FROM masq WHERE gateway = 'gw2' ORDER BY host")"
tqd_wait_polls 2 "$LOG2"
expect_eq "gw2's firewall unchanged" 198.18.1.11 "$(tqd_set "$GW2")"
check "gw2 still running" tqd_alive "$PID2"
tqd_stop "$PID2"
expect_eq "gw2 exits 0" 0 "$TQD_RC"
tq_done
