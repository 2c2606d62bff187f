#!/bin/bash
# 102-notify.sh - under Type=notify the daemon tells systemd how it is:
# READY=1 once started, RELOADING=1 (with MONOTONIC_USEC) and READY=1
# around a SIGHUP reload, STOPPING=1 at SIGTERM, and with WATCHDOG_USEC
# WATCHDOG=1 from its loop at half that interval, which stops while the
# loop is held.  A fake NOTIFY_SOCKET (a UNIX datagram listener) records
# the messages in order.  No database: the daemon runs without one.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_init notify

NS=tqntf-$(tq_rand)
tq_require "network namespace $NS" ip netns add "$NS"
at_exit "ip netns delete $NS"
tq_require "two interfaces in $NS" \
	ip -n "$NS" link add tqlan0 type veth peer name tqwan0
TQD=$TQ_BUILD/tcpquotad
CONF=$TQ_TMP/tcpquota.conf
SOCK=$TQ_TMP/notify.sock
MSGS=$TQ_TMP/messages
cat >"$CONF" <<CONF
daemon = { logfile = "$TQ_TMP/log"; pidfile = "$TQ_TMP/pid";
	journal = "$TQ_TMP/j"; wakeup = ""; period = 1; };
database = { socket = "$TQ_TMP/no.sock"; password_file = ""; timeout = 1; };
network = { lan = [ "tqlan0" ]; wan = [ "tqwan0" ]; };
CONF

# The listener: one line per datagram, its newlines shown as "|".
python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    out.write(s.recv(4096).decode().replace("\n", "|") + "\n")
' "$SOCK" "$MSGS" &
LPID=$!
at_exit "kill $LPID 2>/dev/null"
tq_require "listener on $SOCK" wait_for 10 [ -S "$SOCK" ]
: >"$MSGS"

NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=600000 \
	ip netns exec "$NS" "$TQD" -f --config "$CONF" 2>"$TQ_TMP/stderr" &
at_exit "kill -TERM \$(cat $TQ_TMP/pid 2>/dev/null) 2>/dev/null"
# the pid file comes before READY=1, the table after start-up
has() { grep -qx "$1" "$MSGS"; }
tq_require "READY=1" wait_for 20 has "READY=1"
dpid=$(cat "$TQ_TMP/pid")
check "the table is built before READY=1" \
	grep -q 'table inet tcpquota created' "$TQ_TMP/log"
wd() { grep -cx "WATCHDOG=1" "$MSGS"; }
wd_ge() { [ "$(wd)" -ge "$1" ]; }
check "WATCHDOG=1 every 300 ms: 3 within 5 s" wait_for 5 wd_ge 3

# A held loop stops the watchdog: nothing while stopped.
kill -STOP "$dpid"
sleep 0.3	# a datagram sent just before the stop is in
n=$(wd)
sleep 1
expect_eq "held loop: no WATCHDOG=1 in 1 s" "$n" "$(wd)"
kill -CONT "$dpid"
check "resumed: WATCHDOG=1 again" wait_for 5 wd_ge $((n + 1))

kill -HUP "$dpid"
check "reload: READY=1 after it" wait_for 10 \
	[ "$(grep -cx 'READY=1' "$MSGS")" -ge 2 ]
kill -TERM "$dpid"
check "exit: STOPPING=1" wait_for 20 has "STOPPING=1"
wait_for 20 grep -q ' exiting$' "$TQ_TMP/log"

expect_eq "the messages in order (watchdog left out)" \
	"READY=1
RELOADING=1|MONOTONIC_USEC=N
READY=1
STOPPING=1" \
	"$(grep -vx 'WATCHDOG=1' "$MSGS" | sed 's/USEC=[0-9]\{1,\}$/USEC=N/')"
mono=$(sed -n 's/^RELOADING=1|MONOTONIC_USEC=\([0-9]*\)$/\1/p' "$MSGS")
now=$(awk '{ printf "%d", $1 * 1000000 }' /proc/uptime)
check "MONOTONIC_USEC is CLOCK_MONOTONIC's, within the last minute" \
	[ "$mono" -le "$now" ] && [ "$mono" -gt $((now - 60000000)) ]

# Without NOTIFY_SOCKET nothing is sent, nothing breaks.
: >"$MSGS"
tables() { grep -c 'created with 0 open hosts' "$TQ_TMP/log"; }
n=$(tables)
ip netns exec "$NS" "$TQD" -f --config "$CONF" 2>>"$TQ_TMP/stderr" &
started() { [ "$(tables)" -gt "$n" ] && [ -s "$TQ_TMP/pid" ]; }
tq_require "started without NOTIFY_SOCKET" wait_for 20 started
kill -TERM "$(cat "$TQ_TMP/pid")"
wait_for 20 [ ! -e "$TQ_TMP/pid" ]
expect_eq "no message without NOTIFY_SOCKET" "" "$(cat "$MSGS")"
tq_done
