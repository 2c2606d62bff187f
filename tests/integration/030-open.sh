#!/bin/bash
# 030-open.sh - tcpquotad answers open/close requests: within one poll,
# and at once when a tool pokes the wake-up socket.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-open

tq_require "lab and database set up" tqd_setup
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000),
	('bob', 100000), ('carol', 0);
	INSERT INTO allowed (name) VALUES ('alice'), ('carol');"
lab_add_lan BOB 198.18.1.11 2001:db8:1::11
lab_add_lan CAROL 198.18.1.12 2001:db8:1::12
tqd_write
tq_require "daemon starts" tqd_start
ok "daemon starts and polls"

check "table inet tcpquota exists" lab_gw nft list table inet tcpquota
check_not "a host nobody opened cannot reach the server" \
	lab_try "$LAB_LAN" "$LAB_SRV4"

# --- open request (2) -> 1 within one poll (period 1 s)
mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway)
	VALUES ('$LAB_LAN4', 'alice', 30, 2, 0, 'gw1')"
if tqd_wait_ms 1600 tqd_open_is "$LAB_LAN4" 1; then
	ok "open request acknowledged within one poll (${TQD_MS} ms)"
else
	fail "open request acknowledged within one poll (open = $(mdb_sql "SELECT open FROM masq WHERE host = '$LAB_LAN4'"))"
fi
check "host is in the firewall set" tqd_has_host "$LAB_LAN4"
expect_eq "server sees the masqueraded gateway address" "$LAB_GW_WAN4" \
	"$(lab_try "$LAB_LAN" "$LAB_SRV4")"
check_not "another LAN host is still shut out" \
	lab_try "$LAB_NS_BOB" "$LAB_SRV4"

# --- IPv6 host, routed (not masqueraded)
mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway)
	VALUES ('$LAB_LAN6', 'alice', 30, 2, 0, 'gw1')"
check "IPv6 open request acknowledged" \
	tqd_wait_ms 1600 tqd_open_is "$LAB_LAN6" 1
expect_eq "server sees the IPv6 host itself" \
	"[2001:0db8:0001:0000:0000:0000:0000:0010]" \
	"$(lab_try "$LAB_LAN" "$LAB_SRV6")"
expect_eq "firewall set holds both hosts" \
	"$(printf '%s\n' "$LAB_LAN4" "$LAB_LAN6" | sort)" "$(tqd_set)"

# --- close request (3) -> 0, host shut out again
mdb_sql "UPDATE masq SET open = 3 WHERE host = '$LAB_LAN4'"
check "close request acknowledged within one poll" \
	tqd_wait_ms 1600 tqd_open_is "$LAB_LAN4" 0
check_not "closed host is out of the set" tqd_has_host "$LAB_LAN4"
check_not "closed host cannot reach the server" \
	lab_try "$LAB_LAN" "$LAB_SRV4"
expect_eq "the IPv6 host stays open" "$LAB_LAN6" "$(tqd_set)"

# --- refused requests: not allowed (bob), no quota (carol)
mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway)
	VALUES ('198.18.1.11', 'bob', 30, 2, 0, 'gw1'),
	('198.18.1.12', 'carol', 30, 2, 0, 'gw1')"
check "request of a user not allowed: row deleted" \
	tqd_wait_ms 1600 tqd_open_is 198.18.1.11 ""
check "request of a user without quota: row deleted" \
	tqd_wait_ms 1600 tqd_open_is 198.18.1.12 ""
check_not "bob's host not opened" tqd_has_host 198.18.1.11
check_not "carol's host not opened" tqd_has_host 198.18.1.12
check_not "bob cannot reach the server" lab_try "$LAB_NS_BOB" "$LAB_SRV4"

# --- a malformed row is cleaned up, not fatal
mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway)
	VALUES ('not-an-address', 'alice', 30, 2, 0, 'gw1')"
check "malformed host row deleted" \
	tqd_wait_ms 2600 tqd_open_is not-an-address ""
check "daemon still running" tqd_alive "$TQD_PID"

# --- wake-up socket: with a 5 s period, a poked request is answered at once
TQD_PERIOD=5 tqd_write
kill -HUP "$TQD_PID"
tqd_wait_log "configuration reloaded" 5
sleep 0.3
mdb_sql "UPDATE masq SET open = 2 WHERE host = '$LAB_LAN4'"
tqd_poke
if tqd_wait_ms 400 tqd_open_is "$LAB_LAN4" 1; then
	ok "poked open request answered in ${TQD_MS} ms (period 5 s)"
else
	fail "poked open request answered within 400 ms (period 5 s)"
fi
check "poked host reaches the server" lab_try "$LAB_LAN" "$LAB_SRV4"
mdb_sql "UPDATE masq SET open = 3 WHERE host = '$LAB_LAN4'"
tqd_poke
if tqd_wait_ms 400 tqd_open_is "$LAB_LAN4" 0; then
	ok "poked close request answered in ${TQD_MS} ms"
else
	fail "poked close request answered within 400 ms"
fi
check_not "host closed by the poked request" tqd_has_host "$LAB_LAN4"

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
