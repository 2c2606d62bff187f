#!/bin/bash
# 072-local-users.sh - users on the gateway itself, every protocol (issue
# 20, item 2).  A user not in `allowed` is refused outside from the first
# datagram (UDP: the output chain rejects, send(2) fails with EPERM and
# nothing reaches the server); an allowed user who sends only UDP is
# charged for each poll with traffic (tests/lib/polls.sh: exactly, but at
# an ambiguous poll boundary), and so is one who sends a datagram and then
# only receives a stream; a user whose balance runs out is blocked;
# and blocks survive a restart: after SIGKILL (the table left behind) and
# after SIGTERM (no table: the balance in the database says it) the
# blocked and the not-allowed users are refused from their first
# datagram, while the allowed user goes on.  The users are throw-away
# passwd entries in an overlay on /etc (tqd_useradd).
. "$(dirname "$0")/../lib/lib.sh"
tq_mount_ns "$@"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
. "$TQ_ROOT/tests/lib/polls.sh"
tq_init 072-local-users

tq_require "lab and database set up" tqd_setup
UDP=$TQ_BUILD/tests/udp-stream
r=$(tq_rand | cut -c1-6)
LOC=tql$r	# allowed, with quota
BAD=tqb$r	# in tcptab, not allowed
CUT=tqc$r	# allowed, 3 seconds left: one poll
tq_require "useradd $LOC" tqd_useradd "$LOC"
LOC_UID=$TQD_UID
tq_require "useradd $BAD" tqd_useradd "$BAD"
BAD_UID=$TQD_UID
tq_require "useradd $CUT" tqd_useradd "$CUT"
CUT_UID=$TQD_UID
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('$LOC', 50000),
	('$BAD', 50000), ('$CUT', 3);
	INSERT INTO allowed (name) VALUES ('$LOC'), ('$CUT');
	INSERT INTO periodtab (quota) VALUES (0)"
# One sink per user on the server, counting what arrives.
for p in 9001 9002 9003; do
	lab_srv "$UDP" sink "$p" >"$TQ_TMP/sink.$p" 2>&1 &
	LAB_PIDS+=($!)
done
arrived() { wc -c <"$TQ_TMP/sink.$1"; }

# send_as UID ADDR PORT COUNT [INTERVAL_MS]: datagrams from the gateway as
# UID; the helper's lines into $TQ_TMP/send.out
send_as() {
	ip netns exec "$LAB_GW" setpriv --reuid="$1" --regid=100 \
		--clear-groups "$UDP" send "$2" "$3" "$4" "${5:-100}" \
		>"$TQ_TMP/send.out" 2>&1
}
# refused UID PORT: 3 datagrams over IPv4 and 3 over IPv6, every one
# refused (EPERM, the first included) and none arrived
refused() {
	local a0 out4 out6
	a0=$(arrived "$2")
	send_as "$1" "$LAB_SRV4" "$2" 3 &&
		out4=$(cut -d' ' -f1 "$TQ_TMP/send.out" | paste -sd' ')
	send_as "$1" "$LAB_SRV6" "$2" 3 &&
		out6=$(cut -d' ' -f1 "$TQ_TMP/send.out" | paste -sd' ')
	sleep 0.2	# a datagram let through would have arrived by now
	[ "$out4 $out6" = "EPERM EPERM EPERM EPERM EPERM EPERM" ] &&
		[ "$(arrived "$2")" -eq "$a0" ]
}
# passes UID PORT: 3 datagrams each way, all arrive
passes() {
	local a0 out4 out6
	a0=$(arrived "$2")
	send_as "$1" "$LAB_SRV4" "$2" 3 &&
		out4=$(cut -d' ' -f1 "$TQ_TMP/send.out" | paste -sd' ')
	send_as "$1" "$LAB_SRV6" "$2" 3 &&
		out6=$(cut -d' ' -f1 "$TQ_TMP/send.out" | paste -sd' ')
	[ "$out4 $out6" = "ok ok ok ok ok ok" ] &&
		wait_for 3 _arrived_ge "$2" $((a0 + 6))
}
_arrived_ge() { [ "$(arrived "$1")" -ge "$2" ]; }
quota() { mdb_sql "SELECT quota FROM tcptab WHERE name = '$1'"; }
total() { mdb_sql "SELECT quota FROM periodtab ORDER BY id DESC LIMIT 1"; }

tqd_write
tq_require "daemon starts" tqd_start

# --- not allowed: refused from the first datagram
check "not-allowed $BAD: every datagram refused, the first included, none arrives" \
	refused "$BAD_UID" 9001
tqd_wait_polls 2
expect_eq "not-allowed user not charged" 50000 "$(quota "$BAD")"
expect_eq "nothing arrived from him at all" 0 "$(arrived 9001)"

# --- allowed, UDP only: charged for each poll with traffic
tqd_wait_polls 1
q0=$(quota "$LOC")
t0=$(total)
from=$(polls_from)
send_as "$LOC_UID" "$LAB_SRV4" 9002 50 100
expect_eq "allowed $LOC: 50 datagrams sent" 50 "$(grep -c '^ok ' "$TQ_TMP/send.out")"
check "and arrived" wait_for 3 _arrived_ge 9002 50
sed -n 's/^ok //p' "$TQ_TMP/send.out" >"$TQ_TMP/loc.times"
tqd_wait_polls 3
polls_expect "UDP only, $LOC" "$from" "$TQ_TMP/loc.times" "$LOC"
c=$POLLS_CHARGED
expect_eq "debit = 3 per charged poll" $((3 * c)) $((q0 - $(quota "$LOC")))
expect_eq "period total = the same" $((3 * c)) $(($(total) - t0))

# --- allowed, receiving only: one datagram out, then a stream in (50
# datagrams of 1000 bytes, one per 100 ms, to its connected socket):
# charged for each poll the stream runs through, as a LAN host is (071)
lab_srv "$UDP" serve 9004 50 100 1000 >/dev/null 2>&1 &
LAB_PIDS+=($!)
tqd_wait_polls 1
q0=$(quota "$LOC")
from=$(polls_from)
ip netns exec "$LAB_GW" setpriv --reuid="$LOC_UID" --regid=100 \
	--clear-groups "$UDP" recv "$LAB_SRV4" 9004 1500 >"$TQ_TMP/loc.recv"
expect_eq "receiving $LOC: 50 datagrams in" 50 "$(wc -l <"$TQ_TMP/loc.recv")"
tqd_wait_polls 3
polls_expect "receiving, $LOC" "$from" "$TQ_TMP/loc.recv" "$LOC"
c=$POLLS_CHARGED
expect_eq "receiving: debit = 3 per charged poll" $((3 * c)) \
	$((q0 - $(quota "$LOC")))

# --- the last 3 seconds: one poll, then blocked
send_as "$CUT_UID" "$LAB_SRV4" 9003 1
cut_blocked() { tqd_uids | grep -qx "$CUT_UID"; }
check "$CUT charged down to 0 and blocked" wait_for 5 cut_blocked
check "cut-off logged" tqd_wait_log "cut off $CUT: no quota \(balance 0\)" 2
expect_eq "balance 0" 0 "$(quota "$CUT")"
check "blocked $CUT: every datagram refused" refused "$CUT_UID" 9003
expect_eq "only $CUT is blocked" "$CUT_UID" "$(tqd_uids)"

# --- SIGKILL, restart: the table left behind hands on the blocks
kill -KILL "$TQD_PID"
wait "$TQD_PID" 2>/dev/null
check "killed: the table stays" lab_gw nft list set inet tcpquota blocked_uids
tq_require "daemon restarts after SIGKILL" tqd_start
check "after SIGKILL: $CUT still blocked" cut_blocked
check "after SIGKILL: $CUT refused from the first datagram" \
	refused "$CUT_UID" 9003
check "after SIGKILL: $BAD refused from the first datagram" \
	refused "$BAD_UID" 9001
check "after SIGKILL: $LOC goes out" passes "$LOC_UID" 9002

# --- SIGTERM (the table removed), restart: the database says it
tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
check_not "SIGTERM removed the table" lab_gw nft list table inet tcpquota
tq_require "daemon restarts after SIGTERM" tqd_start
check "after SIGTERM: $CUT blocked from the start" cut_blocked
check "blocked at start logged" \
	tqd_wait_log "blocked uid $CUT_UID \($CUT\): no quota \(balance 0\)" 2
check "after SIGTERM: $CUT refused from the first datagram" \
	refused "$CUT_UID" 9003
check "after SIGTERM: $BAD refused from the first datagram" \
	refused "$BAD_UID" 9001
check "after SIGTERM: $LOC goes out" passes "$LOC_UID" 9002
# root and system uids never pass through the users chain
check "root goes out" passes 0 9002
expect_eq "nothing of $BAD ever arrived" 0 "$(arrived 9001)"
expect_eq "$BAD never charged" 50000 "$(quota "$BAD")"

# --- given quota again: unblocked within a poll
mdb_sql "UPDATE tcptab SET quota = 1000 WHERE name = '$CUT'"
unblocked() { [ -z "$(tqd_uids)" ]; }
check "$CUT unblocked once he has quota" wait_for 5 unblocked
check "and goes out" passes "$CUT_UID" 9003

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
