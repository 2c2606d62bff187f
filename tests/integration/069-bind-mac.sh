#!/bin/bash
# 069-bind-mac.sh - network.bind_mac end to end, with the real daemon:
# a host opened through a masq row is bound to the MAC address the gateway
# saw for it at open time.  An impostor on the same bridge with the same
# IPv4/IPv6 addresses and another MAC, up at the same time as the real
# host, gets nothing through the firewall; the real host keeps working as
# long as the gateway's neighbour entry for the address is the real one
# (the impostor's own ARP/ND can repoint it: a plain IP conflict, which the
# real host repairs by re-resolving the gateway; the daemon never follows
# the neighbour table after the open, across polls and a HUP).  A host the
# gateway has no neighbour entry for is opened unbound.  With bind_mac off
# the set holds plain addresses and the same impostor gets through.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-bind-mac

tq_require "lab and database set up" tqd_setup
EVIL_MAC=02:00:00:00:00:99
CAROL4=198.18.1.12
CAROL6=2001:db8:1::12
SEEN6="[2001:0db8:0001:0000:0000:0000:0000:0010]"
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 1000000),
	('carol', 1000000);
	INSERT INTO allowed (name) VALUES ('alice'), ('carol');"
MAC=$(lab_mac "$LAB_LAN")
# A bridge takes the lowest MAC address of its ports unless it has one
# set: pin it, so the static neighbour entries below stay right when more
# LAN hosts join.
GW_MAC=02:00:00:00:00:01
ip -n "$LAB_GW" link set lan0 address "$GW_MAC"

N() { lab_gw nft "$@"; }

# elems SET: its elements without counters, one a line.
elems() {
	N list set inet tcpquota "$1" 2>/dev/null | tr '\n' ' ' |
		sed -n 's/.*elements = {\([^}]*\)}.*/\1/p' | tr ',' '\n' |
		sed 's/ counter .*//; s/^ *//; s/ *$//' | awk 'NF'
}

# elem_pkts SET ADDR: the packet counter of ADDR's element.
elem_pkts() {
	N list set inet tcpquota "$1" | tr ',' '\n' | grep -w -- "$2" |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}

# drops: packets of the forward rule "hosts not opened".
drops() {
	N list chain inet tcpquota forward |
		sed -n 's/.*counter packets \([0-9]*\) .*hosts not opened.*/\1/p'
}

# neigh ADDR: the MAC address the gateway's neighbour table has for ADDR.
neigh() {
	ip -n "$LAB_GW" neigh show "$1" dev lan0 |
		sed -n 's/.* lladdr \([0-9a-f:]*\).*/\1/p'
}

# quiet NS: static neighbour entries for the gateway, so NS never sends
# an ARP request or neighbour solicitation (which would repoint the
# gateway's entry for its address to its MAC).
quiet() {
	ip -n "$1" neigh replace "$LAB_GW_LAN4" lladdr "$GW_MAC" \
		nud permanent dev eth0
	ip -n "$1" neigh replace "$LAB_GW_LAN6" lladdr "$GW_MAC" \
		nud permanent dev eth0
}

# announce NS: NS resolves the gateway again (ARP request, neighbour
# solicitation from its global addresses), which the gateway takes as
# the MAC of NS's addresses.  A connection refused by the gateway itself.
announce() {
	ip -n "$1" neigh del "$LAB_GW_LAN4" dev eth0 2>/dev/null
	ip -n "$1" neigh del "$LAB_GW_LAN6" dev eth0 2>/dev/null
	ip netns exec "$1" socat -u /dev/null \
		"TCP4:$LAB_GW_LAN4:9,connect-timeout=1" 2>/dev/null
	ip netns exec "$1" socat -u /dev/null \
		"TCP6:[$LAB_GW_LAN6]:9,connect-timeout=1" 2>/dev/null
	quiet "$1"
}

# udp NS N4 N6: N4 IPv4 and N6 IPv6 datagrams to the server's port 9.
udp() {
	local i
	for ((i = 0; i < $2; i++)); do
		printf x | ip netns exec "$1" socat -u - \
			"UDP4-SENDTO:$LAB_SRV4:9" 2>/dev/null
	done
	for ((i = 0; i < $3; i++)); do
		printf x | ip netns exec "$1" socat -u - \
			"UDP6-SENDTO:[$LAB_SRV6]:9" 2>/dev/null
	done
}

# tries NS: connect from NS over IPv4 and IPv6 at the same time; prints
# "v4-answer v6-answer" ("-" for a failure).
tries() {
	local a b
	lab_try "$1" "$LAB_SRV4" >"$TQ_TMP/try4" 2>&1 &
	a=$!
	lab_try "$1" "$LAB_SRV6" >"$TQ_TMP/try6" 2>&1 &
	b=$!
	wait "$a" || echo - >"$TQ_TMP/try4"
	wait "$b" || echo - >"$TQ_TMP/try6"
	echo "$(head -n 1 "$TQ_TMP/try4") $(head -n 1 "$TQ_TMP/try6")"
}

open_rows() {
	local h
	for h in "$@"; do
		mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway)
			VALUES ('$h', '${NAME:-alice}', 30, 2, 0, 'gw1')"
	done
	for h in "$@"; do
		tqd_wait_ms 3000 tqd_open_is "$h" 1 ||
			{ fail "open request for $h acknowledged"; return 1; }
	done
}

# ================= bind_mac = true =================
TQD_BIND_MAC=true tqd_write
tq_require "daemon starts" tqd_start
ok "daemon starts with bind_mac = true"

# The real host speaks to the gateway first (so the gateway has a
# neighbour entry for both its addresses), then its rows are opened.
announce "$LAB_LAN"
expect_eq "gateway's neighbour entries are the real host's" "$MAC $MAC" \
	"$(neigh "$LAB_LAN4") $(neigh "$LAB_LAN6")"
open_rows "$LAB_LAN4" "$LAB_LAN6" && ok "IPv4 and IPv6 rows opened"
expect_eq "hosts4 holds address . MAC of the real host" "$LAB_LAN4 . $MAC" \
	"$(elems hosts4)"
expect_eq "hosts6 holds address . MAC of the real host" "$LAB_LAN6 . $MAC" \
	"$(elems hosts6)"
expect_eq "nothing opened unbound" "" \
	"$(elems hosts4_unbound)$(elems hosts6_unbound)"
expect_eq "real host reaches the server (IPv4 masqueraded, IPv6 routed)" \
	"$LAB_GW_WAN4 $SEEN6" "$(tries "$LAB_LAN")"

# --- a quiet impostor: same addresses, another MAC, both hosts up
lab_add_lan EVIL "$LAB_LAN4" "$LAB_LAN6" "$EVIL_MAC"
EVIL=$LAB_NS_EVIL
quiet "$EVIL"
quiet "$LAB_LAN"
expect_eq "both hosts up with the same addresses" "UP UP" \
	"$(ip -n "$LAB_LAN" -br link show eth0 | awk '{ print $2 }') $(ip -n "$EVIL" -br link show eth0 | awk '{ print $2 }')"
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 100
TALK=$TQD_TALK
TALK_OUT=$TQD_TALK_OUT
expect_eq "impostor's connects fail (IPv4, IPv6)" "- -" "$(tries "$EVIL")"
expect_eq "meanwhile the real host connects (IPv4, IPv6)" \
	"$LAB_GW_WAN4 $SEEN6" "$(tries "$LAB_LAN")"
c0=$(wc -c <"$TALK_OUT")
talked() { [ "$(wc -c <"$TALK_OUT")" -gt "$c0" ]; }
wait_for 10 talked
c1=$(wc -c <"$TALK_OUT")
if tqd_alive "$TALK" && [ "$c1" -gt "$c0" ]; then
	ok "real host's running connection kept talking, no stall ($c0 -> $c1 bytes)"
else
	fail "real host's running connection kept talking ($c0 -> $c1 bytes): $(cat "$TALK_OUT")"
fi
kill "$TALK" 2>/dev/null
wait "$TALK" 2>/dev/null
# Exactly counted: 3 IPv4 + 2 IPv6 datagrams from the impostor.
d0=$(drops)
p4=$(elem_pkts hosts4 "$LAB_LAN4")
p6=$(elem_pkts hosts6 "$LAB_LAN6")
udp "$EVIL" 3 2
expect_eq "impostor's 5 datagrams dropped as not opened" 5 \
	$(($(drops) - d0))
expect_eq "real host's element counters unmoved by them" "0 0" \
	"$(($(elem_pkts hosts4 "$LAB_LAN4") - p4)) $(($(elem_pkts hosts6 "$LAB_LAN6") - p6))"
expect_eq "gateway's neighbour entries still the real host's" "$MAC $MAC" \
	"$(neigh "$LAB_LAN4") $(neigh "$LAB_LAN6")"

# --- the impostor announces itself: the gateway's neighbour entries now
# name its MAC (the kernel takes the sender of an ARP request or
# solicitation to it at its word).
announce "$EVIL"
expect_eq "impostor's ARP/ND repointed the gateway's neighbour entries" \
	"$EVIL_MAC $EVIL_MAC" "$(neigh "$LAB_LAN4") $(neigh "$LAB_LAN6")"
expect_eq "impostor's connects still fail (IPv4, IPv6)" "- -" \
	"$(tries "$EVIL")"
# IP conflict, not the firewall: the real host's packets pass, the
# answers go to the impostor's MAC.
expect_eq "real host cut off while the gateway's entry is the impostor's" \
	"- -" "$(tries "$LAB_LAN")"
tqd_wait_polls 2
expect_eq "after 2 polls the set still binds the real MAC" \
	"$LAB_LAN4 . $MAC|$LAB_LAN6 . $MAC" "$(elems hosts4)|$(elems hosts6)"
kill -HUP "$TQD_PID"
tqd_wait_log "configuration reloaded" 5
tqd_wait_polls 1
expect_eq "after a HUP the set still binds the real MAC" \
	"$LAB_LAN4 . $MAC|$LAB_LAN6 . $MAC" "$(elems hosts4)|$(elems hosts6)"
expect_eq "and nothing unbound" "" \
	"$(elems hosts4_unbound)$(elems hosts6_unbound)"
# A crash and restart while the impostor holds the neighbour entries: the
# rows are reopened (reconcile) with the bindings of the table the killed
# daemon left, not with what the neighbour table says now.
kill -KILL "$TQD_PID"
wait "$TQD_PID" 2>/dev/null
TQD_BIND_MAC=true tqd_write
tq_require "daemon restarts after SIGKILL" tqd_start
check "restarted daemon reopened the rows" tqd_wait_log \
	"reopened $LAB_LAN6 for alice" 2
check "it says it kept the old bindings" tqd_wait_log \
	"bind_mac: 2 hosts keep the binding of the table left running" 2
expect_eq "after SIGKILL and restart the set still binds the real MAC" \
	"$LAB_LAN4 . $MAC|$LAB_LAN6 . $MAC" "$(elems hosts4)|$(elems hosts6)"
# The real host re-resolves the gateway: entries repointed, works again.
announce "$LAB_LAN"
expect_eq "real host's ARP/ND took the neighbour entries back" \
	"$MAC $MAC" "$(neigh "$LAB_LAN4") $(neigh "$LAB_LAN6")"
expect_eq "real host works again (IPv4, IPv6)" "$LAB_GW_WAN4 $SEEN6" \
	"$(tries "$LAB_LAN")"
expect_eq "impostor still shut out (IPv4, IPv6)" "- -" "$(tries "$EVIL")"

# --- a host opened while the gateway has no neighbour entry for it:
# opened unbound (a warning), and stays so after its MAC is known.
lab_add_lan CAROL "$CAROL4" "$CAROL6"
lab_add_lan CAROLX "$CAROL4" "$CAROL6" 02:00:00:00:00:98
expect_eq "gateway has no neighbour entry for carol" "" \
	"$(neigh "$CAROL4")$(neigh "$CAROL6")"
NAME=carol open_rows "$CAROL4" "$CAROL6" && ok "carol's rows opened"
check "the daemon warns it opened IPv4 unbound" tqd_wait_log \
	"bind_mac: no neighbour entry for $CAROL4, opened without a MAC binding" 2
check "the daemon warns it opened IPv6 unbound" tqd_wait_log \
	"bind_mac: no neighbour entry for $CAROL6, opened without a MAC binding" 2
expect_eq "carol is in the unbound sets" "$CAROL4|$CAROL6" \
	"$(elems hosts4_unbound)|$(elems hosts6_unbound)"
expect_eq "carol works" "$LAB_GW_WAN4 [2001:0db8:0001:0000:0000:0000:0000:0012]" \
	"$(tries "$LAB_NS_CAROL")"
expect_eq "so does a second MAC with carol's addresses (weakness)" \
	"$LAB_GW_WAN4 [2001:0db8:0001:0000:0000:0000:0000:0012]" \
	"$(tries "$LAB_NS_CAROLX")"
kill -HUP "$TQD_PID"
tqd_wait_log "configuration reloaded.*" 5
tqd_wait_polls 2
expect_eq "still unbound after polls and a HUP (MAC known by now)" \
	"$CAROL4|$CAROL6" "$(elems hosts4_unbound)|$(elems hosts6_unbound)"

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
expect_eq "SIGTERM removed the table" 0 "$(N list ruleset | grep -c tcpquota)"

# ================= bind_mac = false =================
mdb_sql "DELETE FROM masq"
TQD_BIND_MAC=false tqd_write
tq_require "daemon restarts with bind_mac = false" tqd_start
open_rows "$LAB_LAN4" "$LAB_LAN6" && ok "rows opened again, bind_mac off"
expect_eq "the sets hold plain addresses" "$LAB_LAN4|$LAB_LAN6" \
	"$(elems hosts4)|$(elems hosts6)"
check_not "no unbound sets" N list set inet tcpquota hosts4_unbound
expect_eq "real host works (IPv4, IPv6)" "$LAB_GW_WAN4 $SEEN6" \
	"$(tries "$LAB_LAN")"
d0=$(drops)
p4=$(elem_pkts hosts4 "$LAB_LAN4")
p6=$(elem_pkts hosts6 "$LAB_LAN6")
udp "$EVIL" 3 2
expect_eq "impostor's 5 datagrams are not dropped" 0 $(($(drops) - d0))
# Each datagram is a flow of its own: an IPv4 one is looked up in the
# forward chain and again in the nat postrouting chain (masquerade).  The
# server answers each with an ICMP port unreachable (nothing listens on
# port 9), a reply the forward chain counts on the element too (issue
# 20: both directions count): IPv4 3 x 2 + 3, IPv6 2 + 2.
expect_eq "they count on the real host's elements (IPv4 twice, and the replies)" "9 4" \
	"$(($(elem_pkts hosts4 "$LAB_LAN4") - p4)) $(($(elem_pkts hosts6 "$LAB_LAN6") - p6))"
announce "$EVIL"
expect_eq "the announced impostor reaches the server (IPv4, IPv6)" \
	"$LAB_GW_WAN4 $SEEN6" "$(tries "$EVIL")"

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
expect_eq "SIGTERM removed the table" 0 "$(N list ruleset | grep -c tcpquota)"
tq_done
