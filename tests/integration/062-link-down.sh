#!/bin/bash
# 062-link-down.sh - network.link: while the link interface is down (or up
# with no address), nobody is charged and the period total stays as it is;
# the daemon says so once and says when the link is back, then charges
# resume at exactly floor(1*2/1)+1 = 3 per poll.  Open requests are still
# answered while the link is down (DESIGN.md "The poll": requests are
# step 1, the link check step 2).  Without a link setting the default
# "always" holds; link = "" is refused (-n and HUP) with its reason.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-link-down

tq_require "lab and database set up" tqd_setup
CONF=$TQD_DIR/tcpquota.conf
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000),
	('bob', 100000);
	INSERT INTO allowed (name) VALUES ('alice'), ('bob');
	INSERT INTO periodtab (quota) VALUES (0);
	INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1')"
lab_add_lan BOB 198.18.1.11 2001:db8:1::11

# The lab's network section with `link` set to $1 (a quoted string), or
# without a link line at all if $1 is empty.
net_conf() {
	if [ -n "$1" ]; then
		lab_conf | sed "s/^\tlink = .*/\tlink = $1;/"
	else
		lab_conf | sed '/^\tlink = /d'
	fi
}

# alice's quota, her row's charge counter, the newest period's total.
snap() {
	tqd_q "SELECT (SELECT quota FROM tcptab WHERE name = 'alice'),
		(SELECT counter FROM masq WHERE name = 'alice'),
		(SELECT quota FROM periodtab ORDER BY id DESC LIMIT 1)"
}
nlines() { grep -cF -- "$1" "$TQD_LOG"; }
# wait_lines TEXT N: the log holds at least N lines with TEXT.
_ge_lines() { [ "$(nlines "$1")" -ge "$2" ]; }
wait_lines() { wait_for "${3:-10}" _ge_lines "$1" "$2"; }
echoes() { tr -cd . <"$A_OUT" | wc -c; }
_echoes_gt() { [ "$(echoes)" -gt "$1" ]; }

# measure NAME: snapshot, 3 polls, snapshot; dq, dc, dt = alice's
# debit, her charged polls, the period total's growth.
measure() {
	local q0 c0 t0 q1 c1 t1
	read -r q0 c0 t0 <<<"$(snap)"
	tqd_wait_polls 3
	read -r q1 c1 t1 <<<"$(snap)"
	dq=$((q0 - q1)) dc=$((c1 - c0)) dt=$((t1 - t0))
}
# charged NAME: 3 per charged poll, at least 2 of the 3 polls charged,
# the period total grows by exactly the debit.
charged() {
	measure
	check "$1: charged in each poll with traffic ($dc of 3)" [ "$dc" -ge 2 ]
	expect_eq "$1: 3 per charged poll" $((3 * dc)) "$dq"
	expect_eq "$1: period total grows by the debit" "$dq" "$dt"
}
# not_charged NAME: nothing at all moves over 3 polls.
not_charged() {
	local p0
	p0=$(nlines "poll: link down")
	measure
	expect_eq "$1: no debit, no charged poll, period total unchanged" \
		"0 0 0" "$dq $dc $dt"
	check "$1: every poll saw the link down" \
		[ $(($(nlines "poll: link down") - p0)) -ge 3 ]
}

# --- link = "wan0": up, so alice's traffic is charged
TQD_NETWORK=$(net_conf '"wan0"') tqd_write
tq_require "daemon starts" tqd_start
check "alice's host opened" tqd_wait_ms 2000 tqd_open_is "$LAB_LAN4" 1
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 200 100000
A_OUT=$TQD_TALK_OUT
check "alice's traffic flows" wait_for 5 _echoes_gt 2
tqd_wait_polls 1
charged "wan0 up"
expect_eq "no link message while it is up" 0 "$(nlines "link wan0")"

# --- the gateway's WAN interface goes down
DOWN="warning: link wan0 is down or has no address: nobody is charged"
UP="info: link wan0 is up: charging again"
ip -n "$LAB_GW" link set wan0 down
check "link down logged" wait_lines "$DOWN" 1
# An open request meanwhile is answered within a poll.
mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('198.18.1.11', 'bob', 1000, 2, 0, 'gw1')"
tqd_poke
check "wan0 down: bob's open request answered" \
	tqd_wait_ms 2000 tqd_open_is 198.18.1.11 1
check "wan0 down: bob's host in the firewall" tqd_has_host 198.18.1.11
tqd_wait_polls 1
not_charged "wan0 down"
expect_eq "wan0 down: the poll's debug line" \
	"poll: link down, rate 2, 0 online, each 0, total 0, 2 rows, 0 locals" \
	"$(grep -o 'poll: link .*' "$TQD_LOG" | tail -n 1)"
expect_eq "link down logged once, not every poll" 1 "$(nlines "$DOWN")"
expect_eq "wan0 down: nobody charged in the debug log either" 0 \
	"$(sed -n "/$DOWN/,\$p" "$TQD_LOG" | grep -c 'debug: charged ')"

# --- wan0 up again (an admin-down interface loses its IPv6 address)
ip -n "$LAB_GW" link set wan0 up
ip -n "$LAB_GW" addr replace "$LAB_GW_WAN6/64" dev wan0 nodad
check "link up logged" wait_lines "$UP" 1
e0=$(echoes)
tqd_wait_ms 20000 _echoes_gt "$e0"
rc=$?
expect_eq "alice's connection carries traffic again ($TQD_MS ms)" 0 "$rc"
tqd_wait_polls 1
charged "wan0 up again"
expect_eq "link up logged once" 1 "$(nlines "$UP")"

# --- link = "tql0", an interface apart from the traffic's path: traffic
# keeps flowing while it is down, and still nobody is charged.
ip -n "$LAB_GW" link add tql0 type veth peer name tql1
ip -n "$LAB_GW" link set tql1 up
ip -n "$LAB_GW" link set tql0 up
ip -n "$LAB_GW" addr add 198.18.200.1/30 dev tql0
TQD_NETWORK=$(net_conf '"tql0"') tqd_write
kill -HUP "$TQD_PID"
check "reload to link tql0" wait_lines "configuration reloaded" 1
ip -n "$LAB_GW" link set tql0 down
check "tql0 down logged" wait_lines \
	"warning: link tql0 is down or has no address: nobody is charged" 1
tqd_wait_polls 1
e0=$(echoes)
not_charged "tql0 down, traffic flowing"
check "tql0 down: alice's traffic did flow ($(($(echoes) - e0)) echoes)" \
	[ $(($(echoes) - e0)) -ge 5 ]

# Up, but without an address: still down.  (Up, a veth gets an IPv6
# link-local address of its own; that is no address to the Internet.)
ip -n "$LAB_GW" addr flush dev tql0
ip -n "$LAB_GW" link set tql0 up
tqd_wait_polls 1
not_charged "tql0 up without an address"
expect_eq "no up message without an address" 0 \
	"$(nlines "link tql0 is up")"

ip -n "$LAB_GW" addr add 198.18.200.1/30 dev tql0
check "tql0 up logged" wait_lines "info: link tql0 is up: charging again" 1
tqd_wait_polls 1
charged "tql0 up with an address"

# No carrier (the cable pulled: the veth peer down), tql0 itself still
# up with its address: down.
ip -n "$LAB_GW" link set tql1 down
check "tql0 without carrier logged as down" wait_lines \
	"warning: link tql0 is down or has no address: nobody is charged" 2
tqd_wait_polls 1
not_charged "tql0 up, no carrier"
ip -n "$LAB_GW" link set tql1 up
check "carrier back: up logged" wait_lines \
	"info: link tql0 is up: charging again" 2
tqd_wait_polls 1
charged "tql0 carrier back"

# --- no link setting: the default "always" (tql0 down does not matter)
ip -n "$LAB_GW" link set tql0 down
check "tql0 down logged again" wait_lines \
	"warning: link tql0 is down or has no address: nobody is charged" 3
TQD_NETWORK=$(net_conf "") tqd_write
check "-n accepts a file without link" "$TQ_BUILD/tcpquotad" -n \
	--config "$CONF"
kill -HUP "$TQD_PID"
check "reload without link" wait_lines "configuration reloaded" 2
check "default link: up" wait_lines "info: link always is up: charging again" 1
tqd_wait_polls 1
charged "no link setting (always)"

# --- link = "": refused by -n and by HUP; the old configuration stays
TQD_NETWORK=$(net_conf '""') tqd_write
line=$(grep -n '^\s*link = ' "$CONF" | cut -d: -f1)
why="$CONF:$line: network.link: \"\" is neither \"always\" nor an interface name; use \"always\" or e.g. \"ppp0\""
out=$("$TQ_BUILD/tcpquotad" -n --config "$CONF" 2>&1)
rc=$?
check "-n refuses link = \"\" (status $rc)" [ "$rc" -ne 0 ]
expect_eq "-n names file, line, setting" "tcpquotad: $why" "$out"
kill -HUP "$TQD_PID"
check "HUP with link = \"\" rejected with the reason" \
	wait_lines "reload rejected, old configuration kept: $why" 1
check "daemon alive" tqd_alive "$TQD_PID"
expect_eq "no down message after the rejected reload" 0 \
	"$(sed -n '/reload rejected/,$p' "$TQD_LOG" | grep -c 'link .* is down')"

TQD_NETWORK=$(net_conf "") tqd_write
tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
check_not "table gone" sh -c \
	"ip netns exec $LAB_GW nft list table inet tcpquota >/dev/null 2>&1"
tq_done
