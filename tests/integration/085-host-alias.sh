#!/bin/bash
# 085-host-alias.sh - one host, one row (issue 20, item 5).  Another
# spelling of an opened host (IPv4-mapped, upper-case hex, a zero group
# written out) is the same host: the daemon deletes the alias row with
# its reason and never touches the first row's firewall element or
# conntrack entries, and nobody is charged for the first row's traffic
# through it.  Addresses that are no LAN host are refused: outside the
# LAN interface's networks, its IPv4 network and broadcast addresses, the
# IPv6 subnet-router anycast address, the gateway's own addresses.  The
# tools refuse a second row for an opened host in any spelling.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
. "$TQ_ROOT/tests/lib/tools.sh"
tq_init tqd-host-alias

tq_require "lab and database set up" tqd_setup
START=100000
R="INSERT INTO masq (host, name, tic, open, free, gateway) VALUES"
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', $START),
	('bob', $START), ('carol', $START);
	INSERT INTO allowed (name) VALUES ('alice'), ('bob'), ('carol');
	$R ('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1'),
	('$LAB_LAN6', 'alice', 1000, 2, 0, 'gw1')"
tqd_write
TOOLS_CONF=$TQD_DIR/tcpquota.conf
tq_require "daemon starts" tqd_start

rows_of() {
	mdb_sql "SELECT host, open FROM masq WHERE name = '$1' ORDER BY host" |
		tr '\t\n' '  ' | sed 's/ $//'
}
alice_open() { [ "$(rows_of alice)" = "$LAB_LAN4 1 $LAB_LAN6 1" ]; }
tq_require "alice's two hosts opened" wait_for 10 alice_open
logged() {
	grep -qF -- "info: deleted masq row $1 of $2 ($3)" "$TQD_LOG"
}
gone() { [ -z "$(mdb_sql "SELECT host FROM masq WHERE host = '$1'")" ]; }
quota() { mdb_sql "SELECT quota FROM tcptab WHERE name = '$1'"; }
dots() { tr -cd . <"$1" | wc -c; }
talking() { [ "$(dots "$1")" -ge "$2" ]; }
# The ids of the gateway's conntrack entries of connections to the
# server's port: a deleted entry comes back (a packet in mid-stream) with
# a new id.
ct_ids() {
	lab_gw conntrack -L -p tcp --dport "$LAB_PORT" -o id 2>/dev/null |
		grep -o 'id=[0-9]*' | sort | tr '\n' ' '
}

# alice's host talks over IPv4 and IPv6 for the whole test; a talker
# exits at once if its connection stalls for 3 s or is reset.
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 100 3000
T4=$TQD_TALK T4OUT=$TQD_TALK_OUT
tqd_talk "$LAB_LAN" "$LAB_SRV6" "$LAB_PORT" 100 3000
T6=$TQD_TALK T6OUT=$TQD_TALK_OUT
tq_require "alice talks over IPv4" wait_for 10 talking "$T4OUT" 3
tq_require "alice talks over IPv6" wait_for 10 talking "$T6OUT" 3
CT=$(ct_ids)
expect_eq "two conntrack entries, alice's connections" 2 "$(wc -w <<<"$CT")"

# --- bob's rows name alice's hosts in other spellings: requests, and
# rows claiming to be open whose heartbeat runs out at the next poll
# (198.18.1.10 is ::ffff:c612:10a).
mdb_sql "$R ('::ffff:$LAB_LAN4', 'bob', 1000, 2, 0, 'gw1'),
	('::FFFF:C612:10A', 'bob', 1, 1, 0, 'gw1'),
	('2001:db8:1:0::10', 'bob', 1000, 2, 0, 'gw1'),
	('2001:DB8:1::10', 'bob', 1, 1, 0, 'gw1')"
bob_gone() { [ -z "$(rows_of bob)" ]; }
check "bob's alias rows deleted" wait_for 5 bob_gone
n4=$(dots "$T4OUT")
n6=$(dots "$T6OUT")
tqd_wait_polls 3
for h in "::ffff:$LAB_LAN4" ::FFFF:C612:10A; do
	check "logged: $h of bob deleted, alice holds the host" logged "$h" \
		bob "host $LAB_LAN4 is already opened by alice"
done
for h in 2001:db8:1:0::10 2001:DB8:1::10; do
	check "logged: $h of bob deleted, alice holds the host" logged "$h" \
		bob "host $LAB_LAN6 is already opened by alice"
done
expect_eq "alice's rows untouched" "$LAB_LAN4 1 $LAB_LAN6 1" "$(rows_of alice)"
expect_eq "alice's hosts still in the firewall" \
	"$(printf '%s\n' "$LAB_LAN4" "$LAB_LAN6" | sort)" "$(tqd_set)"
check_not "alice's hosts never closed" \
	grep -qE "info: closed ($LAB_LAN4|$LAB_LAN6)( |:)" "$TQD_LOG"
check_not "nothing opened for bob" grep -qF " for bob (" "$TQD_LOG"
check "alice's IPv4 connection alive (conntrack entries kept)" \
	tqd_alive "$T4"
check "alice's IPv6 connection alive (conntrack entries kept)" \
	tqd_alive "$T6"
check "... and still carrying data (IPv4)" talking "$T4OUT" $((n4 + 10))
check "... and still carrying data (IPv6)" talking "$T6OUT" $((n6 + 10))
expect_eq "alice's conntrack entries are the same ones" "$CT" "$(ct_ids)"
expect_eq "bob never charged" "$START" "$(quota bob)"
check "alice charged for her traffic" [ "$(quota alice)" -lt "$START" ]

# --- addresses that are no LAN host
mdb_sql "$R ('198.18.1.20', 'carol', 1000, 2, 0, 'gw1'),
	('$LAB_SRV4', 'carol', 1000, 2, 0, 'gw1'),
	('$LAB_SRV6', 'carol', 1000, 2, 0, 'gw1'),
	('198.18.1.0', 'carol', 1000, 2, 0, 'gw1'),
	('198.18.1.255', 'carol', 1000, 2, 0, 'gw1'),
	('2001:db8:1::', 'carol', 1000, 2, 0, 'gw1'),
	('$LAB_GW_LAN4', 'carol', 1000, 2, 0, 'gw1'),
	('$LAB_GW_LAN6', 'carol', 1000, 2, 0, 'gw1'),
	('$LAB_GW_WAN4', 'carol', 1000, 2, 0, 'gw1')"
check "the LAN host beside them opened" \
	tqd_wait_ms 3000 tqd_open_is 198.18.1.20 1
tqd_wait_polls 2
NETS="198.18.1.0/24, 2001:db8:1::/64"
while read -r h why; do
	check "$h refused: row deleted" gone "$h"
	check_not "$h never in a set" tqd_has_host "$h"
	check "logged: $h deleted ($why)" logged "$h" carol "$why"
done <<EOF
$LAB_SRV4 outside the LAN's networks ($NETS)
$LAB_SRV6 outside the LAN's networks ($NETS)
198.18.1.0 the network address of 198.18.1.0/24
198.18.1.255 the broadcast address of 198.18.1.0/24
2001:db8:1:: the subnet-router anycast address of 2001:db8:1::/64
$LAB_GW_LAN4 an address of the gateway itself
$LAB_GW_LAN6 an address of the gateway itself
$LAB_GW_WAN4 an address of the gateway itself
EOF
expect_eq "every address ever opened is a LAN host" \
	"$(printf '%s\n' 198.18.1.20 "$LAB_LAN4" "$LAB_LAN6" | sort)" \
	"$(sed -n 's/.* info: opened \([^ ]*\) for .*/\1/p' "$TQD_LOG" | sort -u)"

# --- the tools: canonical rows, and one row per host in any spelling
mdb_sql "$R ('2001:DB8:1::21', 'carol', 1000, 2, 0, 'gw1')"
check "a hand-written upper-case row is one host: opened" \
	tqd_wait_ms 3000 tqd_open_is 2001:DB8:1::21 1
run oh --user bob --host "::ffff:$LAB_LAN4" </dev/null
expect_eq "openhost: a mapped spelling of alice's host" \
	"1 openhost: $LAB_LAN4 is already opened by alice" "$RC $OUT"
run oh --user bob --host 2001:db8:1::21 </dev/null
expect_eq "openhost: carol's host written in upper case" \
	"1 openhost: 2001:db8:1::21 is already opened by carol (as 2001:DB8:1::21)" \
	"$RC $OUT"
run fw adm 2001:DB8:1:0::10 </dev/null
expect_eq "openfw adm: alice's IPv6 host in another spelling" \
	"1 $LAB_LAN6: already opened by alice (paid)" "$RC $OUT"
run oh --user bob --host "$LAB_SRV4" </dev/null
expect_eq "openhost: an address outside the LAN is refused by the daemon" \
	"1 openhost: the daemon refused to open $LAB_SRV4" "$RC $OUT"
expect_eq "no row of bob written or left" "" "$(rows_of bob)"
expect_eq "nor any other spelling of an opened host" 0 \
	"$(mdb_sql "SELECT COUNT(*) FROM masq WHERE name <> 'alice' AND
		host IN ('$LAB_LAN4', '$LAB_LAN6', '2001:db8:1::21')")"
expect_eq "alice's hosts still in the firewall" \
	"$(printf '%s\n' 198.18.1.20 2001:db8:1::21 "$LAB_LAN4" "$LAB_LAN6" |
	   sort)" "$(tqd_set)"
check "alice's connections still alive" tqd_alive "$T4"
check "... both" tqd_alive "$T6"
expect_eq "... the same conntrack entries" "$CT" "$(ct_ids)"
expect_eq "bob still never charged" "$START" "$(quota bob)"

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
