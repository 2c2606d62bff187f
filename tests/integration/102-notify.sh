#!/bin/bash
# 102-notify.sh - under Type=notify the daemon tells systemd how it is:
# READY=1 once started, RELOADING=1 (with MONOTONIC_USEC) and READY=1
# around a SIGHUP reload, STOPPING=1 at SIGTERM, and with WATCHDOG_USEC
# WATCHDOG=1 from its loop at half that interval, which stops while the
# loop is held.  A fake NOTIFY_SOCKET (a UNIX datagram listener) records
# the messages in order.  No database: the daemon runs without one.
# The log: with daemon.logfile unset, under systemd (JOURNAL_STREAM names
# its stderr) the journal's lines with priorities, elsewhere
# /var/log/tcpquotad.log (in a mount namespace of the daemon's own, on a
# tmpfs); a failed start says why on stderr exactly once, also forked.
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

# --- the log: daemon.logfile unset ------------------------------------------------
VER=$("$TQD" --version | cut -d' ' -f2)
FWD4='IPv4 forwarding is off (net.ipv4.ip_forward = 0): LAN hosts cannot reach the Internet through this gateway; set net.ipv4.ip_forward = 1 (uncomment it in /etc/sysctl.d/60-tcpquota-forwarding.conf, or add it to a file in /etc/sysctl.d/) and run "sysctl --system"'
FWD6='IPv6 forwarding is off (net.ipv6.conf.all.forwarding = 0): LAN hosts cannot reach the Internet through this gateway; set net.ipv6.conf.all.forwarding = 1 (uncomment it in /etc/sysctl.d/60-tcpquota-forwarding.conf, or add it to a file in /etc/sysctl.d/) and run "sysctl --system"'
JCONF=$TQ_TMP/nolog.conf
echo 'daemon = { pidfile = "'"$TQ_TMP"'/pid"; journal = "'"$TQ_TMP"'/j"; wakeup = ""; period = 1; };' |
	cat - <(grep -v '^daemon\|^\s*journal' "$CONF") >"$JCONF"
JS=$TQ_TMP/journal-stream
: >"$JS"
# JOURNAL_STREAM names the stream's device and inode, as systemd sets it
# for a service whose stderr is the journal.
JSID=$(stat -c %d:%i "$JS")
JOURNAL_STREAM=$JSID ip netns exec "$NS" "$TQD" -f --config "$JCONF" \
	2>>"$JS" &
JPID=$!
at_exit "kill -TERM $JPID 2>/dev/null"
tq_require "started with the journal" wait_for 20 \
	grep -q 'table inet tcpquota created' "$JS"
kill -TERM "$JPID"
wait "$JPID"
expect_eq "journal: exit 0" 0 "$?"
expect_eq "journal: the start's lines, each with its priority" \
	"<6>tcpquotad $VER starting (pid $JPID, gateway gw1, config $JCONF)
<4>$FWD4
<4>$FWD6" "$(head -n 3 "$JS")"
expect_eq "journal: the clean exit's last lines" \
	"<6>signal 15 (Terminated): cleaning up" \
	"$(grep -F 'cleaning up' "$JS")"
expect_eq "journal: ends with its exit" "<6>exiting" "$(tail -n 1 "$JS")"
expect_eq "journal: every line has a priority prefix" "" \
	"$(grep -v '^<[0-7]>' "$JS")"

# Not under systemd: /var/log/tcpquotad.log, seen through the daemon's
# own root (/proc/PID/root) in its mount namespace.
# shellcheck disable=SC2016
env -u JOURNAL_STREAM unshare -m --propagation private sh -c \
	'mount -t tmpfs tmpfs /var/log && exec ip netns exec "$1" "$2" -f \
	 --config "$3"' sh "$NS" "$TQD" "$JCONF" 2>"$TQ_TMP/plain-stderr" &
FPID=$!
at_exit "kill -TERM $FPID 2>/dev/null"
flog=/proc/$FPID/root/var/log/tcpquotad.log
tq_require "started without JOURNAL_STREAM" wait_for 20 \
	grep -q 'table inet tcpquota created' "$flog"
check "no journal: /var/log/tcpquotad.log has the start" grep -Eq \
	"^[0-9-]+ [0-9:.]+ tcpquotad\[$FPID\] info: tcpquotad $VER starting \(pid $FPID, " \
	"$flog"
kill -TERM "$FPID"
wait "$FPID"
expect_eq "  exit 0, nothing on stderr" "0 " "$? $(cat "$TQ_TMP/plain-stderr")"

# A start that fails (the debit journal below a file): the reason once.
BAD=$TQ_TMP/bad.conf
sed "s|journal = \"[^\"]*\"|journal = \"$JCONF/j\"|" "$JCONF" >"$BAD"
WHY="journal $JCONF/j: Not a directory"
: >"$JS"
JOURNAL_STREAM=$JSID ip netns exec "$NS" "$TQD" -f --config "$BAD" 2>>"$JS"
expect_eq "failed start, journal: exit 1" 1 "$?"
expect_eq "  the reason once, as a warning" "<4>$WHY" \
	"$(grep -F "$WHY" "$JS")"
expect_eq "  nothing without a priority" "" "$(grep -v '^<[0-7]>' "$JS")"
sed "s|^daemon = { |daemon = { logfile = \"$TQ_TMP/bad.log\"; |" "$BAD" \
	>"$BAD.file"
OUT=$(ip netns exec "$NS" "$TQD" -f --config "$BAD.file" 2>&1 >/dev/null)
expect_eq "failed start, a log file, -f: the reason on stderr once" \
	"1 tcpquotad: $WHY" "$? $OUT"
check "  and in the log" grep -q "warning: $WHY\$" "$TQ_TMP/bad.log"
OUT=$(ip netns exec "$NS" "$TQD" --config "$BAD.file" 2>&1 >/dev/null)
expect_eq "failed start, forked: the parent says why" \
	"1 tcpquotad: $WHY" "$? $OUT"
expect_eq "  the log has it once per start" 2 \
	"$(grep -c "warning: $WHY\$" "$TQ_TMP/bad.log")"
tq_done
