#!/bin/bash
# lab.sh - "make lab" / "make lab-down": the demo's lab left running so a
# person can try the tools by hand, as root (unlike the demo, the lab
# does not run in a mount namespace of its own, so that it outlives this
# script and a person's shell reaches it: no users are created and the
# tools are not installed setgid; openhost takes --user/--host).
#
#   demo/lab.sh up     private MariaDB, lab namespaces, tcpquotad on the
#                      gateway (daemonized), users alice and bob; prints
#                      instructions and writes $LAB_STATE_DIR/env
#   demo/lab.sh down   stops and removes all of it
#
# State lives in $LAB_STATE_DIR (default build/lab): "state" for lab.sh
# down, "env" for people (". build/lab/env" gives short commands).
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../tests/lib/lib.sh"
# shellcheck source=tests/lib/lab.sh
. "$TQ_ROOT/tests/lib/lab.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
# shellcheck source=demo/common.sh
. "$TQ_ROOT/demo/common.sh"

STATE_DIR=${LAB_STATE_DIR:-$TQ_ROOT/build/lab}
STATE=$STATE_DIR/state

if [ "$(id -u)" -ne 0 ]; then
	echo "lab: run as root (network namespaces, nftables)" >&2
	exit 1
fi

lab_up() {
	if [ -f "$STATE" ]; then
		echo "lab: already up ($STATE); 'make lab-down' first" >&2
		exit 1
	fi
	tq_init lab
	if ! demo_setup fork; then
		echo "lab: set-up failed" >&2
		exit 1
	fi
	lab_gw "$TQ_BUILD/tcpquota" --config "$CONF" \
		"allow alice bob free; set alice 600; set bob 1200" >/dev/null ||
		{ echo "lab: tcpquota failed" >&2; exit 1; }

	mkdir -p "$STATE_DIR"
	{
		declare -p LAB_NSES LAB_PIDS
		printf 'TQ_TMP=%q\nMDB_PID=%q\nMDB_DIR=%q\nMDB_SOCKET=%q\n' \
			"$TQ_TMP" "$MDB_PID" "$MDB_DIR" "$MDB_SOCKET"
		printf 'PIDFILE=%q\n' "$TQ_TMP/tcpquotad.pid"
	} >"$STATE"
	write_env >"$STATE_DIR/env"

	# Leave everything running: disarm the clean-up of lib.sh.
	TQ_EXIT_CMDS=()
	TQ_KEEP=1
	print_help
}

# Short commands for a person in a shell: . build/lab/env
# (the $ in the printf formats belong to the functions written out)
# shellcheck disable=SC2016
write_env() {
	local q
	printf '# source me: . %s/env\n' "$STATE_DIR"
	printf 'TQ_LAB_CONF=%q\n' "$CONF"
	printf 'TQ_LAB_BIN=%q\n' "$TQ_BUILD"
	for q in "gw:$LAB_GW" "alice:$NS_ALICE" "bob:$NS_BOB" \
		"room_a:$NS_ROOM_A" "room_b:$NS_ROOM_B" "srv:$LAB_SRV"; do
		printf '%s() { ip netns exec %q "$@"; }\n' "${q%%:*}" "${q#*:}"
	done
	printf 'tcpquota() { gw "$TQ_LAB_BIN/tcpquota" --config "$TQ_LAB_CONF" "$@"; }\n'
	printf 'openhost() { gw "$TQ_LAB_BIN/openhost" --config "$TQ_LAB_CONF" "$@"; }\n'
	printf 'openfw() { gw "$TQ_LAB_BIN/openfw" --config "$TQ_LAB_CONF" "$@"; }\n'
	printf 'sql() { mariadb --no-defaults -S %q -uroot -t tcpquota -e "$*"; }\n' \
		"$MDB_SOCKET"
	printf 'try() { "$1" socat -T2 - TCP:%s:%s,connect-timeout=2 <<<hello; }\n' \
		"$LAB_SRV4" "$LAB_PORT"
}

print_help() {
	cat <<HELP

The tcpquota lab is up: tcpquotad runs on gateway $LAB_GW
(period $PERIOD s, rate $RATE), MariaDB on $MDB_SOCKET.
LAN hosts: alice $ALICE_IP, bob $BOB_IP, room1 $ROOM_A $ROOM_B;
Internet server $LAB_SRV4 port $LAB_PORT (echoes, after one line with
the address it sees).  alice has 600 s, bob 1200 s.

Short commands:   . $STATE_DIR/env
  tcpquota list                      balances (admin view)
  openhost --user alice --host $ALICE_IP
                                     open alice's host (Enter closes)
  try alice                          connect from alice's host
  alice socat - TCP:$LAB_SRV4:$LAB_PORT   an interactive connection
  openfw room1                       free access for room1 (again: close)
  tcpquota top                       live view (q quits)
  sql 'SELECT * FROM masq'           the tables
  gw nft list table inet $TABLE    the firewall
  tail -f $LOGFILE
Without the env file, each is "ip netns exec $LAB_GW $TQ_BUILD/TOOL
--config $CONF ...".

The tools run as root here, and openhost takes --user/--host: the
admin's way of opening a host on a user's behalf.  Without them it
would look up the login record of your own terminal in /run/utmp,
which names no lab host.  'make demo' shows the users' own way: alice
and bob log in, with a login record each, and run openhost with their
own uid through the tools installed setgid tcpquota.

Tear it all down:  make lab-down
HELP
}

lab_down() {
	local p n
	if [ ! -f "$STATE" ]; then
		echo "lab: not up (no $STATE)"
		return 0
	fi
	# shellcheck source=/dev/null
	. "$STATE"
	# The daemon first, with TERM, so it removes its table and rows.
	if [ -s "$PIDFILE" ]; then
		p=$(cat "$PIDFILE")
		kill -TERM "$p" 2>/dev/null
		n=0
		while kill -0 "$p" 2>/dev/null && [ $n -lt 100 ]; do
			sleep 0.1
			n=$((n + 1))
		done
	fi
	lab_destroy
	if [ -n "$MDB_PID" ] && kill "$MDB_PID" 2>/dev/null; then
		n=0
		while kill -0 "$MDB_PID" 2>/dev/null && [ $n -lt 300 ]; do
			sleep 0.1
			n=$((n + 1))
		done
	fi
	case "$TQ_TMP" in /tmp/tq-lab.*) rm -rf "$TQ_TMP" ;; esac
	rm -f "$STATE" "$STATE_DIR/env"
	echo "lab: down"
}

case "${1:-}" in
up) lab_up ;;
down) lab_down ;;
*) echo "usage: demo/lab.sh up|down" >&2; exit 2 ;;
esac
