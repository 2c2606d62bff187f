#!/bin/bash
# 054-portal-idle.sh - a device opened from the portal (masq.via =
# 'portal') stays open while it has traffic and is closed by the daemon
# after portal.idle_timeout seconds without any (issue 16); the shell
# user's heartbeat does not apply to it.  The rows are written as
# tcpquota-portal writes them; the portal itself is not needed.
# period 1, heartbeat_tics 3, portal.idle_timeout 10 (its minimum):
#   - traffic on the device's IPv6 address alone (an alias of its IPv4
#     row) keeps it open past 10 s and past its 3 tics; its tic is never
#     decremented, and the traffic is charged to the row;
#   - silence closes it within idle_timeout + 2 polls and not before
#     idle_timeout - 1 poll; the row is deleted, both addresses are out
#     of the sets, and the log says why;
#   - an openhost row (via NULL) without traffic lives by its heartbeat,
#     never by the idle timeout.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-portal-idle

IDLE=10
BOB4=198.18.1.20
tq_require "lab and database set up" tqd_setup
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 1000000),
	('bob', 1000000);
	INSERT INTO allowed (name) VALUES ('alice'), ('bob');"
MAC=$(lab_mac "$LAB_LAN")
{ TQD_HB=3 tqd_conf; echo "portal = { idle_timeout = $IDLE; };"; } \
	>"$TQD_DIR/tcpquota.conf"
tq_require -l "$TQ_TMP/tcpquotad.log" "daemon starts" tqd_start

# The device's IPv6 address is known to the gateway (a connection the
# gateway itself refuses), so it is opened with the device.
lab_lan socat -u /dev/null "TCP6:[$LAB_GW_LAN6]:9,connect-timeout=1" \
	2>/dev/null
nb6() { ip -n "$LAB_GW" neigh show "$LAB_LAN6" dev lan0 | grep -q lladdr; }
tq_require "the gateway knows the device's IPv6 address" wait_for 5 nb6

q() { mdb_sql "$1"; }
q "INSERT INTO masq (host, name, tic, open, free, gateway, mac, via) VALUES
	('$LAB_LAN4', 'alice', 3, 2, 0, 'gw1', '$MAC', 'portal'),
	('$BOB4', 'bob', 1000, 2, 0, 'gw1', NULL, NULL)"
tqd_poke
check "alice's portal row is opened" tqd_wait_ms 3000 tqd_open_is \
	"$LAB_LAN4" 1
check "bob's openhost row is opened" tqd_wait_ms 3000 tqd_open_is "$BOB4" 1
check "... with the device's IPv6 address" tqd_has_host "$LAB_LAN6"

# ---- traffic on the IPv6 address alone keeps the device open ----
tqd_talk "$LAB_LAN" "$LAB_SRV6" "$LAB_PORT" 200
TALK=$TQD_TALK
from=$(($(wc -l <"$TQD_LOG") + 1))
check "$((IDLE + 4)) polls pass" tqd_wait_polls $((IDLE + 4))
check "the device kept talking" tqd_alive "$TALK"
expect_eq "alice's row is open past $IDLE s and past its 3 tics, its tic \
untouched" "1 3" "$(q "SELECT open, tic FROM masq WHERE host = '$LAB_LAN4'" |
	tr '\t' ' ')"
both() { tqd_has_host "$LAB_LAN4" && tqd_has_host "$LAB_LAN6"; }
check "both its addresses are open" both
charged=$(tail -n +"$from" "$TQD_LOG" | grep -c 'charged alice ')
check "its IPv6 traffic is charged to alice's row ($charged polls)" \
	[ "$charged" -ge "$IDLE" ]
check "alice's row counts the polls charged" \
	[ "$(q "SELECT counter FROM masq WHERE host = '$LAB_LAN4'")" -ge "$IDLE" ]
expect_eq "no idle line while it talks" 0 \
	"$(tail -n +"$from" "$TQD_LOG" | grep -c 'no traffic for')"
check "bob's row (openhost) lives by its heartbeat: its tic went down" \
	[ "$(q "SELECT tic FROM masq WHERE host = '$BOB4'")" -lt 1000 ]

# ---- silence closes it ----
kill "$TALK" 2>/dev/null
wait "$TALK" 2>/dev/null
t0=$(tqd_ms)
gone() { [ -z "$(q "SELECT open FROM masq WHERE host = '$LAB_LAN4'")" ]; }
check "silent, alice's row is gone within idle_timeout + 2 polls" \
	tqd_wait_ms $(((IDLE + 2) * 1000)) gone
took=$TQD_MS
check "... and not before idle_timeout - 1 poll (took $took ms)" \
	[ "$took" -ge $(((IDLE - 1) * 1000)) ]
check "the log says why" tqd_wait_log "$LAB_LAN4 of alice: no traffic for \
$IDLE s \\(portal.idle_timeout $IDLE\\): closing" 1
check "... and that it closed it" tqd_wait_log \
	"closed $LAB_LAN4 of alice \\(idle timeout\\)" 1
check "... with its IPv6 address" tqd_wait_log \
	"closed $LAB_LAN6 of alice: its device closed with $LAB_LAN4" 1
check_not "its IPv4 address is out of the set" tqd_has_host "$LAB_LAN4"
check_not "its IPv6 address is out of the set" tqd_has_host "$LAB_LAN6"
check_not "it reaches the server over IPv4 no more" \
	lab_try "$LAB_LAN" "$LAB_SRV4"
check_not "nor over IPv6" lab_try "$LAB_LAN" "$LAB_SRV6"
expect_eq "bob's silent openhost row is still open" 1 \
	"$(q "SELECT open FROM masq WHERE host = '$BOB4'")"
expect_eq "no idle line for bob" 0 \
	"$(grep -c "$BOB4 of bob: no traffic" "$TQD_LOG")"
tq_done
