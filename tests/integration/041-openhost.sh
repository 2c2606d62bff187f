#!/bin/bash
# 041: openhost against a private MariaDB and a stand-in daemon (SQL loop
# of tests/lib/tools.sh): opening, status lines, heartbeat, closing on
# Enter/TERM/HUP, refusals, two users racing for one host, a daemon that
# does not answer, refuses, or closes the host under the user.
# The real daemon and a real terminal are in 044.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_mount_ns "$@"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tools.sh
. "$TQ_ROOT/tests/lib/tools.sh"
tq_init 041-openhost
# The terminal and login checks are utmp's (103 has logind's).
setup() {
	tq_overlay /run && utmp_only && tools_setup
}
tq_require "set-up" setup
tq "allow alice bob poor; set alice 600; set bob 1200" >/dev/null

# Wake-up datagrams land in a file.
socat -u UNIX-RECV:"$TQ_TMP/wakeup.sock",unlink-early \
	OPEN:"$TQ_TMP/pokes",creat,append 2>/dev/null &
POKER=$!
at_exit "kill $POKER 2>/dev/null"
fake_start

row() { q "SELECT name, open, free, tic FROM masq WHERE host = '$1'"; }
row_is() { [ "$(row "$1")" = "$2" ]; }
no_row() { [ -z "$(row "$1")" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }
grep_out() { grep -q -- "$2" "$1" 2>/dev/null; }

# oh_bg NAME ARGS: openhost in the background, stdin from a FIFO held open
# on fd 7 (echo >&7 presses Enter); OH_PID, output in $TQ_TMP/NAME.out.
oh_bg() {
	local name=$1; shift
	rm -f "$TQ_TMP/$name.fifo"
	mkfifo "$TQ_TMP/$name.fifo"
	exec 7<>"$TQ_TMP/$name.fifo"
	"$TQ_BUILD/openhost" --config "$TOOLS_CONF" "$@" \
		<"$TQ_TMP/$name.fifo" >"$TQ_TMP/$name.out" 2>&1 &
	OH_PID=$!
	at_exit "kill $OH_PID 2>/dev/null"
}

# --- open, status, heartbeat, Enter ------------------------------------------
oh_bg a1 --user alice --host 198.18.1.10
check "alice's row reaches open=1 (free=0, tic=heartbeat)" \
	wait_for 5 row_is 198.18.1.10 "alice 1 0 10"
check "openhost says the host is open" \
	wait_for 3 grep_out "$TQ_TMP/a1.out" "^198.18.1.10 opened for alice.$"
check "the daemon was poked" wait_for 3 test -s "$TQ_TMP/pokes"
check "status line: balance in seconds and money, polls, connections" \
	wait_for 3 grep_out "$TQ_TMP/a1.out" \
	"^balance 600 s (1.00 SEK)  charged 0 polls  0 connections$"
mdb_sql "UPDATE masq SET tic = 1, counter = 4, cnts = 2
	 WHERE host = '198.18.1.10'; UPDATE tcptab SET quota = 540
	 WHERE name = 'alice'"
check "heartbeat: tic back to heartbeat_tics" \
	wait_for 3 row_is 198.18.1.10 "alice 1 0 10"
check "status line follows the database" \
	wait_for 4 grep_out "$TQ_TMP/a1.out" \
	"^balance 540 s (0.90 SEK)  charged 4 polls  2 connections$"
echo >&7
check "Enter: openhost exits" wait_for 5 gone "$OH_PID"
wait "$OH_PID"
expect_eq "Enter: exit 0" 0 "$?"
check "Enter: row removed" no_row 198.18.1.10
check "Enter: says closed" grep_out "$TQ_TMP/a1.out" "^198.18.1.10 closed$"

# --- TERM and HUP close too ---------------------------------------------------
for sig in TERM HUP INT; do
	oh_bg s-$sig --user bob --host 2001:DB8:1:0::12
	check "$sig: bob's IPv6 host (canonical text) opens" \
		wait_for 5 row_is 2001:db8:1::12 "bob 1 0 10"
	kill -"$sig" "$OH_PID"
	check "$sig: openhost exits" wait_for 5 gone "$OH_PID"
	wait "$OH_PID"
	expect_eq "$sig: exit 0" 0 "$?"
	check "$sig: row removed" no_row 2001:db8:1::12
done

# --- refusals -------------------------------------------------------------------
run oh --user nobody --host 198.18.1.10
expect_eq "not allowed" \
	"1 openhost: nobody is not allowed to use the link" "$RC $OUT"
run oh --user poor --host 198.18.1.10
expect_eq "no quota: balance and limit" \
	"1 openhost: no quota left: the balance of poor is 0 s (0.00 SEK), the limit is 0 s (0.00 SEK)" \
	"$RC $OUT"
check "refusals leave no row" no_row 198.18.1.10
run oh --user alice --host lanpc
expect_eq "--host must be numeric" \
	"1 openhost: --host lanpc: not a numeric IPv4/IPv6 address" \
	"$RC $OUT"
run oh --user alice </dev/null
expect_eq "no terminal, no --host" \
	"1 openhost: standard input is not your login terminal; run openhost from the session you logged in with" \
	"$RC $OUT"

oh_bg a2 --user alice --host 198.18.1.10
check "alice open again" wait_for 5 row_is 198.18.1.10 "alice 1 0 10"
# openhost has seen the acknowledgement too (else a row taken away now
# reads as a refused open, not as a close)
check "  and openhost says so" wait_for 5 grep_out "$TQ_TMP/a2.out" \
	"^198.18.1.10 opened for alice.$"
run oh --user alice --host 198.18.1.10
expect_eq "already opened by the same user" \
	"1 openhost: 198.18.1.10 is already opened by alice" "$RC $OUT"
run oh --user bob --host 198.18.1.10
expect_eq "already opened by another user" \
	"1 openhost: 198.18.1.10 is already opened by alice" "$RC $OUT"
expect_eq "the refused attempts left alice's row alone" "alice 1 0 10" \
	"$(row 198.18.1.10)"

# --- the daemon closes the host under the user ----------------------------------
mdb_sql "DELETE FROM masq WHERE host = '198.18.1.10'"
check "closed by the daemon: openhost exits" wait_for 5 gone "$OH_PID"
wait "$OH_PID"
expect_eq "closed by the daemon: exit 2" 2 "$?"
check "closed by the daemon: message" grep_out "$TQ_TMP/a2.out" \
	"^openhost: tcpquotad closed 198.18.1.10 (closed by an administrator or the heartbeat expired)$"

oh_bg a3 --user alice --host 198.18.1.10
check "alice open once more" wait_for 5 row_is 198.18.1.10 "alice 1 0 10"
check "  and openhost says so" wait_for 5 grep_out "$TQ_TMP/a3.out" \
	"^198.18.1.10 opened for alice.$"
mdb_sql "UPDATE tcptab SET quota = -3 WHERE name = 'alice';
	 UPDATE masq SET open = 0 WHERE host = '198.18.1.10'"
check "quota gone: openhost exits" wait_for 5 gone "$OH_PID"
wait "$OH_PID"
expect_eq "quota gone: exit 2" 2 "$?"
check "quota gone: says why" grep_out "$TQ_TMP/a3.out" \
	"^openhost: tcpquotad closed 198.18.1.10: no quota left: the balance of alice is -3 s (-0.01 SEK), the limit is 0 s (0.00 SEK)$"
check "quota gone: row removed" no_row 198.18.1.10
tq set alice 600 >/dev/null

# --- two users, one host, at the same moment -------------------------------------
mkfifo "$TQ_TMP/race.fifo"
exec 8<>"$TQ_TMP/race.fifo"
lost_one() {
	[ "$(cat "$TQ_TMP/r-a" "$TQ_TMP/r-b" 2>/dev/null |
	     grep -c "already opened by")" -ge 1 ]
}
for i in 1 2 3; do
	: >"$TQ_TMP/r-a"; : >"$TQ_TMP/r-b"
	"$TQ_BUILD/openhost" --config "$TOOLS_CONF" --user alice \
		--host 198.18.1.20 <"$TQ_TMP/race.fifo" \
		>"$TQ_TMP/r-a" 2>&1 &
	pa=$!
	"$TQ_BUILD/openhost" --config "$TOOLS_CONF" --user bob \
		--host 198.18.1.20 <"$TQ_TMP/race.fifo" \
		>"$TQ_TMP/r-b" 2>&1 &
	pb=$!
	wait_for 10 lost_one
	wait_for 5 grep -q "opened for" "$TQ_TMP/r-a" "$TQ_TMP/r-b"
	echo >&8	# Enter for the winner
	wait $pa; ra=$?
	wait $pb; rb=$?
	won=$(grep -l "^198.18.1.20 opened for" "$TQ_TMP/r-a" "$TQ_TMP/r-b" |
	      wc -l)
	lost=$(cat "$TQ_TMP/r-a" "$TQ_TMP/r-b" |
	       grep -c "^openhost: 198.18.1.20 is already opened by \(alice\|bob\)$")
	expect_eq "race $i: exactly one wins, one is refused" "1 1" \
		"$won $lost"
	expect_eq "race $i: exit codes 0 and 1" "0 1" \
		"$(printf '%s\n' $ra $rb | sort | tr '\n' ' ' | sed 's/ $//')"
	check "race $i: no row left" no_row 198.18.1.20
done

# --- a daemon that refuses, and one that does not answer ---------------------------
fake_stop
( while [ ! -e "$TQ_TMP/refuser.stop" ]; do
	mdb_sql "DELETE FROM masq WHERE open = 2" >/dev/null 2>&1
	sleep 0.1; done ) &
REFUSER=$!
at_exit "touch $TQ_TMP/refuser.stop; wait $REFUSER 2>/dev/null"
run oh --user alice --host 198.18.1.10 </dev/null
expect_eq "the daemon refused" \
	"1 openhost: the daemon refused to open 198.18.1.10" "$RC $OUT"
touch "$TQ_TMP/refuser.stop"; wait $REFUSER 2>/dev/null

rm -f "$TQ_TMP/refuser.stop"
( while [ ! -e "$TQ_TMP/refuser.stop" ]; do
	mdb_sql "UPDATE masq SET open = 0 WHERE open = 2" >/dev/null 2>&1
	sleep 0.1; done ) &
REFUSER=$!
run oh --user alice --host 198.18.1.10 </dev/null
expect_eq "an open request answered with 0 is a refusal" \
	"1 openhost: the daemon refused to open 198.18.1.10" "$RC $OUT"
check "  and the row is removed" no_row 198.18.1.10
touch "$TQ_TMP/refuser.stop"; wait $REFUSER 2>/dev/null

t0=$SECONDS
run oh --user alice --host 198.18.1.10 </dev/null
expect_eq "no daemon: message" \
	"1 openhost: tcpquotad is not answering (is it running?)" "$RC $OUT"
el=$((SECONDS - t0))
check "no daemon: gave up after max(3 * period, 5) = 5 s (took $el)" \
	test "$el" -ge 4 -a "$el" -le 8
check "no daemon: row removed" no_row 198.18.1.10

tq_done
