#!/bin/bash
# 070-ack-race.sh - a tool rewrites a masq row between the poll's snapshot
# and its commit: the tool's request is never overwritten or lost.
#
# The daemon is stopped (SIGSTOP) while the row is written and a tool's
# transaction rewrites it and holds its lock; let go, the daemon's poll
# reads the row as it was committed (the tool's change is not yet), acts
# on it, and its acknowledgement waits for the tool's lock.  The tool
# commits once the daemon waits (information_schema.innodb_trx); then:
#   - an open request (2) the tool turned into a close request (3): the
#     poll's "opened" (1) must not overwrite the 3; the next poll closes
#   - a refused request of bob's the tool replaced by alice's request for
#     the same host: the poll's delete must not take alice's row; the next
#     poll opens it for her
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=tests/lib/lab.sh
. "$TQ_ROOT/tests/lib/lab.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tqd.sh
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-ack-race

setup() {
	tqd_setup || return 1
	mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000),
		('bob', 100000);
		INSERT INTO allowed (name) VALUES ('alice');" || return 1
	tqd_write && tqd_start
}
tq_require "lab, database and daemon set up" setup
ok "daemon starts and polls"

# tool_begin SQL: a tool's transaction, left open (its row locks held) in
# a mariadb session of its own that reads statements from a FIFO.
TOOL_N=0
tool_begin() {
	TOOL_N=$((TOOL_N + 1))
	local fifo=$TQ_TMP/tool.$TOOL_N
	mkfifo "$fifo" || return 1
	mariadb --no-defaults -S "$MDB_SOCKET" -uroot -N -B -n tcpquota \
		<"$fifo" >"$fifo.out" 2>&1 &
	TOOL_PID=$!
	at_exit "kill $TOOL_PID 2>/dev/null"
	exec 7>"$fifo"
	printf 'START TRANSACTION;\n%s\nSELECT "written";\n' "$1" >&7
	wait_for 10 grep -q written "$fifo.out"
}
tool_commit() {
	printf 'COMMIT;\n' >&7
	exec 7>&-
	wait "$TOOL_PID"
}
# The daemon's transaction waits for a lock.
daemon_waits() {
	[ "$(mdb_sql "SELECT COUNT(*) FROM information_schema.innodb_trx
		WHERE trx_state = 'LOCK WAIT'")" -ge 1 ]
}
row() {
	mdb_sql "SELECT CONCAT(name, ' ', open) FROM masq
		WHERE gateway = 'gw1' AND host = '$1'"
}

# ---- an open request turned into a close request meanwhile ----
kill -STOP "$TQD_PID"
mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway)
	VALUES ('$LAB_LAN4', 'alice', 30, 2, 0, 'gw1')"
check "tool: close request written, not yet committed" \
	tool_begin "UPDATE masq SET open = 3 WHERE gateway = 'gw1' AND host = '$LAB_LAN4';"
kill -CONT "$TQD_PID"
check "the poll opens the host" \
	tqd_wait_log "opened $LAB_LAN4 for alice \\(open request\\)"
check "its acknowledgement waits for the tool's row lock" \
	wait_for 10 daemon_waits
tool_commit
tqd_wait_polls 1
r=$(row "$LAB_LAN4")
check "the tool's close request is not overwritten (row: $r)" \
	test "$r" = "alice 3" -o "$r" = "alice 0"
check "the next poll answers it: closed" \
	wait_for 5 tqd_open_is "$LAB_LAN4" 0
check_not "... and out of the firewall" tqd_has_host "$LAB_LAN4"

# ---- a refused request replaced by another user's request ----
kill -STOP "$TQD_PID"
mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway)
	VALUES ('198.18.1.11', 'bob', 30, 2, 0, 'gw1')"
check "tool: bob's row replaced by alice's request, not yet committed" \
	tool_begin "DELETE FROM masq WHERE gateway = 'gw1' AND host = '198.18.1.11';
		INSERT INTO masq (host, name, tic, open, free, gateway)
		VALUES ('198.18.1.11', 'alice', 30, 2, 0, 'gw1');"
kill -CONT "$TQD_PID"
check "the poll refuses bob's request" \
	tqd_wait_log "deleted masq row 198.18.1.11 of bob \\(refused: not allowed\\)"
check "its delete waits for the tool's row lock" wait_for 10 daemon_waits
tool_commit
tqd_wait_polls 1
r=$(row 198.18.1.11)
check "alice's request is not deleted (row: \"$r\")" \
	test "$r" = "alice 2" -o "$r" = "alice 1"
check "the next poll answers it: opened for alice" \
	wait_for 5 tqd_open_is 198.18.1.11 1
check "... and in the firewall" tqd_has_host 198.18.1.11
check "daemon still running" tqd_alive "$TQD_PID"
check_not "no warning logged" grep -q warning "$TQD_LOG"

tq_done
