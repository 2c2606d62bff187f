#!/bin/bash
# 039-journal-move.sh - daemon.journal changed by a reload while polls are
# held (database down): the held polls move to the new journal, the old
# one is cut to its header, and when the database returns every charged
# poll is applied exactly once.  A reload to a journal that cannot be
# opened keeps the old one while it holds polls.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-journal-move

tq_require "lab and database set up" tqd_setup
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000);
	INSERT INTO allowed (name) VALUES ('alice');
	INSERT INTO periodtab (quota) VALUES (0);
	INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$LAB_LAN4', 'alice', 1000, 1, 0, 'gw1')"
tqd_write
tq_require "daemon starts" tqd_start
OLD=$TQD_DIR/journal/journal
NEW=$TQD_DIR/journal2/journal
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
snap() {
	tqd_q "SELECT (SELECT quota FROM tcptab WHERE name = 'alice'),
		(SELECT quota FROM periodtab ORDER BY id DESC LIMIT 1)"
}
charged() { grep -c 'charged alice ' "$TQD_LOG" || true; }
reloads() { grep -c "$1" "$TQD_LOG" || true; }

tqd_wait_polls 1
read -r q0 t0 <<<"$(snap)"
n0=$(charged)
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 200 100000
TALK=$TQD_TALK
tqd_wait_polls 2
mdb_kill
check "outage logged" tqd_wait_log "database unavailable" 5
tqd_wait_polls 3
held=$(size "$OLD")
check "the old journal holds polls ($held bytes)" [ "$held" -gt 8 ]

# --- a journal that cannot be opened (its directory is a file): kept
: >"$TQD_DIR/notadir"
sed "s|journal = \".*\";|journal = \"$TQD_DIR/notadir/journal\";|" \
	"$TQD_DIR/tcpquota.conf" >"$TQD_DIR/bad.conf"
cp "$TQD_DIR/tcpquota.conf" "$TQD_DIR/good.conf"
cp "$TQD_DIR/bad.conf" "$TQD_DIR/tcpquota.conf"
r0=$(reloads 'configuration reloaded')
kill -HUP "$TQD_PID"
check "reload to an unusable journal: the old one kept" \
	tqd_wait_log "keeping journal $OLD, which holds [0-9]+ polls?" 5
check "  the rest of the file is loaded" \
	wait_for 5 [ "$(reloads 'configuration reloaded')" -gt "$r0" ]
tqd_wait_polls 2
check "  later held polls still go to the old journal" \
	[ "$(size "$OLD")" -gt "$held" ]

# --- the new journal: the held polls move
sed "s|journal = \".*\";|journal = \"$NEW\";|" "$TQD_DIR/good.conf" \
	>"$TQD_DIR/tcpquota.conf"
kill -HUP "$TQD_PID"
check "reload to a new journal: the held polls moved" \
	tqd_wait_log "journal: [0-9]+ held polls? moved from $OLD to $NEW" 5
tqd_wait_polls 1
expect_eq "the old journal is cut to its header" 8 "$(size "$OLD")"
check "the new one holds them ($(size "$NEW") bytes)" [ "$(size "$NEW")" -gt 8 ]
tqd_wait_polls 2
check "daemon alive" tqd_alive "$TQD_PID"

mdb_restart
check "held polls applied when the database returns" \
	tqd_wait_log "journal: applied held poll" 15
tqd_wait_polls 2
kill "$TALK"
wait "$TALK" 2>/dev/null
tqd_wait_polls 3
read -r q1 t1 <<<"$(snap)"
n1=$(charged)
check "alice charged during the outage too ($((n1 - n0)) polls)" \
	[ $((n1 - n0)) -ge 8 ]
expect_eq "every charged poll applied exactly once" \
	$((3 * (n1 - n0))) $((q0 - q1))
expect_eq "period total matches" $((q0 - q1)) $((t1 - t0))
expect_eq "the new journal is back to its header" 8 "$(size "$NEW")"
expect_eq "the old one stays at its header" 8 "$(size "$OLD")"

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
