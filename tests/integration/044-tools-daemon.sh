#!/bin/bash
# 044: the tools with the real tcpquotad in the namespace lab.  openhost
# runs on a real pseudo-terminal (tmux): the LAN host cannot reach the
# server, openhost opens it (status line on screen, host in the nft set,
# traffic passes), Enter closes it (row gone, set empty, traffic blocked).
# openfw toggles a room and force-closes a user's host; tcpquota top and
# hosts show the daemon's view.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=tests/lib/lab.sh
. "$TQ_ROOT/tests/lib/lab.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tqd.sh
. "$TQ_ROOT/tests/lib/tqd.sh"
# shellcheck source=tests/lib/tools.sh
. "$TQ_ROOT/tests/lib/tools.sh"
tq_init 044-tools-daemon
tq_require "set-up" tqd_setup
TQD_HB=10
tqd_write
cat >>"$TQD_DIR/tcpquota.conf" <<EOF
groups = { room1 = [ "$LAB_LAN4", "$LAB_LAN6" ]; };
EOF
TOOLS_CONF=$TQD_DIR/tcpquota.conf
tq_require "tcpquotad start" tqd_start
tq "allow alice; set alice 600" >/dev/null

SOCK=$TQ_TMP/tmux.sock
at_exit "tmux -S $SOCK kill-server 2>/dev/null"
screen() { tmux -S "$SOCK" capture-pane -p -t "$1"; }
on_screen() { screen "$1" | grep -q -- "$2"; }
reaches() { lab_try "$LAB_LAN" "$LAB_SRV4" >/dev/null 2>&1; }
blocked() { ! lab_try "$LAB_LAN" "$LAB_SRV4" >/dev/null 2>&1; }
open_is() { tqd_open_is "$@"; }
pane_rc() { cat "$TQ_TMP/$1.rc" 2>/dev/null; }

# pane NAME ARGS: openhost ARGS in a tmux pane; exit status to NAME.rc.
pane() {
	local n=$1; shift
	tmux -S "$SOCK" new-session -d -s "$n" -x 160 -y 10 \
		"$TQ_BUILD/openhost --config $TOOLS_CONF $*; echo \$? >$TQ_TMP/$n.rc; sleep 60"
}

check "before openhost the LAN host is blocked" blocked

# --- openhost on a terminal, Enter closes ---------------------------------------
t0=$(tqd_ms)
pane p1 --user alice --host "$LAB_LAN4"
check "openhost: opened by the daemon" \
	wait_for 10 on_screen p1 "^$LAB_LAN4 opened for alice.$"
echo "# open took $(($(tqd_ms) - t0)) ms (with tmux start-up)"
check "openhost: status line on the terminal" \
	wait_for 5 on_screen p1 "^balance [0-9-]* s ([0-9.-]* SEK)  charged [0-9]* polls\?  [0-9]* connections\?  \[Enter closes\]"
check "the host is in the firewall set" tqd_has_host "$LAB_LAN4"
check "traffic passes" wait_for 5 reaches
run tq hosts
check "tcpquota hosts shows the open row" \
	grep -Eq "^gw1 +$LAB_LAN4 +alice +open +paid " <<<"$OUT"
run tq --once top
check "tcpquota top shows alice's host" \
	grep -Eq "^gw1 +$LAB_LAN4 +alice +open +paid " <<<"$OUT"
tmux -S "$SOCK" send-keys -t p1 Enter
check "Enter: openhost exits" wait_for 10 test -s "$TQ_TMP/p1.rc"
expect_eq "Enter: exit 0" 0 "$(pane_rc p1)"
check "Enter: row removed" open_is "$LAB_LAN4" ""
check "Enter: host out of the set" wait_for 5 bash -c \
	"! ip netns exec $LAB_GW nft list set inet tcpquota hosts4 | grep -qw $LAB_LAN4"
check "Enter: traffic blocked again" blocked
check "Enter: says closed" on_screen p1 "^$LAB_LAN4 closed$"

# --- a heartbeat keeps the row: tic stays near heartbeat_tics ---------------------
pane p2 --user alice --host "$LAB_LAN4"
wait_for 10 on_screen p2 "opened for alice"
tqd_wait_polls 4
tic=$(mdb_sql "SELECT tic FROM masq WHERE host = '$LAB_LAN4'")
check "heartbeat: tic ($tic) kept above heartbeat_tics - 3" \
	test "${tic:-0}" -gt 7

# --- openfw cls under the user; the daemon's close reaches openhost ------------------
run fw cls "$LAB_LAN4"
expect_eq "openfw cls: acknowledged by the daemon" "0 $LAB_LAN4 closed" \
	"$RC $OUT"
check "openhost exits" wait_for 10 test -s "$TQ_TMP/p2.rc"
expect_eq "  with status 2" 2 "$(pane_rc p2)"
check "  and tells the user" on_screen p2 "tcpquotad closed $LAB_LAN4"
check "the host is out of the set" wait_for 5 bash -c \
	"! ip netns exec $LAB_GW nft list set inet tcpquota hosts4 | grep -qw $LAB_LAN4"

# --- openfw toggles a room --------------------------------------------------------------
run fw room1
expect_eq "openfw room1: both addresses opened by the daemon" \
	"0 opening group room1 for free access
$LAB_LAN4 opened (free)
$LAB_LAN6 opened (free)" "$RC $OUT"
check "free host in the set" tqd_has_host "$LAB_LAN4"
check "free host passes traffic" wait_for 5 reaches
run fw room1
expect_eq "openfw room1 again: closed" "0 closing group room1
$LAB_LAN4 closed
$LAB_LAN6 closed" "$RC $OUT"
check "room closed: blocked" blocked
expect_eq "no rows left" "" "$(mdb_sql "SELECT host FROM masq")"

# --- the daemon closes a user whose quota is gone ------------------------------------------
pane p3 --user alice --host "$LAB_LAN4"
wait_for 10 on_screen p3 "opened for alice"
tq "set alice 0" >/dev/null
check "quota gone: openhost exits" wait_for 15 test -s "$TQ_TMP/p3.rc"
expect_eq "  with status 2" 2 "$(pane_rc p3)"
check "  saying why" on_screen p3 "no quota left"

tq_done
