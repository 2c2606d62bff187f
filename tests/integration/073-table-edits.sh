#!/bin/bash
# 073-table-edits.sh - edits of the daemon's table that keep a rule's
# shape, and flushes, are reverted at once (issue 20, item 6).  The
# daemon compares its table whole (every expression of every rule, every
# chain, every set and the uid sets' elements) and listens to the
# nftables ruleset events, so each edit below is reverted within 100 ms,
# with a poll period of 5 s (a poll cannot be what finds it), and logged
# once with what changed:
#   the final drop of the forward chain turned into accept;
#   the local-network rule widened to 128.0.0.0/1;
#   the @hosts4 look-up inverted;
#   an extra base chain with policy drop in the table;
#   uid 0 (root) added to blocked_uids;
#   nft flush ruleset.
# Each time is measured from the end of the edit by polling the table
# until it is as before (below), and `nft list table` (counters zeroed)
# must then be the listing from before the edit.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init 073-table-edits

tq_require "lab and database set up" tqd_setup
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000);
	INSERT INTO allowed (name) VALUES ('alice');
	INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1')"
TQD_PERIOD=5
tqd_write
tq_require "daemon starts" tqd_start
check "alice's host opened" tqd_wait_ms 8000 tqd_open_is "$LAB_LAN4" 1
N() { lab_gw nft "$@"; }
listing() {
	N list table inet tcpquota 2>/dev/null |
		sed -E 's/packets [0-9]+ bytes [0-9]+/packets 0 bytes 0/g'
}
listing >"$TQ_TMP/want"
check "the table holds alice's host" grep -q "$LAB_LAN4" "$TQ_TMP/want"
same() { listing | cmp -s - "$TQ_TMP/want"; }
# The revert is timed by nftb-tool wait-text: the table as text (chains,
# rules with every expression, sets, elements; no handles, counters
# zeroed) read in one process every millisecond, until it is the text
# before the edit; a listing through nft(8) takes a process start and a
# full cache, tens of milliseconds on a loaded machine.
T() { lab_gw "$TQ_BUILD/tests/nftb-tool" --config "$TQD_DIR/tcpquota.conf" "$@"; }
T table-text >"$TQ_TMP/want.text"
check "the table as text holds alice's host" \
	grep -q "host $LAB_LAN4" "$TQ_TMP/want.text"
# handle CHAIN COMMENT: the handle of the rule with that comment
handle() {
	N -a list chain inet tcpquota "$1" |
		awk -v c="comment \"$2\"" 'index($0, c) { print $NF }'
}
altered() { grep -c 'missing or altered' "$TQD_LOG"; }

# edit NAME PATTERN CMD...: run the edit, wait for the listing to be the
# one before it, within 100 ms; one new log line matching PATTERN.
edit() {
	local name=$1 pat=$2 n0 ms waiter; shift 2
	tqd_wait_polls 1 # right after a poll: the next is 5 s away
	n0=$(altered)
	# the timer runs before the edit and starts when the edit is in
	rm -f "$TQ_TMP/t0"
	T wait-text "$TQ_TMP/want.text" 3000 "$TQ_TMP/t0" >"$TQ_TMP/ms" &
	waiter=$!
	sleep 0.2	# it is running
	"$@" || { fail "$name: the edit itself failed"; return; }
	tqd_ms >"$TQ_TMP/t0"
	wait "$waiter"
	ms=$(cat "$TQ_TMP/ms")
	check "$name: back as it was within 100 ms ($ms ms)" \
		[ "${ms:-9999}" -le 100 ]
	check "$name: nft lists it as before" tqd_wait_ms 1000 same
	expect_eq "$name: logged once" $((n0 + 1)) "$(altered)"
	check "$name: the log says what changed" \
		tqd_wait_log "missing or altered, rebuilding with [0-9]+ open hosts?: $pat" 1
}

H=$(handle forward "hosts not opened")
edit "final reject into accept" \
	'chain forward rule [0-9]+ \("hosts not opened"\): .*reject.* is now .*accept' \
	N replace rule inet tcpquota forward handle "$H" \
	iifname lan0 oifname wan0 counter accept comment '"hosts not opened"'
H=$(handle forward "local network 198.18.1.0/24: free")
edit "local network widened to 128.0.0.0/1" \
	'chain forward rule [0-9]+ \("local network 198.18.1.0/24: free"\): ' \
	N replace rule inet tcpquota forward handle "$H" \
	iifname lan0 oifname wan0 ip daddr 128.0.0.0/1 counter accept \
	comment '"local network 198.18.1.0/24: free"'
H=$(handle forward "opened IPv4 hosts")
edit "@hosts4 look-up inverted" \
	'chain forward rule [0-9]+ \("opened IPv4 hosts"\): ' \
	N replace rule inet tcpquota forward handle "$H" \
	iifname lan0 oifname wan0 ip saddr != @hosts4 counter accept \
	comment '"opened IPv4 hosts"'
edit "extra base chain with policy drop" 'chain evil is not the daemon.s' \
	N add chain inet tcpquota evil \
	'{ type filter hook forward priority -10; policy drop; }'
edit "uid 0 added to blocked_uids" 'set blocked_uids: uid 0 .*not the daemon.s' \
	N add element inet tcpquota blocked_uids '{ 0 }'
edit "nft flush ruleset" 'table inet tcpquota missing' N flush ruleset

# the host still goes out, root is not blocked
expect_eq "alice's host reaches the server" "$LAB_GW_WAN4" \
	"$(lab_try "$LAB_LAN" "$LAB_SRV4")"
expect_eq "no uid blocked" "" "$(tqd_uids)"
tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
