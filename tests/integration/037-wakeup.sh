#!/bin/bash
# 037-wakeup.sh - the daemon's wake-up socket (what openhost and openfw
# poke after writing a request), as the gateway's local users meet it:
#   - with a tcpquota group it is 0660 root:tcpquota (the setgid tools
#     reach it), and a user outside the group cannot send to it
#   - a flood of datagrams (socat sending one byte at a time for 3 s) is
#     coalesced: at most one request pass per 20 ms, i.e. a bounded number
#     of database queries; polls go on every period; a request written
#     during the flood is answered at once; nothing is logged as a warning
# The test runs in a private mount namespace with an overlay on /etc, so
# the group it creates never reaches the host.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_mount_ns "$@"
# shellcheck source=tests/lib/lab.sh
. "$TQ_ROOT/tests/lib/lab.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tqd.sh
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-wakeup

FLOOD_S=3

setup() {
	tq_overlay /etc || return 1
	getent group tcpquota >/dev/null || groupadd tcpquota || return 1
	tqd_setup || return 1
	mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000);
		INSERT INTO allowed (name) VALUES ('alice');" || return 1
	tqd_write && tqd_start
}
tq_require "mount namespace, lab, database and daemon set up" setup
ok "daemon starts and polls"
SOCK=$TQD_DIR/wakeup.sock

# --- who may poke
expect_eq "wake-up socket is 0660 root:tcpquota" "660 root tcpquota" \
	"$(stat -c '%a %U %G' "$SOCK")"
# The directory may be passed through (not listed) by anyone, so only the
# socket's own mode stands in the way.
chmod 0711 "$TQD_DIR"
nobody_poke() {
	printf x | setpriv --reuid=65534 --regid=65534 --clear-groups \
		socat -u - "UNIX-SENDTO:$SOCK" 2>"$TQ_TMP/nobody.err"
}
check_not "a user outside the group cannot send to it" nobody_poke
check "refused for the socket's mode" grep -q 'Permission denied' \
	"$TQ_TMP/nobody.err"
check "root can" tqd_poke

# --- a flood
questions() {
	mdb_sql "SHOW GLOBAL STATUS LIKE 'Questions'" | awk '{ print $2 }'
}
q0=$(questions)
p0=$(tqd_polls)
t0=$(date +%s%N)
timeout "$FLOOD_S" socat -u -b1 /dev/zero "UNIX-SENDTO:$SOCK" \
	2>/dev/null &
flood=$!
sleep 0.5
mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway)
	VALUES ('$LAB_LAN4', 'alice', 30, 2, 0, 'gw1')"
if tqd_wait_ms 1000 tqd_open_is "$LAB_LAN4" 1; then
	ok "request written during the flood answered in $TQD_MS ms"
else
	fail "request written during the flood answered within 1 s"
fi
wait "$flood"
ms=$((($(date +%s%N) - t0) / 1000000))
q1=$(questions)
np=$(($(tqd_polls) - p0))
# The flood runs FLOOD_S s: at most one request pass (two snapshot
# queries, plus the open's acknowledgement) per 20 ms, and each poll's
# dozen commands; the questions asked here add a few.  Without the
# coalescing every datagram would cost a pass: thousands.
limit=$(((ms / 20 + 1) * 2 + (np + 1) * 12 + 60))
check "flood of ${ms} ms: $((q1 - q0)) database queries (<= $limit)" \
	[ $((q1 - q0)) -le "$limit" ]
check "polls went on during the flood ($np in $ms ms)" \
	[ "$np" -ge $((ms / 1000 - 1)) ]
check "daemon alive" tqd_alive "$TQD_PID"
check_not "no warning logged" grep -q ' warning: ' "$TQD_LOG"
expect_eq "the opened host reaches the server" "$LAB_GW_WAN4" \
	"$(lab_try "$LAB_LAN" "$LAB_SRV4")"

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
check_not "SIGTERM: the socket is gone" [ -e "$SOCK" ]
tq_done
