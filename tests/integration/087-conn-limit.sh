#!/bin/bash
# 087-conn-limit.sh - the tools cannot starve the daemon of database
# connections (issue 20, item 7), on a server with max_connections = 11:
#   - tcpquota-setup-db gives the tools' account a MAX_USER_CONNECTIONS
#     limit that leaves room for the daemon and the admins (default, and
#     --tool-connections N);
#   - 12 openhost sessions (more than the server's connections) all run,
#     none holds a connection between heartbeats, and a killed daemon
#     connects again and polls at once;
#   - a tool beyond the account's limit says so and what to do;
#   - a daemon that cannot connect because the server is full says why at
#     warning level, also after its connection was already lost, and
#     connects once there is room.
# (tcpquota-setup-db creates groups: the test runs in a private mount
# namespace with an overlay on /etc.)
. "$(dirname "$0")/../lib/lib.sh"
tq_mount_ns "$@"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
. "$TQ_ROOT/tests/lib/tools.sh"
tq_init tqd-conn-limit

tq_require "a private /etc" tq_overlay /etc
tq_require "lab and database set up" tqd_setup
MAXC=11
NS=12
mdb_sql "SET GLOBAL max_connections = $MAXC"
TQD_HB=30 tqd_write
TOOLS_CONF=$TQD_DIR/tcpquota.conf
sed -i 's/^quota = {$/quota = {\n\tadmin_group = "tqadm";/' "$TOOLS_CONF"

setup_db() {
	sh "$TQ_ROOT/scripts/tcpquota-setup-db" --config "$TOOLS_CONF" \
		--sql-dir "$TQ_ROOT/sql" --group tqtools --no-defaults "$@" \
		>"$TQ_TMP/setup.out" 2>&1
}
tool_limit() {
	mdb_sql "SELECT max_user_connections FROM mysql.user
		WHERE User = 'tcpquota_tool'"
}
tq_require -o "$TQ_TMP/setup1.out" "tcpquota-setup-db on the test server" \
	setup_db
expect_eq "setup-db: the tools' account limited, room kept" \
	"account tcpquota_tool: at most 6 connections at once (the server allows 11; the rest is kept for the daemon and the admins)" \
	"$(grep '^account tcpquota_tool:' "$TQ_TMP/setup.out")"
expect_eq "... MAX_USER_CONNECTIONS 6" 6 "$(tool_limit)"
check "setup-db --tool-connections 3" setup_db --tool-connections 3
expect_eq "--tool-connections 3" 3 "$(tool_limit)"
run setup_db --tool-connections 11
expect_eq "--tool-connections as many as the server allows: refused" \
	"1 tcpquota-setup-db: --tool-connections 11 leaves no connection of the 11 the server allows (max_connections) for the daemon and the admins; give at most 10, or raise max_connections" \
	"$RC $(cat "$TQ_TMP/setup.out")"
run setup_db --tool-connections x
expect_eq "--tool-connections x: refused" \
	"2 tcpquota-setup-db: --tool-connections x: not a number; give the connections the tools may hold at once, e.g. 100 (0: no limit)" \
	"$RC $(cat "$TQ_TMP/setup.out")"
tq_require "setup-db again (the default)" setup_db
expect_eq "the default again" 6 "$(tool_limit)"

# --- users, and the daemon
{
	printf 'INSERT INTO tcptab (name, quota) VALUES '
	sep=""
	for ((i = 0; i < NS; i++)); do printf "%s('u%02d', 100000)" "$sep" "$i"; sep=","; done
	printf ';\nINSERT INTO allowed (name) VALUES '
	sep=""
	for ((i = 0; i < NS; i++)); do printf "%s('u%02d')" "$sep" "$i"; sep=","; done
	printf ', (%s);\n' "'late'"
} >"$TQ_TMP/users.sql"
mdb_sql "$(cat "$TQ_TMP/users.sql"); INSERT INTO tcptab VALUES ('late', 100000)"
tq_require "daemon starts" tqd_start
check "the daemon connected" tqd_wait_log "info: database connected" 5

# tool_conns: connections of the tools' account now.
tool_conns() {
	mdb_sql "SELECT COUNT(*) FROM information_schema.processlist
		WHERE user = 'tcpquota_tool'"
}
# --- 12 openhost sessions, each with its stdin held open
OH=()
for ((i = 0; i < NS; i++)); do
	mkfifo "$TQ_TMP/in$i"
	"$TQ_BUILD/openhost" --config "$TOOLS_CONF" --user "$(printf 'u%02d' "$i")" \
		--host "198.18.1.$((20 + i))" <"$TQ_TMP/in$i" \
		>"$TQ_TMP/oh$i.out" 2>&1 &
	OH+=($!)
	exec {fd}>"$TQ_TMP/in$i"	# the "terminal": open until we close it
	eval "FD$i=$fd"
done
end_sessions() {
	local p
	for p in "${OH[@]}"; do kill "$p" 2>/dev/null; done
}
at_exit end_sessions
all_open() {
	[ "$(mdb_sql "SELECT COUNT(*) FROM masq WHERE open = 1")" = "$NS" ]
}
check "all $NS sessions opened their hosts" wait_for 20 all_open
for ((i = 0; i < NS; i++)); do
	check "session $i runs" tqd_alive "${OH[$i]}"
done
# Sampled over 3 s: the sessions hold no connection between heartbeats.
most=0
for ((k = 0; k < 30; k++)); do
	n=$(tool_conns)
	[ "$n" -gt "$most" ] && most=$n
	sleep 0.1
done
check "at most 6 connections of the tools at any sample (saw $most)" \
	[ "$most" -le 6 ]
tic_ok() {
	[ "$(mdb_sql "SELECT COUNT(*) FROM masq WHERE tic >= 25")" = "$NS" ]
}
check "every session keeps its heartbeat" tic_ok

# --- the daemon killed and started again: it connects and polls at once
kill -KILL "$TQD_PID"
wait "$TQD_PID" 2>/dev/null
mv "$TQD_LOG" "$TQD_LOG.1"
tq_require "daemon starts again beside the sessions" tqd_start
check "... connected" tqd_wait_log "info: database connected" 5
check_not "... never refused a connection" \
	grep -q "Too many connections\|max_user_connections" "$TQD_LOG"
# acked HOST: a request of late's for HOST is answered (then removed).
acked() {
	mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway)
		VALUES ('$1', 'late', 30, 2, 0, 'gw1')"
	tqd_wait_ms 5000 tqd_open_is "$1" 1
	local rc=$?
	mdb_sql "DELETE FROM masq WHERE host = '$1'"
	return $rc
}
check "... and answers a request" acked 198.18.1.50
expect_eq "... the sessions' hosts still open" "$NS" \
	"$(mdb_sql "SELECT COUNT(*) FROM masq WHERE open = 1")"

# kill_conns USER: end every connection of the account (root's statement
# tried again while the server is full, see below).
kill_conns() {
	wait_for 15 mdb_sql "KILL CONNECTION USER '$1'" 2>/dev/null
}
# sleepers USER: that account's connections running SELECT SLEEP.
sleepers() {
	mdb_sql "SELECT COUNT(*) FROM information_schema.processlist
		WHERE user = '$1' AND info LIKE 'SELECT SLEEP%'"
}
# hold USER N: N connections of USER held in SELECT SLEEP(60) (a start
# that loses its race with a session's heartbeat is made again).
hold() {
	local k
	for ((k = $(sleepers "$1"); k < $2; k++)); do
		mdb_as "$1" "SELECT SLEEP(60)" >/dev/null 2>&1 &
	done
	sleep 0.3
	[ "$(sleepers "$1")" -ge "$2" ]
}
at_exit kill_conns tcpquota_tool
at_exit kill_conns tcpquota_admin
# --- a tool beyond the account's limit: its 6 connections held elsewhere
tq_require "6 connections of the tools' account held" \
	wait_for 15 hold tcpquota_tool 6
run "$TQ_BUILD/openhost" --config "$TOOLS_CONF" --user late \
	--host 198.18.1.60 </dev/null
expect_eq "openhost beyond the limit: exit 1, the reason and what to do" \
	"1 openhost: cannot connect to the database: connecting to database tcpquota as tcpquota_tool through socket $MDB_SOCKET: User 'tcpquota_tool' has exceeded the 'max_user_connections' resource (current value: 6) (error 1226: the account's connections are all in use; try again in a minute, or ask an administrator to raise its limit with tcpquota-setup-db --tool-connections)" \
	"$RC $OUT"
expect_eq "... no row written" "" \
	"$(mdb_sql "SELECT host FROM masq WHERE name = 'late'")"
check "the daemon answers requests meanwhile" acked 198.18.1.51
for ((i = 0; i < NS; i++)); do
	check "session $i still runs" tqd_alive "${OH[$i]}"
done
kill_conns tcpquota_tool

# --- the server full: the daemon's connection killed, the reconnect
# refused (1040): a warning with what to do (also when the lost
# connection was said already).  10 admin sessions beside the daemon's,
# then max_connections 10 (MariaDB's least): once the daemon's is gone
# there is no room left.
tq_require "10 admin sessions beside the daemon's" \
	wait_for 15 hold tcpquota_admin $((MAXC - 1))
# Root has one connection beyond max_connections, and races the
# sessions' heartbeats for it: a tool's connection holds that slot from
# the server's accept until its refusal.  Root tries again; the SET and
# the KILL go in one connection, both or neither.
daemon_conn() {
	id=$(mdb_sql "SELECT id FROM information_schema.processlist
		WHERE user = 'tcpquotad' LIMIT 1" 2>/dev/null) && [ -n "$id" ]
}
tq_require "the daemon's connection found on the full server" \
	wait_for 15 daemon_conn
tq_require "max_connections $((MAXC - 1)) and the daemon's connection killed" \
	wait_for 15 mdb_sql "SET GLOBAL max_connections = $((MAXC - 1));
		KILL CONNECTION $id"
check "the full server said, at warning level, with the fix" \
	tqd_wait_log "warning: database( unavailable)?: .*Too many connections \(error 1040: every connection the server allows \(max_connections\) is taken; the daemon keeps trying: raise max_connections, or limit the tools' account with tcpquota-setup-db --tool-connections\)" 15
kill_conns tcpquota_admin
mdb_sql "SET GLOBAL max_connections = $MAXC"
connected_twice() {
	[ "$(grep -c "info: database connected" "$TQD_LOG")" -eq 2 ]
}
check "room again: the daemon connects" wait_for 15 connected_twice

# --- the sessions end as a user ends them: Enter
for ((i = 0; i < NS; i++)); do
	eval "fd=\$FD$i"
	echo >&"$fd"
done
for ((i = 0; i < NS; i++)); do
	wait "${OH[$i]}"
	rc=$?
	[ "$rc" -eq 0 ] || { fail "session $i: exit $rc"; cat "$TQ_TMP/oh$i.out"; }
done
expect_eq "every row removed" 0 "$(mdb_sql "SELECT COUNT(*) FROM masq")"
tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
