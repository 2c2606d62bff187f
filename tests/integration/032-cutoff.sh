#!/bin/bash
# 032-cutoff.sh - cut-offs at min_quota (host closed, row deleted,
# connection cut at once, conntrack entries gone), free users keep access,
# heartbeat expiry, free rows closed outside the free-access hours.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-cutoff

tq_require "lab and database set up" tqd_setup
lab_add_lan FREE 198.18.1.11 2001:db8:1::11
lab_add_lan CAROL 198.18.1.12 2001:db8:1::12
# alice shares every charged poll with the free host (which talks all the
# time), so each pays floor(1 * 2 / 2) + 1 = 2: 7 -> 5 -> 3 -> 1 -> -1
# (at or below 0: cut)
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 7),
	('free', -100), ('carol', 100000);
	INSERT INTO allowed (name) VALUES ('alice'), ('free'), ('carol');
	INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1'),
	('198.18.1.11', 'free', 0, 2, 1, 'gw1')"
# The original's way here: the whole conntrack table read every poll
# and its counters deciding (031 covers the default, set counters and
# conntrack events).
TQD_RESYNC=0
tqd_write
tq_require "daemon starts" tqd_start
check "alice's host opened" tqd_wait_ms 2000 tqd_open_is "$LAB_LAN4" 1
check "free host opened although the free balance is negative" \
	tqd_wait_ms 2000 tqd_open_is 198.18.1.11 1

tqd_talk "$LAB_NS_FREE" "$LAB_SRV4" "$LAB_PORT" 200 100000
F_TALK=$TQD_TALK
F_OUT=$TQD_TALK_OUT
# A long-lived connection with data every 0.2 s; it reports a stall after
# 1.5 s without an echo.
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 200 1500
A_TALK=$TQD_TALK
check "alice's connection is up" wait_for 3 grep -q connected "$TQD_TALK_OUT"

conns() {
	lab_gw conntrack -L -s "$1" 2>/dev/null | grep -c . || true
}
check "alice has conntrack entries" [ "$(conns "$LAB_LAN4")" -ge 1 ]

# --- balance reaches min_quota: host closed, row gone within one poll
if wait_for 10 tqd_open_is "$LAB_LAN4" ""; then
	ok "alice's row deleted when her balance ran out"
	expect_eq "conntrack entries of the closed host gone at once" 0 \
		"$(conns "$LAB_LAN4")"
	check_not "alice's host out of the set" tqd_has_host "$LAB_LAN4"
	t0=$(tqd_ms)
	wait_for 5 tqd_dead "$A_TALK"
	wait "$A_TALK"
	rc=$?
	t1=$(tqd_ms)
	# Its next packet meets the forward chain's reject of hosts not
	# opened (its conntrack entry is gone): a TCP reset, not a stall.
	expect_eq "long-lived connection reset at once (talker status 5)" \
		5 "$rc"
	check "... within 2.5 s of the cut ($((t1 - t0)) ms)" \
		[ $((t1 - t0)) -le 2500 ]
else
	fail "alice's row deleted when her balance ran out"
fi
expect_eq "alice's balance after four charged polls" -1 \
	"$(mdb_sql "SELECT quota FROM tcptab WHERE name = 'alice'")"
check "cut-off logged with the balance" \
	tqd_wait_log "cut off alice: .*balance -1" 2
check_not "alice cannot reach the server any more" \
	lab_try "$LAB_LAN" "$LAB_SRV4"

# --- the free user is charged (as a record) but keeps access
q0=$(mdb_sql "SELECT quota FROM tcptab WHERE name = 'free'")
tqd_wait_polls 3
q1=$(mdb_sql "SELECT quota FROM tcptab WHERE name = 'free'")
check "free user is debited as a record ($q0 -> $q1)" [ "$q1" -lt "$q0" ]
check "free host still open" tqd_open_is 198.18.1.11 1
check "free host's connection still flows" tqd_alive "$F_TALK"
check "free host still reaches the server" \
	lab_try "$LAB_NS_FREE" "$LAB_SRV4"

# --- heartbeat: a row whose tic is not refreshed expires after tic polls
mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway)
	VALUES ('198.18.1.12', 'carol', 3, 2, 0, 'gw1')"
check "carol's host opened" tqd_wait_ms 2000 tqd_open_is 198.18.1.12 1
tic0=$(mdb_sql "SELECT tic FROM masq WHERE host = '198.18.1.12'")
tqd_wait_polls 1
tic1=$(mdb_sql "SELECT tic FROM masq WHERE host = '198.18.1.12'")
expect_eq "tic decremented by one per poll" $((tic0 - 1)) "$tic1"
check "heartbeat expiry: row deleted" \
	wait_for 6 tqd_open_is 198.18.1.12 ""
check_not "expired host out of the set" tqd_has_host 198.18.1.12
check_not "expired host cannot reach the server" \
	lab_try "$LAB_NS_CAROL" "$LAB_SRV4"

# --- free-access hours that exclude now (from now+2h to now+3h; the
# window may cross midnight): the free row is closed within a poll
TQD_FREE_FROM=$(tqd_hhmm 120) TQD_FREE_TO=$(tqd_hhmm 180) tqd_write
kill -HUP "$TQD_PID"
check "reload logged" tqd_wait_log "configuration reloaded" 5
free_closed() { ! tqd_open_is 198.18.1.11 1 && ! tqd_has_host 198.18.1.11; }
check "free row closed outside the free-access hours" wait_for 3 free_closed
dots() { tr -cd . <"$F_OUT" | wc -c; }
no_flow() {
	local a b
	a=$(dots)
	sleep 0.6
	b=$(dots)
	[ "$a" = "$b" ]
}
check "the free host's connection is cut" wait_for 3 no_flow
check_not "the free host cannot reach the server" \
	lab_try "$LAB_NS_FREE" "$LAB_SRV4"

# Both counted in one copy of the log: read one after the other, a poll
# ending in between made them disagree by one.
cp "$TQD_LOG" "$TQ_TMP/log.now"
full_reads=$(grep -c 'conntrack: full read' "$TQ_TMP/log.now")
polls=$(tqd_polls "$TQ_TMP/log.now")
every_poll() { [ "$full_reads" -ge "$polls" ] && [ "$full_reads" -le $((polls + 1)) ]; }
check "conntrack_resync = 0: a full read in every poll ($full_reads, $polls)" \
	every_poll
tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
