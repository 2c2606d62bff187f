#!/bin/bash
# 010-nft.sh - the nftables backend and ctnetlink with real packets: a LAN
# host, a gateway running nftb-tool (the nftb and ct modules), a server.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=tests/lib/lab.sh
. "$TQ_ROOT/tests/lib/lab.sh"
tq_init nft

TOOL=$TQ_BUILD/tests/nftb-tool
CONF=$TQ_TMP/tq.conf
tq_require "lab created" lab_create
lab_conf >"$CONF"
# T ARGS...: nftb-tool on the gateway
T() { lab_gw "$TOOL" --config "$CONF" "$@"; }
N() { lab_gw nft "$@"; }
SEEN6="[2001:0db8:0001:0000:0000:0000:0000:0010]"
LAN_PORT=8081		# a service on the LAN host

# The lab's server has no IPv4 route to the LAN, so an unmasqueraded
# packet could never be answered and a failed IPv4 connect would prove
# nothing.  Here it has one: only the forward chain stops such traffic
# (the first checks show the route works while there is no table).
ip -n "$LAB_SRV" route add "${LAB_LAN4%.*}.0/24" via "$LAB_GW_WAN4"
# Two more server addresses, inside the local networks of local.conf.
LOCAL4=198.19.0.200
LOCAL6=2001:db8:2::200
ip -n "$LAB_SRV" addr add "$LOCAL4/32" dev wan0
ip -n "$LAB_SRV" addr add "$LOCAL6/128" dev wan0 nodad
lab_service "$LAB_LAN" "$LAN_PORT"
lan_listening() {
	ip netns exec "$LAB_LAN" ss -Htln "sport = :$LAN_PORT" | grep -q .
}
wait_for 5 lan_listening || fail "LAN service listening"

# try_fails NS ADDR [PORT]: no connection, and the failure comes within 3 s
try_fails() {
	local t0=$SECONDS
	! lab_try "$1" "$2" "${3:-$LAB_PORT}" >/dev/null &&
		[ $((SECONDS - t0)) -le 3 ]
}
# reaches NS ADDR [PORT]: a connection gets an answer
reaches() { lab_try "$@" >/dev/null; }
# udp_send NS ADDR: one UDP datagram "x\n" (30 bytes over IPv4, 50 over
# IPv6) from NS to ADDR port 9, from a new socket (a new connection)
udp_send() {
	local addr=$2 v=4
	case "$addr" in *:*) addr="[$addr]" v=6 ;; esac
	printf 'x\n' | ip netns exec "$1" socat -u - \
		"UDP$v-SENDTO:$addr:9" 2>/dev/null
}
# rule_packets COMMENT: the packet counter of the forward rule COMMENT
rule_packets() {
	N list chain inet tcpquota forward |
		sed -n "s/.*counter packets \([0-9]*\) .*comment \"$1\"\$/\1/p"
}
# hosts: the addresses in the sets, one a line
hosts() { T list | cut -d' ' -f1; }
# packets ADDR: the element counter of ADDR
packets() { T list | awk -v a="$1" '$1 == a { print $(NF - 2) }'; }
# ct_from ADDR: conntrack entries whose original source is ADDR
ct_from() { T ct-list | awk -v a="$1" '$2 == a' | wc -l; }

# An unrelated table the backend must never touch (no counter: its
# listing must not change with traffic).
N add table inet filter
N add chain inet filter input '{ type filter hook input priority 0; }'
N add rule inet filter input tcp dport 9999 accept comment '"not ours"'
N list table inet filter >"$TQ_TMP/filter.before"
same_filter() {
	N list table inet filter >"$TQ_TMP/filter.now" &&
		diff -u "$TQ_TMP/filter.before" "$TQ_TMP/filter.now"
}

# ---- without the table: the lab itself lets everything through ----
expect_eq "no table: the server reaches the LAN host over IPv4 (route)" \
	"$LAB_SRV4" "$(lab_try "$LAB_SRV" "$LAB_LAN4" "$LAN_PORT")"
check "no table: the server reaches the LAN host over IPv6" \
	reaches "$LAB_SRV" "$LAB_LAN6" "$LAN_PORT"
expect_eq "no table: the LAN host reaches the server, unmasqueraded" \
	"$LAB_LAN4" "$(lab_try "$LAB_LAN" "$LAB_SRV4")"

# ---- create, open, masquerade ----
check "create an empty table" T create
check "inet filter untouched by create" same_filter
expect_eq "intact after create" 1 "$(T intact)"
check "conntrack accounting on" T ct-acct
expect_eq "accounting sysctl" 1 \
	"$(lab_gw cat /proc/sys/net/netfilter/nf_conntrack_acct)"
check "IPv4 connect fails before open, within 3 s" try_fails "$LAB_LAN" "$LAB_SRV4"
check "IPv6 connect fails before open, within 3 s" try_fails "$LAB_LAN" "$LAB_SRV6"

check "open the IPv4 host" T open "$LAB_LAN4"
expect_eq "server sees the gateway's WAN address (masquerade)" \
	"$LAB_GW_WAN4" "$(lab_try "$LAB_LAN" "$LAB_SRV4")"
check "open the IPv6 host" T open "$LAB_LAN6"
expect_eq "server sees the LAN host's own IPv6 address (no NAT)" \
	"$SEEN6" "$(lab_try "$LAB_LAN" "$LAB_SRV6")"
check "opening an open host again is no error" T open "$LAB_LAN4" "$LAB_LAN6"
expect_eq "sets hold the two hosts" "$LAB_LAN4 $LAB_LAN6" "$(hosts | xargs)"

p1=$(packets "$LAB_LAN4")
lab_try "$LAB_LAN" "$LAB_SRV4" >/dev/null
p2=$(packets "$LAB_LAN4")
check "element counter counts ($p1 > 0)" [ "${p1:-0}" -gt 0 ]
check "element counter grows with traffic ($p1 -> $p2)" \
	[ "${p2:-0}" -gt "${p1:-0}" ]
check "IPv6 element counter counts" [ "$(packets "$LAB_LAN6")" -gt 0 ]

# ---- the Internet cannot connect in ----
# Replies to the LAN host's own connections pass (above and here), a new
# connection from the Internet does not, though the host is opened.
expect_eq "an opened host's IPv6 connection gets its replies" "$SEEN6" \
	"$(lab_try "$LAB_LAN" "$LAB_SRV6")"
check "the server cannot connect to an opened LAN host over IPv6" \
	try_fails "$LAB_SRV" "$LAB_LAN6" "$LAN_PORT"
check "the server cannot connect to an opened LAN host over IPv4" \
	try_fails "$LAB_SRV" "$LAB_LAN4" "$LAN_PORT"
d0=$(rule_packets "new connections from the Internet")
udp_send "$LAB_SRV" "$LAB_LAN4"
udp_send "$LAB_SRV" "$LAB_LAN6"
d1=$(rule_packets "new connections from the Internet")
expect_eq "two datagrams from the server: 2 more packets dropped" \
	$((d0 + 2)) "$d1"
# Control: the service answers; the filter is what stops the server.
expect_eq "the gateway itself reaches the LAN service" \
	"$LAB_GW_LAN4" "$(lab_try "$LAB_GW" "$LAB_LAN4" "$LAN_PORT")"

# ---- close: an established connection stops, new ones fail ----
# client NAME ADDR: a client that sends a line every 0.2 s to the server
# at ADDR; the server echoes each into $TQ_TMP/NAME.out.
CLIENTS=()
client() {
	local addr=$2
	case "$addr" in *:*) addr="[$addr]" ;; esac
	mkfifo "$TQ_TMP/$1.in"
	(while sleep 0.2; do echo ping; done) >"$TQ_TMP/$1.in" &
	CLIENTS+=($!)
	at_exit "kill $! 2>/dev/null"
	ip netns exec "$LAB_LAN" socat -T30 - "TCP:$addr:$LAB_PORT" \
		<"$TQ_TMP/$1.in" >"$TQ_TMP/$1.out" 2>/dev/null &
	CLIENTS+=($!)
	at_exit "kill $! 2>/dev/null"
}
# lines NAME: lines the server echoed to client NAME so far
lines() { wc -l <"$TQ_TMP/$1.out"; }
echoed() { [ "$(lines "$1")" -ge 4 ]; }
client c4 "$LAB_SRV4"
client c6 "$LAB_SRV6"
check "established connection passes data" wait_for 5 echoed c4
check "established IPv6 connection passes data" wait_for 5 echoed c6
ctp=$(T ct-list | awk -v a="$LAB_LAN4" -v p="$LAB_PORT" \
	'$1 == 6 && $2 == a && $5 == p { print $7 }' | sort -n | tail -n 1)
check "ct-list shows the connection with counters ($ctp packets)" \
	[ "${ctp:-0}" -gt 3 ]

check "close the IPv4 host" T close "$LAB_LAN4"
nct=$(ct_from "$LAB_LAN4")
check "the host has conntrack entries ($nct)" [ "$nct" -ge 1 ]
expect_eq "ct-delete deletes each of them" "$nct" \
	"$(T ct-delete "$LAB_LAN4")"
expect_eq "no conntrack entry from the host is left" 0 \
	"$(ct_from "$LAB_LAN4")"
expect_eq "conntrack(8) agrees" 0 \
	"$(lab_gw conntrack -L -s "$LAB_LAN4" 2>/dev/null | wc -l)"
sleep 0.5
n1=$(lines c4)
m1=$(lines c6)
# The IPv6 connection must go on: three more echoed lines (pings come
# every 0.2 s), waited for rather than assumed within a fixed time, and
# the closed IPv4 one must have passed nothing meanwhile.
grown() { [ "$(lines c6)" -ge $((m1 + 3)) ]; }
wait_for 10 grown
sleep 1.2
n2=$(lines c4)
m2=$(lines c6)
expect_eq "the established connection passes no more data" "$n1" "$n2"
check "the IPv6 one, still open, goes on ($m1 -> $m2 lines)" \
	[ "$m2" -ge $((m1 + 3)) ]
check "new IPv4 connects fail after close" try_fails "$LAB_LAN" "$LAB_SRV4"
check "closing an absent host is no error" T close "$LAB_LAN4" 198.18.1.99
check "close the IPv6 host" T close "$LAB_LAN6"
nct=$(ct_from "$LAB_LAN6")
check "the IPv6 host has conntrack entries ($nct)" [ "$nct" -ge 1 ]
expect_eq "ct-delete deletes each of them" "$nct" \
	"$(T ct-delete "$LAB_LAN6")"
expect_eq "no conntrack entry from the IPv6 host is left" 0 \
	"$(ct_from "$LAB_LAN6")"
sleep 0.5
m1=$(lines c6)
sleep 1.2
m2=$(lines c6)
expect_eq "the established IPv6 connection passes no more data" "$m1" "$m2"
check "new IPv6 connects fail after close" try_fails "$LAB_LAN" "$LAB_SRV6"
expect_eq "sets are empty" "" "$(hosts | xargs)"
kill "${CLIENTS[@]}" 2>/dev/null
check "the server cannot connect to a closed LAN host over IPv6" \
	try_fails "$LAB_SRV" "$LAB_LAN6" "$LAN_PORT"
check "the server cannot connect to a closed LAN host over IPv4" \
	try_fails "$LAB_SRV" "$LAB_LAN4" "$LAN_PORT"

# ---- blocked uids on the gateway ----
# gw_as UID ADDR [PORT]: connect from the gateway as UID, print what the
# server saw
gw_as() {
	local addr=$2 port=${3:-$LAB_PORT}
	case "$addr" in *:*) addr="[$addr]" ;; esac
	printf 'x\n' | timeout 4 ip netns exec "$LAB_GW" setpriv \
		--reuid="$1" --regid="$1" --clear-groups \
		socat -T2 - "TCP:$addr:$port,connect-timeout=2" 2>/dev/null |
		head -n 1
}
# Users on the gateway (uid 1000 and up) go out only if allowed_uids
# holds their uid, counted per uid; anyone else is refused at once.
t0=$SECONDS
expect_eq "uid 1234, not allowed, cannot reach the server" "" \
	"$(gw_as 1234 "$LAB_SRV4")"
check "and is refused at once" [ $((SECONDS - t0)) -le 1 ]
expect_eq "nor over IPv6" "" "$(gw_as 1234 "$LAB_SRV6")"
expect_eq "but reaches the local network" \
	"$LAB_GW_LAN4" "$(gw_as 1234 "$LAB_LAN4" "$LAN_PORT")"
expect_eq "root is never in the users chain" "$LAB_GW_WAN4" \
	"$(gw_as 0 "$LAB_SRV4")"
check "allow uids 1234 and 1235" T allow 1234 1235
expect_eq "allowed uids listed, counters at 0" \
	"1234 packets 0 bytes 0|1235 packets 0 bytes 0" \
	"$(T allowed | sort -n | paste -sd'|')"
expect_eq "uid 1234 reaches the server before block" "$LAB_GW_WAN4" \
	"$(gw_as 1234 "$LAB_SRV4")"
upk() { T allowed | awk -v u="$1" '$1 == u { print $3 }'; }
check "its counter counts its traffic ($(upk 1234) packets)" \
	[ "$(upk 1234)" -gt 0 ]
expect_eq "and not another uid's" 0 "$(upk 1235)"
check "block uid 1234" T block 1234
check "blocking twice is no error" T block 1234
expect_eq "blocked uids listed" 1234 "$(T uids | xargs)"
t0=$SECONDS
expect_eq "blocked uid 1234 cannot reach the server (IPv4)" "" \
	"$(gw_as 1234 "$LAB_SRV4")"
check "and is refused at once" [ $((SECONDS - t0)) -le 1 ]
expect_eq "blocked uid 1234 cannot reach the server (IPv6)" "" \
	"$(gw_as 1234 "$LAB_SRV6")"
expect_eq "blocked uid 1234 still reaches the local network" \
	"$LAB_GW_LAN4" "$(gw_as 1234 "$LAB_LAN4" "$LAN_PORT")"
expect_eq "uid 1235 reaches the server" "$LAB_GW_WAN4" \
	"$(gw_as 1235 "$LAB_SRV4")"
check "unblock uid 1234" T unblock 1234
check "unblocking twice is no error" T unblock 1234 4321
expect_eq "no blocked uids" "" "$(T uids | xargs)"
expect_eq "uid 1234 reaches the server after unblock" "$LAB_GW_WAN4" \
	"$(gw_as 1234 "$LAB_SRV4")"

# ---- 10,000 hosts ----
# field NAME TEXT: the value of NAME=VALUE in TEXT
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
empty=$(T bench-one 3)
out=$(T open-many 10000)
check "open 10000 hosts in one batch ($out)" [ -n "$out" ]
expect_eq "10000 hosts: 40 messages of at most 256 elements" 40 \
	"$(field msgs "$out")"
expect_eq "the set holds 10000 hosts" 10000 "$(T list | wc -l)"
bench=$(T bench-one 21)
echo "# one more host with 10000 in the set (median of 21): $bench"
echo "# the same with an empty set: $empty"
expect_eq "opening one more host is one message" 1 \
	"$(field open_msgs "$bench")"
expect_eq "closing it is two (add, then delete: no error if absent)" 2 \
	"$(field close_msgs "$bench")"
expect_eq "the open batch is as large as with an empty set" \
	"$(field open_bytes "$empty")" "$(field open_bytes "$bench")"
expect_eq "the close batch is as large as with an empty set" \
	"$(field close_bytes "$empty")" "$(field close_bytes "$bench")"
ob=$(field open_bytes "$bench")
cb=$(field close_bytes "$bench")
check "and small: open $ob bytes <= 128" [ "${ob:-999}" -le 128 ]
check "close $cb bytes <= 256" [ "${cb:-999}" -le 256 ]
expect_eq "still 10000 hosts after it" 10000 "$(T list | wc -l)"
t0=$(date +%s%N)
check "replace the table with 10000 hosts open" T create \
	"$LAB_LAN4" "$LAB_LAN6" 198.18.1.77
echo "# replacing the table: $((($(date +%s%N) - t0) / 1000)) us"
expect_eq "replace keeps exactly the hosts given" \
	"$LAB_LAN4 198.18.1.77 $LAB_LAN6" "$(hosts | xargs)"
expect_eq "the replaced table works" "$LAB_GW_WAN4" \
	"$(lab_try "$LAB_LAN" "$LAB_SRV4")"
check "inet filter untouched by replace" same_filter
expect_eq "intact after replace" 1 "$(T intact)"

# ---- the ruleset an admin reads ----
# The whole table for the lab's config with two hosts, counters zeroed.
# After an intended change of the ruleset, write the fixture anew from
# this output (TQ_KEEP=1 keeps $TQ_TMP/table.nft) and read the diff.
T create "$LAB_LAN4" "$LAB_LAN6" >/dev/null
N list table inet tcpquota |
	sed -E 's/packets [0-9]+ bytes [0-9]+/packets 0 bytes 0/g' \
		>"$TQ_TMP/table.nft"
check "nft list table matches tests/fixtures/nft/lab-table.nft" \
	diff -u "$TQ_ROOT/tests/fixtures/nft/lab-table.nft" "$TQ_TMP/table.nft"

# ---- local networks are free ----
# local.conf: the lab's, with LOCAL4 and LOCAL6 (server addresses across
# the WAN) as local networks.  Traffic to them passes for every LAN host,
# masqueraded (IPv4), and moves no element counter (the daemon's measure
# of a host's activity), so it is never charged.
#
# The counters are read from a LAN host of its own (QUIET), with no
# history: the main host still has the connections of the clients c4/c6
# above, killed after their host was closed.  Its kernel keeps
# retransmitting their unacknowledged data and FIN (FIN-WAIT-1, backoff
# up to minutes), and once an address is opened again such a packet to
# the server passes and is counted, as any packet of an opened host is
# (seen with nft monitor trace: a 77-byte IPv6 PSH/ACK "ping\n" of c6).
QUIET4=198.18.1.20
QUIET6=2001:db8:1::20
QUIET_SEEN6="[2001:0db8:0001:0000:0000:0000:0000:0020]"
lab_add_lan QUIET "$QUIET4" "$QUIET6" || fail "LAN host QUIET added"
Q=$LAB_NS_QUIET
sed "s|\"2001:db8:1::/64\"|&, \"$LOCAL4/32\", \"$LOCAL6/128\"|" \
	"$CONF" >"$TQ_TMP/local.conf"
TL() { lab_gw "$TOOL" --config "$TQ_TMP/local.conf" "$@"; }
# counts ADDR: "PACKETS BYTES" of ADDR's element
counts() { TL list | awk -v a="$1" '$1 == a { print $(NF - 2), $NF }'; }
check "create with two more local networks" TL create
expect_eq "a host not opened reaches a local network (IPv4, masqueraded)" \
	"$LAB_GW_WAN4" "$(lab_try "$Q" "$LOCAL4")"
expect_eq "a host not opened reaches a local network (IPv6)" \
	"$QUIET_SEEN6" "$(lab_try "$Q" "$LOCAL6")"
check "but not the Internet" try_fails "$Q" "$LAB_SRV4"
check "open the hosts" TL open "$QUIET4" "$QUIET6"
T ct-delete "$QUIET4" "$QUIET6" >/dev/null
expect_eq "an opened host reaches a local network, masqueraded" \
	"$LAB_GW_WAN4" "$(lab_try "$Q" "$LOCAL4")"
expect_eq "and over IPv6" "$QUIET_SEEN6" "$(lab_try "$Q" "$LOCAL6")"
for _ in 1 2 3; do
	udp_send "$Q" "$LOCAL4"
	udp_send "$Q" "$LOCAL6"
done
expect_eq "traffic to local networks moves no IPv4 element counter" \
	"0 0" "$(counts "$QUIET4")"
expect_eq "nor the IPv6 one" "0 0" "$(counts "$QUIET6")"
for _ in 1 2 3; do
	udp_send "$Q" "$LAB_SRV4"
	udp_send "$Q" "$LAB_SRV6"
done
# Both directions count (a host that only receives is online too):
# IPv4: each 30-byte datagram is counted by the forward rule and, as the
# first packet of its connection, by the masquerade rule's lookup (6
# packets, 180 bytes); the server has nothing on port 9 and answers each
# with an ICMP port unreachable, a related reply, counted by the replies
# rule's lookup: 20 (IP) + 8 (ICMP) + the 30 bytes quoted = 58 bytes, so
# 9 packets, 180 + 3 x 58 = 354 bytes.  IPv6: 3 x 50 bytes out, 3 ICMPv6
# errors of 40 + 8 + 50 = 98 bytes back: 6 packets, 150 + 294 = 444 bytes.
# (The answers from the local networks above are free: 0 and 0.)
expect_eq "3 datagrams to the Internet: IPv4 counter 9 packets, 354 bytes" \
	"9 354" "$(counts "$QUIET4")"
expect_eq "IPv6 counter 6 packets, 444 bytes (no NAT)" "6 444" \
	"$(counts "$QUIET6")"
expect_eq "the Internet sees the opened host masqueraded" "$LAB_GW_WAN4" \
	"$(lab_try "$Q" "$LAB_SRV4")"
expect_eq "intact with local networks across the WAN" 1 "$(TL intact)"
expect_eq "not intact for the lab's config (its local-network rules)" 0 \
	"$(T intact)"
T create "$LAB_LAN4" >/dev/null
expect_eq "intact again after a create with the lab's config" 1 "$(T intact)"

# ---- nftb_intact notices changes ----
N add rule inet tcpquota forward counter accept
expect_eq "an added rule: not intact" 0 "$(T intact)"
T create "$LAB_LAN4" >/dev/null
h=$(N -a list chain inet tcpquota forward | awk '/hosts not opened/ { print $NF }')
N delete rule inet tcpquota forward handle "$h"
expect_eq "a deleted rule: not intact" 0 "$(T intact)"
T create "$LAB_LAN4" >/dev/null
N delete set inet tcpquota blocked_uids 2>/dev/null ||
	N flush chain inet tcpquota output
expect_eq "a missing set or rule: not intact" 0 "$(T intact)"

# ---- errors name the object ----
T delete
err=$(T open "$LAB_LAN4" 2>&1)
expect_eq "error names element and set" \
	"nftb-tool: open: adding element $LAB_LAN4 to set hosts4: No such file or directory" \
	"$err"
err=$(T block 7 2>&1)
expect_eq "error names the uid" \
	"nftb-tool: block: adding element uid 7 to set blocked_uids: No such file or directory" \
	"$err"
N add table inet tcpquota
N add set inet tcpquota hosts4 '{ type ipv4_addr; size 2; }'
err=$(T open 198.18.1.5 198.18.1.6 198.18.1.7 198.18.1.8 2>&1)
expect_eq "a refused element in a batch is named" \
	"nftb-tool: open: adding element 198.18.1.7 to set hosts4: Too many open files in system" \
	"$err"
expect_eq "a failed batch changes nothing" "" \
	"$(N list set inet tcpquota hosts4 | grep elements)"

# ---- bind_mac ----
sed 's/table = "tcpquota";/table = "tcpquota"; bind_mac = true;/' \
	"$CONF" >"$TQ_TMP/mac.conf"
TM() { lab_gw "$TOOL" --config "$TQ_TMP/mac.conf" "$@"; }
mac=$(lab_mac "$LAB_LAN")
check "create with bind_mac" TM create "$LAB_LAN4,$mac" "$LAB_LAN6,$mac"
expect_eq "the set binds address and MAC" "$LAB_LAN4 $mac" \
	"$(TM list | head -n 1 | cut -d' ' -f1,2)"
expect_eq "bound host works from its own MAC" "$LAB_GW_WAN4" \
	"$(lab_try "$LAB_LAN" "$LAB_SRV4")"
expect_eq "bound IPv6 host works from its own MAC" "$SEEN6" \
	"$(lab_try "$LAB_LAN" "$LAB_SRV6")"
ip -n "$LAB_LAN" link set eth0 down
lab_gw ip neigh flush all
lab_add_lan EVIL "$LAB_LAN4" "$LAB_LAN6" 02:00:00:00:00:99
check "another MAC with the same IPv4 address fails" \
	try_fails "$LAB_NS_EVIL" "$LAB_SRV4"
check "another MAC with the same IPv6 address fails" \
	try_fails "$LAB_NS_EVIL" "$LAB_SRV6"
# A host the gateway knows no MAC for is opened unbound.
check "open a host without a MAC under bind_mac" TM open "$LAB_LAN4"
expect_eq "it is listed without a MAC" "$LAB_LAN4 packets" \
	"$(TM list | grep -v ':..:' | cut -d' ' -f1,2)"
expect_eq "nft lists it in hosts4_unbound" 1 \
	"$(N list set inet tcpquota hosts4_unbound | grep -c "$LAB_LAN4")"
expect_eq "an unbound host works from any MAC" "$LAB_GW_WAN4" \
	"$(lab_try "$LAB_NS_EVIL" "$LAB_SRV4")"
check "close a host by address (bound and unbound)" \
	TM close "$LAB_LAN4" "$LAB_LAN6"
expect_eq "bound and unbound elements gone" "" "$(TM list)"
expect_eq "intact with bind_mac" 1 "$(TM intact)"

# ---- interface name prefixes ----
sed 's/"wan0"/"wan*"/' "$CONF" >"$TQ_TMP/wild.conf"
check "create with wan = [ \"wan*\" ]" \
	lab_gw "$TOOL" --config "$TQ_TMP/wild.conf" create "$LAB_LAN4"
expect_eq "nft shows the prefix (local network and host set rules)" 2 \
	"$(N list chain inet tcpquota postrouting | grep -c 'oifname "wan\*"')"
expect_eq "a prefix matches wan0" "$LAB_GW_WAN4" \
	"$(lab_try "$LAB_NS_EVIL" "$LAB_SRV4")"

# ---- delete and flush ----
check "delete the table" TM delete
check "deleting again is no error" TM delete
expect_eq "no trace of tcpquota in the ruleset" 0 \
	"$(N list ruleset | grep -c tcpquota)"
check "inet filter untouched by delete" same_filter
T create >/dev/null
expect_eq "intact before flush" 1 "$(T intact)"
N flush ruleset
expect_eq "not intact after nft flush ruleset" 0 "$(T intact)"

tq_done
