#!/bin/bash
# 071-receive.sh - receive-only traffic is charged (issue 20, item 1).  An
# opened host sends one datagram and then only receives: a UDP stream of
# 50 datagrams of 1000 bytes, one every 100 ms, from the server (a
# download, a stream, QUIC with little upstream).  It must be charged for
# every poll in which packets moved, in either direction, and for no
# other; over IPv4 (masqueraded) and IPv6 (routed).
#
# Which polls had traffic, exactly: tests/lib/polls.sh (polls_judge)
# explains it: each poll must be charged exactly when a datagram arrived
# in its interval, except at an ambiguous boundary (a datagram inside a
# poll's own counter-read window), where the pair of polls may go either
# way; with 10 datagrams a second and 1 s polls that can only matter at
# the first and the last datagram.  The test prints the counts it found.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
. "$TQ_ROOT/tests/lib/polls.sh"
tq_init 071-receive

tq_require "lab and database set up" tqd_setup
UDP=$TQ_BUILD/tests/udp-stream
PORT=9000
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000);
	INSERT INTO allowed (name) VALUES ('alice');
	INSERT INTO periodtab (quota) VALUES (0);
	INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1'),
	('$LAB_LAN6', 'alice', 1000, 2, 0, 'gw1')"
lab_srv "$UDP" serve "$PORT" 50 100 1000 >/dev/null 2>&1 &
LAB_PIDS+=($!)
tqd_write
tq_require "daemon starts" tqd_start
check "IPv4 host opened" tqd_wait_ms 3000 tqd_open_is "$LAB_LAN4" 1
check "IPv6 host opened" tqd_wait_ms 3000 tqd_open_is "$LAB_LAN6" 1

quota() { mdb_sql "SELECT quota FROM tcptab WHERE name = 'alice'"; }
total() { mdb_sql "SELECT quota FROM periodtab ORDER BY id DESC LIMIT 1"; }

# stream NAME ADDR: one stream from the server to alice's host at ADDR
stream() {
	local name=$1 addr=$2 from q0 t0 q1 t1 v c e
	tqd_wait_polls 2
	q0=$(quota)
	t0=$(total)
	from=$(polls_from)
	lab_lan "$UDP" recv "$addr" "$PORT" 1500 >"$TQ_TMP/recv.$name"
	expect_eq "$name: all 50 datagrams received" 50 \
		"$(wc -l <"$TQ_TMP/recv.$name")"
	# two polls after the last datagram: the last charge is in, and one
	# poll shows that nothing moves any more
	tqd_wait_polls 3
	polls_expect "$name" "$from" "$TQ_TMP/recv.$name" alice
	c=$POLLS_CHARGED
	q1=$(quota)
	t1=$(total)
	expect_eq "$name: debit = 3 per charged poll" $((3 * c)) $((q0 - q1))
	expect_eq "$name: period total = the same" $((3 * c)) $((t1 - t0))
}

stream ipv4 "$LAB_SRV4"
stream ipv6 "$LAB_SRV6"

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
