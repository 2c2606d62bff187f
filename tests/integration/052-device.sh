#!/bin/bash
# 052-device.sh - a device is its MAC with all its addresses (issue 16),
# with the real daemon.  A masq row that carries the mac of a dual-stack
# LAN host (as the portal writes it; openhost where it knows the MAC):
#   - opened once, the host reaches the server over IPv4 (masqueraded)
#     and IPv6: the daemon opened the IPv6 address the gateway's
#     neighbour table shows for that MAC, in the same request pass;
#   - its traffic over both families is charged once a poll, to the one
#     row and user;
#   - a new (privacy) IPv6 address of the same MAC that appears after the
#     open is opened within two polls, and works;
#   - without bind_mac an address the table shows at another MAC now
#     (another machine) is closed with a line saying so;
#   - closed, none of its addresses works any more;
#   - with network.bind_mac every address is bound to the device's MAC.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-device

tq_require "lab and database set up" tqd_setup
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 1000000);
	INSERT INTO allowed (name) VALUES ('alice');"
MAC=$(lab_mac "$LAB_LAN")
NEW6=2001:db8:1::abcd
SEEN6="[2001:0db8:0001:0000:0000:0000:0000:0010]"
SEEN_NEW6="[2001:0db8:0001:0000:0000:0000:0000:abcd]"
OTHER_MAC=02:00:00:00:00:99

# neigh ADDR: the MAC the gateway's neighbour table has for ADDR.
neigh() {
	ip -n "$LAB_GW" neigh show "$1" dev lan0 |
		sed -n 's/.* lladdr \([0-9a-f:]*\).*/\1/p'
}
# elems SET: its elements without counters, sorted, on one line.
elems() {
	lab_gw nft list set inet tcpquota "$1" 2>/dev/null | tr '\n' ' ' |
		sed -n 's/.*elements = {\([^}]*\)}.*/\1/p' | tr ',' '\n' |
		sed 's/ counter .*//; s/^[[:space:]]*//; s/[[:space:]]*$//' |
		awk 'NF' | sort | paste -sd ' ' -
}
# try6 SRC: connect to the server over IPv6 from SRC (an address of the
# LAN host); print the peer address the server saw.
try6() {
	printf 'x\n' | timeout 4 ip netns exec "$LAB_LAN" socat -T2 - \
		"TCP6:[$LAB_SRV6]:$LAB_PORT,bind=[$1],connect-timeout=2" \
		2>/dev/null | head -n 1
}
tries() {
	echo "$(lab_try "$LAB_LAN" "$LAB_SRV4" || echo -)" \
		"$(lab_try "$LAB_LAN" "$LAB_SRV6" || echo -)"
}
# open_device: alice's row for the host's IPv4 address, with its mac.
open_device() {
	mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway, mac)
		VALUES ('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1', '$MAC')"
	tqd_poke
	tqd_wait_ms 3000 tqd_open_is "$LAB_LAN4" 1
}
close_device() {
	mdb_sql "UPDATE masq SET open = 3 WHERE host = '$LAB_LAN4'"
	tqd_poke
	tqd_wait_ms 3000 tqd_open_is "$LAB_LAN4" 0
}

# The host talks IPv4 and IPv6 on the LAN before it is opened (a
# connection the gateway itself refuses): the gateway's neighbour table
# knows both its addresses.
lab_lan socat -u /dev/null "TCP4:$LAB_GW_LAN4:9,connect-timeout=1" 2>/dev/null
lab_lan socat -u /dev/null "TCP6:[$LAB_GW_LAN6]:9,connect-timeout=1" \
	2>/dev/null
known() { [ "$(neigh "$LAB_LAN4") $(neigh "$LAB_LAN6")" = "$MAC $MAC" ]; }
tq_require "the gateway's neighbour table knows both addresses" \
	wait_for 5 known

tqd_write
tq_require -l "$TQ_TMP/tcpquotad.log" "daemon starts" tqd_start
expect_eq "closed: neither family reaches the server" "- -" "$(tries)"

# ---- opened once, both families ----
check "the device's row is opened" open_device
expect_eq "one row for it" 1 "$(mdb_sql "SELECT COUNT(*) FROM masq")"
expect_eq "at the acknowledgement both its addresses are open" \
	"$LAB_LAN4|$LAB_LAN6" "$(elems hosts4)|$(elems hosts6)"
check "the IPv6 address was opened as the device's" tqd_wait_log \
	"opened $LAB_LAN6 for alice \\(device $MAC of $LAB_LAN4\\)" 1
expect_eq "it reaches the server over IPv4 (masqueraded) and IPv6" \
	"$LAB_GW_WAN4 $SEEN6" "$(tries)"

# ---- charged once a poll for both families ----
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 100
T4=$TQD_TALK
tqd_talk "$LAB_LAN" "$LAB_SRV6" "$LAB_PORT" 100
T6=$TQD_TALK
from=$(($(wc -l <"$TQD_LOG") + 1))
tqd_wait_polls 4
kill "$T4" "$T6" 2>/dev/null
wait "$T4" "$T6" 2>/dev/null
# rate 2, period 1, one user online: floor(1 * 2 / 1) + 1 = 3 a poll.
polls=$(tail -n +"$from" "$TQD_LOG" | grep -c 'poll: link up')
one=$(tail -n +"$from" "$TQD_LOG" |
	grep -c 'poll: link up, rate 2, 1 online, each 3, total 3,')
check "traffic on both families: the polls charged alice ($one of \
$polls)" [ "$one" -ge 2 ]
expect_eq "no poll counted more than one user or 3 s" 0 \
	"$(tail -n +"$from" "$TQD_LOG" | grep 'poll: link up' |
		grep -vc 'online, each 3, total 3,\| 0 online, each 0, total 0,')"
expect_eq "one charge line per charged poll" "$one" \
	"$(tail -n +"$from" "$TQD_LOG" | grep -c 'charged alice 3$')"
expect_eq "still one row" 1 "$(mdb_sql "SELECT COUNT(*) FROM masq")"

# ---- a privacy address appears after the open ----
ip -n "$LAB_LAN" addr add "$NEW6/64" dev eth0 nodad
# The gateway learns the new address as the device uses it on the LAN:
# here it resolves the gateway again from it (a neighbour solicitation
# with its link-layer address) and talks to the gateway itself (a
# connection the gateway refuses).
ip -n "$LAB_LAN" neigh flush dev eth0
lab_lan socat -u /dev/null \
	"TCP6:[$LAB_GW_LAN6]:9,bind=[$NEW6],connect-timeout=1" 2>/dev/null
learnt() { [ "$(neigh "$NEW6")" = "$MAC" ]; }
check "the gateway's neighbour table learnt $NEW6 at the device's MAC" \
	wait_for 5 learnt
p0=$(tqd_polls)
check "$NEW6 opened" wait_for 10 tqd_has_host "$NEW6"
p1=$(tqd_polls)
check "... within two polls ($((p1 - p0)))" [ $((p1 - p0)) -le 2 ]
check "... as the device's" tqd_wait_log \
	"opened $NEW6 for alice \\(device $MAC of $LAB_LAN4\\)" 1
expect_eq "... and it reaches the server" "$SEEN_NEW6" "$(try6 "$NEW6")"

# ---- another machine has one of its addresses now (no bind_mac) ----
ip -n "$LAB_GW" neigh replace "$NEW6" lladdr "$OTHER_MAC" dev lan0
check "an address now at another MAC is closed" wait_for 5 \
	bash -c "! ip netns exec $LAB_GW nft list set inet tcpquota hosts6 |
		grep -qw $NEW6"
check "... saying why" tqd_wait_log "closed $NEW6 of alice: the neighbour \
table shows it at $OTHER_MAC now, not at the device of $LAB_LAN4" 1
expect_eq "... the device's other addresses stay open" \
	"$LAB_LAN4|$LAB_LAN6" "$(elems hosts4)|$(elems hosts6)"
ip -n "$LAB_GW" neigh del "$NEW6" dev lan0

# ---- closed: none of its addresses works ----
check "the close request is answered" close_device
expect_eq "the sets are empty" "|" "$(elems hosts4)|$(elems hosts6)"
check "the IPv6 address was closed with it" tqd_wait_log \
	"closed $LAB_LAN6 of alice: its device closed with $LAB_LAN4" 1
expect_eq "neither family reaches the server" "- -" "$(tries)"
expect_eq "nor does the privacy address" "" "$(try6 "$NEW6")"
mdb_sql "DELETE FROM masq"
# (Linux prefers the newest address as a source: the rest uses the
# host's first one again.)
ip -n "$LAB_LAN" addr del "$NEW6/64" dev eth0
ip -n "$LAB_GW" neigh del "$NEW6" dev lan0 2>/dev/null

# ---- bind_mac: every address bound to the device's MAC ----
tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
TQD_BIND_MAC=true tqd_write
tq_require -l "$TQ_TMP/tcpquotad.log" "daemon starts with bind_mac" tqd_start
lab_lan socat -u /dev/null "TCP6:[$LAB_GW_LAN6]:9,connect-timeout=1" \
	2>/dev/null
check "the device's row is opened" open_device
expect_eq "both its addresses bound to its MAC" \
	"$LAB_LAN4 . $MAC|$LAB_LAN6 . $MAC" "$(elems hosts4)|$(elems hosts6)"
expect_eq "nothing unbound" "" \
	"$(elems hosts4_unbound)$(elems hosts6_unbound)"
expect_eq "it reaches the server over IPv4 and IPv6" "$LAB_GW_WAN4 $SEEN6" \
	"$(tries)"
check "closed" close_device
expect_eq "the sets are empty" "|" "$(elems hosts4)|$(elems hosts6)"
expect_eq "neither family reaches the server" "- -" "$(tries)"
tq_done
