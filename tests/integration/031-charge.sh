#!/bin/bash
# 031-charge.sh - tcpquotad charges users with traffic by the formula
# floor(period * rate / n) + 1, shares among users online, leaves idle
# hosts alone, charges local users, refuses local users who are not
# allowed from their first packet, blocks (and with kill_processes kills)
# those out of quota, and adds each poll to the period table.
# The local users are throw-away passwd entries (tqd_useradd): the test
# runs in a private mount namespace with an overlay on /etc, so they never
# reach the host; the daemon, started from here, sees them.
. "$(dirname "$0")/../lib/lib.sh"
tq_mount_ns "$@"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-charge

tq_require "lab and database set up" tqd_setup
r=$(tq_rand | cut -c1-6)
LOC=tql$r	# allowed local user
BAD=tqb$r	# local user in tcptab, not allowed
tq_require "useradd $LOC" tqd_useradd "$LOC"
LOC_UID=$TQD_UID
tq_require "useradd $BAD" tqd_useradd "$BAD"
BAD_UID=$TQD_UID

mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000),
	('bob', 100000), ('$LOC', 50000), ('$BAD', 50000);
	INSERT INTO allowed (name) VALUES ('alice'), ('bob'), ('$LOC');
	INSERT INTO periodtab (quota) VALUES (0);
	INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1'),
	('198.18.1.11', 'bob', 1000, 2, 0, 'gw1')"
lab_add_lan BOB 198.18.1.11 2001:db8:1::11
# period 1 s, rate 2: alone floor(1*2/1)+1 = 3, two online floor(2/2)+1 = 2
tqd_write
tq_require "daemon starts" tqd_start
check "alice's host opened" tqd_wait_ms 2000 tqd_open_is "$LAB_LAN4" 1
check "bob's host opened" tqd_wait_ms 2000 tqd_open_is 198.18.1.11 1

# One consistent read: alice quota, counter; bob quota, counter; the
# newest period's total; the local user's quota.
snap() {
	tqd_q "SELECT (SELECT quota FROM tcptab WHERE name = 'alice'),
		(SELECT counter FROM masq WHERE name = 'alice'),
		(SELECT quota FROM tcptab WHERE name = 'bob'),
		(SELECT counter FROM masq WHERE name = 'bob'),
		(SELECT quota FROM periodtab ORDER BY id DESC LIMIT 1),
		(SELECT quota FROM tcptab WHERE name = '$LOC')"
}

# --- idle open hosts are not charged
tqd_wait_polls 2
read -r qa0 ca0 qb0 cb0 t0 _ <<<"$(snap)"
tqd_wait_polls 3
read -r qa1 ca1 qb1 cb1 t1 _ <<<"$(snap)"
expect_eq "idle host: alice not charged" "100000 0" "$qa1 $ca1"
expect_eq "idle host: bob not charged" "100000 0" "$qb1 $cb1"
expect_eq "idle: period total unchanged" "$t0" "$t1"

# --- alice alone with traffic: 3 per charged poll
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 200 100000
A_TALK=$TQD_TALK
tqd_wait_polls 2
read -r qa0 ca0 qb0 cb0 t0 _ <<<"$(snap)"
tqd_wait_polls 4
read -r qa1 ca1 qb1 cb1 t1 _ <<<"$(snap)"
dc=$((ca1 - ca0))
check "alice charged in each poll with traffic ($dc of 4)" \
	[ "$dc" -ge 3 ]
expect_eq "alice alone pays 3 per charged poll" $((3 * dc)) $((qa0 - qa1))
expect_eq "period total grows by alice's debits" $((qa0 - qa1)) \
	$((t1 - t0))
expect_eq "bob idle meanwhile" "$qb0 $cb0" "$qb1 $cb1"

# --- alice and bob with traffic: each pays floor(1*2/2)+1 = 2
tqd_talk "$LAB_NS_BOB" "$LAB_SRV4" "$LAB_PORT" 200 100000
B_TALK=$TQD_TALK
tqd_wait_polls 2
read -r qa0 ca0 qb0 cb0 t0 _ <<<"$(snap)"
tqd_wait_polls 4
read -r qa1 ca1 qb1 cb1 t1 _ <<<"$(snap)"
dca=$((ca1 - ca0))
dcb=$((cb1 - cb0))
both_charged() { [ "$dca" -ge 3 ] && [ "$dcb" -ge 3 ]; }
check "both charged in each poll ($dca, $dcb of 4)" both_charged
expect_eq "alice pays the shared amount" $((2 * dca)) $((qa0 - qa1))
expect_eq "bob pays the shared amount" $((2 * dcb)) $((qb0 - qb1))
expect_eq "period total = both debits" $((qa0 - qa1 + qb0 - qb1)) \
	$((t1 - t0))
expect_eq "connection count written" 1 \
	"$(mdb_sql "SELECT cnts FROM masq WHERE name = 'alice'")"
# Counts follow conntrack events between full reads (one every 120
# polls by default, so none in this test after the first).
cnts_is() {
	[ "$(mdb_sql "SELECT cnts FROM masq WHERE name = 'alice'")" = "$1" ]
}
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 200 100000
A_TALK2=$TQD_TALK
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 200 100000
A_TALK3=$TQD_TALK
check "three connections counted (from conntrack events)" \
	tqd_wait_ms 4000 cnts_is 3
kill "$A_TALK2" "$A_TALK3" 2>/dev/null
wait "$A_TALK2" "$A_TALK3" 2>/dev/null
# A closed connection stays in the table (TIME_WAIT) until it times
# out, and counts until then, as in a full read; deleting the entries
# ends them (DESTROY events).
ended_gone() {
	local st
	for st in FIN_WAIT CLOSE_WAIT LAST_ACK TIME_WAIT CLOSE; do
		lab_gw conntrack -D -p tcp -s "$LAB_LAN4" --state "$st" \
			>/dev/null 2>&1
	done
	cnts_is 1
}
check "two ended and gone from the table: one left" \
	tqd_wait_ms 4000 ended_gone
expect_eq "no full read of the table since the first poll" 1 \
	"$(grep -c 'conntrack: full read' "$TQD_LOG")"

# --- traffic stops: no more charges
kill "$A_TALK" "$B_TALK" 2>/dev/null
wait "$A_TALK" "$B_TALK" 2>/dev/null
tqd_wait_polls 2
read -r qa0 ca0 qb0 cb0 t0 _ <<<"$(snap)"
tqd_wait_polls 3
read -r qa1 ca1 qb1 cb1 t1 _ <<<"$(snap)"
expect_eq "after the traffic: nobody charged" "$qa0 $ca0 $qb0 $cb0 $t0" \
	"$qa1 $ca1 $qb1 $cb1 $t1"

# --- a local user on the gateway with an outside connection
talk_as() {
	local uid=$1
	TQD_NTALK=$((TQD_NTALK + 1))
	TQD_TALK_OUT=$TQ_TMP/talk.$TQD_NTALK
	ip netns exec "$LAB_GW" setpriv --reuid="$uid" --regid=100 \
		--clear-groups "$TQ_BUILD/tests/tqd-talker" "$LAB_SRV4" \
		"$LAB_PORT" 200 100000 >"$TQD_TALK_OUT" 2>&1 &
	TQD_TALK=$!
	at_exit "kill $TQD_TALK 2>/dev/null"
}
talk_as "$LOC_UID"
L_TALK=$TQD_TALK
# root on the gateway talks too: never charged, blocked or killed
talk_as 0
R_TALK=$TQD_TALK
tqd_wait_polls 2
read -r _ _ _ _ t0 ql0 <<<"$(snap)"
tqd_wait_polls 4
read -r _ _ _ _ t1 ql1 <<<"$(snap)"
dl=$((ql0 - ql1))
check "local user charged ($dl)" [ "$dl" -ge 9 ]
expect_eq "local user pays 3 per poll" 0 $((dl % 3))
expect_eq "period total = local user's debits" "$dl" $((t1 - t0))
check "local user not blocked" tqd_alive "$L_TALK"
kill "$L_TALK" 2>/dev/null
wait "$L_TALK" 2>/dev/null

# --- a local user who is not allowed: refused from his first packet
# (the output chain lets out only the uids of allowed users; 072 covers
# UDP and restarts).  Nothing of his gets out, so he is never charged,
# cut off or blocked.
talk_as "$BAD_UID"
X_TALK=$TQD_TALK
check "not-allowed local user's connection refused" wait_for 5 tqd_dead "$X_TALK"
expect_eq "he never connected" 0 "$(grep -c connected "$TQD_TALK_OUT")"
tqd_wait_polls 2
expect_eq "not-allowed user not charged" 50000 \
	"$(mdb_sql "SELECT quota FROM tcptab WHERE name = '$BAD'")"
expect_eq "nobody blocked: nothing of his got out" "" "$(tqd_uids)"

# --- a local user whose balance runs out: blocked, process kept...
talk_as "$LOC_UID"
L_TALK=$TQD_TALK
wait_for 3 grep -q connected "$TQD_TALK_OUT"
mdb_sql "UPDATE tcptab SET quota = 1 WHERE name = '$LOC'"
blocked() { tqd_uids | grep -qx "$LOC_UID"; }
check "out of quota: local user's uid blocked" wait_for 5 blocked
check "cut-off logged" tqd_wait_log "cut off $LOC: no quota" 2
sleep 1
check "without kill_processes his process lives" tqd_alive "$L_TALK"
# ... and killed once kill_processes is on (SIGHUP): his socket to
# outside is still there
TQD_KILL=true tqd_write
kill -HUP "$TQD_PID"
check "with kill_processes his process dies" wait_for 5 tqd_dead "$L_TALK"
check "kill logged" tqd_wait_log "killed [0-9]+ process(es)? of $LOC" 2
check "root's connection is never killed" tqd_alive "$R_TALK"
expect_eq "only the uid out of quota is blocked" "$LOC_UID" "$(tqd_uids)"
kill "$R_TALK" 2>/dev/null

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
