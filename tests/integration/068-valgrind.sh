#!/bin/bash
# 068-valgrind.sh - one end-to-end run of tcpquotad under valgrind
# (memcheck): an open request, traffic and charges, conntrack events, a
# close, a cut-off, HUP with a valid and with a broken file, USR1/USR2, a
# database outage with polls held in the journal and applied when it is
# back, SIGTERM.  No memory error, no definite or indirect leak.
# Always the plain build: valgrind and AddressSanitizer do not mix.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-valgrind

tq_require "valgrind installed (make deps)" hash valgrind
# The plain daemon, built if this is a sanitizer run.  A make started by
# "make SANITIZE=1 check" hands its command-line variables down in
# MAKEFLAGS, which would make this one a sanitizer build too.
TQD_BIN=$TQ_ROOT/build/tcpquotad
tq_require -o "$TQ_TMP/make.log" "plain build of tcpquotad" \
	env -u B -u SANITIZE -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -C "$TQ_ROOT" -s --no-print-directory build/tcpquotad
export TQD_BIN
tq_require "lab and database set up" tqd_setup
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000),
	('carol', 40);
	INSERT INTO allowed (name) VALUES ('alice'), ('carol');
	INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1')"
lab_add_lan CAROL 198.18.1.12 2001:db8:1::12

VG=$TQ_TMP/valgrind.log
TQD_WRAP="valgrind --tool=memcheck --error-exitcode=99 --leak-check=full
	--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect
	--track-origins=no --log-file=$VG"
export TQD_WRAP
tqd_write
tq_require "daemon starts under valgrind" tqd_start
ok "daemon starts under valgrind"
check "open request answered" tqd_wait_ms 8000 tqd_open_is "$LAB_LAN4" 1

# Traffic: charged, counted from conntrack events.
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 200 100000
A_TALK=$TQD_TALK
charged() { [ "$(mdb_sql "SELECT counter FROM masq WHERE name = 'alice'")" -ge "$1" ]; }
check "alice charged" wait_for 15 charged 2
cnts_one() { [ "$(mdb_sql "SELECT cnts FROM masq WHERE name = 'alice'")" = 1 ]; }
check "her connection counted (conntrack events)" wait_for 10 cnts_one

# carol opens, talks, is cut off at min_quota (40 -> 37 ... -> <= 0).
mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('198.18.1.12', 'carol', 1000, 2, 0, 'gw1')"
check "carol's host opened" tqd_wait_ms 8000 tqd_open_is 198.18.1.12 1
tqd_talk "$LAB_NS_CAROL" "$LAB_SRV4" "$LAB_PORT" 200 100000
C_TALK=$TQD_TALK
check "carol cut off" tqd_wait_log "cut off: no quota" 40
kill "$C_TALK" 2>/dev/null

# Reloads: a broken file is refused, a valid one loaded; debug off/on.
cp "$TQD_DIR/tcpquota.conf" "$TQ_TMP/good.conf"
echo 'daemon = { period = 0; };' >"$TQD_DIR/tcpquota.conf"
kill -HUP "$TQD_PID"
check "broken reload refused" tqd_wait_log "reload rejected" 10
cp "$TQ_TMP/good.conf" "$TQD_DIR/tcpquota.conf"
kill -HUP "$TQD_PID"
check "valid reload loaded" tqd_wait_log "configuration reloaded" 10
kill -USR2 "$TQD_PID"
check "USR2: debug logging off" tqd_wait_log "debug logging off" 10
kill -USR1 "$TQD_PID"
check "USR1: debug logging on" tqd_wait_log "debug logging on" 10
tqd_wait_polls 2

# Database outage: polls held in the journal, applied when it is back.
mdb_kill
check "outage logged" tqd_wait_log "database unavailable" 15
tqd_wait_polls 2
mdb_restart
check "held polls applied" tqd_wait_log "journal: applied held poll" 30

# Close request, then TERM.
mdb_sql "UPDATE masq SET open = 3 WHERE host = '$LAB_LAN4'"
check "close request answered" tqd_wait_ms 8000 tqd_open_is "$LAB_LAN4" 0
kill "$A_TALK" 2>/dev/null
tqd_stop
expect_eq "SIGTERM: exit status 0 (99 = valgrind found errors)" 0 "$TQD_RC"
check "table removed" lab_gw sh -c '! nft list table inet tcpquota 2>/dev/null'

# valgrind's verdict, from its log.
vg() { grep -E "$1" "$VG" | tail -n 1 | sed 's/^==[0-9]*== *//'; }
expect_eq "memcheck: no errors" "ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 0 from 0)" \
	"$(vg 'ERROR SUMMARY')"
leaks=$(vg 'definitely lost:|no leaks are possible')
case $leaks in
"All heap blocks were freed -- no leaks are possible")
	ok "memcheck: no leaks are possible" ;;
*)
	expect_eq "memcheck: nothing definitely lost" \
		"definitely lost: 0 bytes in 0 blocks" "$leaks"
	expect_eq "memcheck: nothing indirectly lost" \
		"indirectly lost: 0 bytes in 0 blocks" "$(vg 'indirectly lost:')"
	;;
esac
echo "# $(vg 'in use at exit:')"
echo "# $(vg 'total heap usage:')"
tq_done
