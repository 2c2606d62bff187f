# shellcheck shell=bash
# lab.sh - a namespace lab: LAN hosts -- gateway -- Internet server.
# Needs lib.sh (tq_init) first.  Everything lives in network namespaces
# with random names and is deleted at exit, also after a failure.
#
#   lab_create          gateway + one LAN host + server; exports
#     LAB_GW  LAB_LAN  LAB_SRV           namespace names
#     LAB_LAN4=198.18.1.10  LAB_LAN6=2001:db8:1::10   (the LAN host)
#     LAB_GW_LAN4=198.18.1.1  LAB_GW_LAN6=2001:db8:1::1  (gateway, iface lan0 - a bridge)
#     LAB_GW_WAN4=198.19.0.1  LAB_GW_WAN6=2001:db8:2::1  (gateway, iface wan0)
#     LAB_SRV4=198.19.0.100  LAB_SRV6=2001:db8:2::100   (server)
#     LAB_PORT=8080       the server's TCP service: it answers each
#                         connection with the peer's address, then echoes
#   lab_add_lan NAME ADDR4 ADDR6 [MAC]   one more LAN host on the bridge;
#                         sets LAB_NS_<NAME> to its namespace name
#   lab_mac NS          print the MAC address of NS's eth0 (a LAN host)
#   lab_conf            print the libconfig "network" section for it
#   lab_gw CMD...       run CMD in the gateway (likewise lab_lan, lab_srv)
#   lab_try NS ADDR [PORT]  connect from NS; prints the server's first
#                         line (the peer address it saw); fails on timeout
#   lab_destroy         (automatic at exit)
#
# Addresses come only from 198.18.0.0/15 and 2001:db8::/32.

LAB_LAN4=198.18.1.10
LAB_LAN6=2001:db8:1::10
LAB_GW_LAN4=198.18.1.1
LAB_GW_LAN6=2001:db8:1::1
LAB_GW_WAN4=198.19.0.1
LAB_GW_WAN6=2001:db8:2::1
LAB_SRV4=198.19.0.100
LAB_SRV6=2001:db8:2::100
LAB_PORT=8080
LAB_NSES=()
LAB_PIDS=()

lab_gw() { ip netns exec "$LAB_GW" "$@"; }
lab_lan() { ip netns exec "$LAB_LAN" "$@"; }
lab_srv() { ip netns exec "$LAB_SRV" "$@"; }

_lab_ns() {
	local ns=$1
	ip netns add "$ns" || return 1
	LAB_NSES+=("$ns")
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null
}

lab_create() {
	local r
	r=$(tq_rand)
	LAB_GW=tq-gw-$r
	LAB_LAN=tq-lan-$r
	LAB_SRV=tq-srv-$r
	LAB_ID=$r
	export LAB_GW LAB_LAN LAB_SRV LAB_ID
	at_exit lab_destroy
	_lab_ns "$LAB_GW" && _lab_ns "$LAB_SRV" || return 1

	# Gateway: bridge lan0 for the LAN side, wan0 towards the server.
	ip -n "$LAB_GW" link add lan0 type bridge
	ip -n "$LAB_GW" link set lan0 up
	ip -n "$LAB_GW" addr add "$LAB_GW_LAN4/24" dev lan0
	ip -n "$LAB_GW" addr add "$LAB_GW_LAN6/64" dev lan0 nodad
	ip -n "$LAB_GW" link add wan0 type veth peer name wan0 netns "$LAB_SRV"
	ip -n "$LAB_GW" link set wan0 up
	ip -n "$LAB_GW" addr add "$LAB_GW_WAN4/24" dev wan0
	ip -n "$LAB_GW" addr add "$LAB_GW_WAN6/64" dev wan0 nodad
	lab_gw sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 >/dev/null

	# Server: knows no route back to the LAN over IPv4, so only
	# masqueraded IPv4 traffic gets answers; IPv6 is routed.
	ip -n "$LAB_SRV" link set wan0 up
	ip -n "$LAB_SRV" addr add "$LAB_SRV4/24" dev wan0
	ip -n "$LAB_SRV" addr add "$LAB_SRV6/64" dev wan0 nodad
	ip -n "$LAB_SRV" -6 route add 2001:db8:1::/64 via "$LAB_GW_WAN6"

	lab_add_lan MAIN "$LAB_LAN4" "$LAB_LAN6" || return 1
	LAB_LAN=$LAB_NS_MAIN
	export LAB_LAN

	lab_service "$LAB_SRV" "$LAB_PORT"
	wait_for 5 lab_srv_listening || return 1
}

lab_srv_listening() {
	ip netns exec "$LAB_SRV" ss -Htln "sport = :$LAB_PORT" | grep -q .
}

# lab_service NS PORT: the answer-with-peer-address service.  IPv4 peers
# read as "198.19.0.1"; IPv6 peers in socat's full form
# "[2001:0db8:0001:0000:0000:0000:0000:0010]".
lab_service() {
	local ns=$1 port=$2
	# shellcheck disable=SC2016
	ip netns exec "$ns" socat TCP4-LISTEN:"$port",fork,reuseaddr \
		SYSTEM:'echo "$SOCAT_PEERADDR"; exec cat' >/dev/null 2>&1 &
	LAB_PIDS+=($!)
	# shellcheck disable=SC2016
	ip netns exec "$ns" socat TCP6-LISTEN:"$port",ipv6only=1,fork,reuseaddr \
		SYSTEM:'echo "$SOCAT_PEERADDR"; exec cat' >/dev/null 2>&1 &
	LAB_PIDS+=($!)
}

lab_add_lan() {
	local name=$1 a4=$2 a6=$3 mac=${4:-}
	local ns="tq-${name,,}-$LAB_ID" port
	port="l$(printf '%s' "$name" | cksum | cut -c1-8)"
	_lab_ns "$ns" || return 1
	ip -n "$LAB_GW" link add "$port" type veth peer name eth0 netns "$ns"
	ip -n "$LAB_GW" link set "$port" master lan0 up
	[ -n "$mac" ] && ip -n "$ns" link set eth0 address "$mac"
	ip -n "$ns" link set eth0 up
	ip -n "$ns" addr add "$a4/24" dev eth0
	ip -n "$ns" addr add "$a6/64" dev eth0 nodad
	ip -n "$ns" route add default via "$LAB_GW_LAN4"
	ip -n "$ns" -6 route add default via "$LAB_GW_LAN6"
	printf -v "LAB_NS_$name" '%s' "$ns"
	export "LAB_NS_$name"
}

lab_mac() {
	ip -n "$1" -br link show eth0 | awk '{ print $3 }'
}

lab_conf() {
	cat <<CONF
network = {
	lan = [ "lan0" ];
	wan = [ "wan0" ];
	local_networks = [ "198.18.1.0/24", "2001:db8:1::/64" ];
	link = "always";
	table = "tcpquota";
};
CONF
}

# lab_try NS ADDR [PORT]: connect with a 2 s timeout, print the peer
# address the server saw.
lab_try() {
	local ns=$1 addr=$2 port=${3:-$LAB_PORT} out
	case "$addr" in *:*) addr="[$addr]" ;; esac
	out=$(printf 'x\n' | timeout 4 ip netns exec "$ns" \
		socat -T2 - "TCP:$addr:$port,connect-timeout=2" 2>/dev/null |
		head -n 1) || true
	[ -n "$out" ] || return 1
	printf '%s\n' "$out"
}

lab_destroy() {
	local p ns
	for p in "${LAB_PIDS[@]+"${LAB_PIDS[@]}"}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	LAB_PIDS=()
	for ns in "${LAB_NSES[@]+"${LAB_NSES[@]}"}"; do
		# Any process left inside (a daemon, a client) goes with it.
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	LAB_NSES=()
}
