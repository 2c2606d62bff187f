#!/bin/bash
# 071-receive.sh - receive-only traffic is charged (issue 20, item 1).  An
# opened host sends one datagram and then only receives: a UDP stream of
# 50 datagrams of 1000 bytes, one every 100 ms, from the server (a
# download, a stream, QUIC with little upstream).  It must be charged for
# every poll in which packets moved, in either direction, and for no
# other; over IPv4 (masqueraded) and IPv6 (routed).
#
# Which polls had traffic, exactly: the daemon logs each poll ("poll:
# ..." at time l, its charges, then "poll took D us"); the receiver logs
# the wall-clock millisecond of every datagram.  Poll j saw the packets
# that passed the gateway between the previous poll's read of the
# element counters and its own, and each read happens inside its poll,
# i.e. in [l - D, l].  So a poll whose log interval (l[j-1], l[j]] holds a
# datagram had traffic and must be charged, and one holding none must
# not be, except where a datagram falls inside a poll's own read window
# [l - D - 2 ms, l] (2 ms: the receiver's clock reading after the
# gateway): then it may belong to that poll or to the next, and only that
# pair of polls is allowed either way.  With 10 datagrams a second and
# 1 s polls this can only matter at the first and the last datagram; the
# test prints the counts it found.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
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

# judge LOG_FROM RECV: compare the polls logged from line LOG_FROM of the
# log (a poll's first line) on with the receive times in RECV.  Prints "charged=C traffic=E
# ambiguous=A wrong=W first=F": C polls charged, E polls whose interval
# held a datagram, A of them at an ambiguous boundary, W polls charged
# wrongly either way (not explained by a boundary), F the polls looked at.
judge() {
	tail -n +"$1" "$TQD_LOG" | awk -v recv="$2" '
	function ms(d, t,   a, b) {
		split(d, a, "-"); split(t, b, "[:.]")
		return mktime(a[1] " " a[2] " " a[3] " " b[1] " " b[2] " " \
			b[3]) * 1000 + b[4]
	}
	BEGIN { while ((getline line < recv) > 0) r[++nr] = line + 0 }
	/ debug: poll: / { l[++n] = ms($1, $2); ch[n] = 0; next }
	/ debug: charged alice / { if (n) ch[n] = 1; next }
	/ debug: poll took / { if (n) d[n] = int($(NF - 1) / 1000) + 2 }
	END {
		C = E = A = W = 0
		for (j = 2; j <= n; j++) {
			has = 0; amb = 0
			for (k = 1; k <= nr; k++) {
				if (r[k] > l[j - 1] && r[k] <= l[j]) {
					has = 1
					# read before it arrived: the next poll
					if (r[k] >= l[j] - d[j]) amb = 1
				}
				# arrived in the previous poll window
				if (r[k] >= l[j - 1] - d[j - 1] &&
				    r[k] <= l[j - 1]) amb = 1
			}
			C += ch[j]; E += has; A += amb
			if (ch[j] != has && !amb) W++
		}
		printf "charged=%d traffic=%d ambiguous=%d wrong=%d polls=%d\n",
			C, E, A, W, n - 1
	}'
}

within1() { [ $(($1 - $2)) -le 1 ] && [ $(($2 - $1)) -le 1 ]; }

# stream NAME ADDR: one stream from the server to alice's host at ADDR
stream() {
	local name=$1 addr=$2 from q0 t0 q1 t1 v c e
	tqd_wait_polls 2
	q0=$(quota)
	t0=$(total)
	# from the last poll before the stream: the interval of the first
	# poll after it starts there
	from=$(grep -n ' debug: poll: ' "$TQD_LOG" | tail -n 1 | cut -d: -f1)
	lab_lan "$UDP" recv "$addr" "$PORT" 1500 >"$TQ_TMP/recv.$name"
	expect_eq "$name: all 50 datagrams received" 50 \
		"$(wc -l <"$TQ_TMP/recv.$name")"
	# two polls after the last datagram: the last charge is in, and one
	# poll shows that nothing moves any more
	tqd_wait_polls 3
	v=$(judge "$from" "$TQ_TMP/recv.$name")
	echo "# $name: $v"
	c=$(sed 's/.*charged=\([0-9]*\).*/\1/' <<<"$v")
	e=$(sed 's/.*traffic=\([0-9]*\).*/\1/' <<<"$v")
	expect_eq "$name: no poll charged or left uncharged but at an ambiguous boundary" \
		0 "$(sed 's/.*wrong=\([0-9]*\).*/\1/' <<<"$v")"
	check "$name: charged for each poll of the stream ($c charged, $e with traffic, ≥ 4)" \
		[ "$c" -ge 4 ]
	check "$name: charged polls = polls with traffic, ± 1 at an ambiguous boundary" \
		within1 "$c" "$e"
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
