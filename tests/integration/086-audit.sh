#!/bin/bash
# 086-audit.sh - changes of balances and of the allowed list made with
# plain SQL leave a trace (issue 20, item 9): each is a row in logging
# with the account that made it (USER()) and what changed.  The daemon's
# own debits add none, and the tcpquota tool's changes keep their one
# row each (the tool's, with the real user), with the daemon running and
# charging meanwhile.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
. "$TQ_ROOT/tests/lib/tools.sh"
tq_init tqd-audit

tq_require "lab and database set up" tqd_setup
tqd_write
TOOLS_CONF=$TQD_DIR/tcpquota.conf
# The set-up's own rows (root, plain SQL) are the first trace.
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000),
	('bob', 1000);
	INSERT INTO allowed (name) VALUES ('alice'), ('bob');
	INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1')"

# log: the logging rows, oldest first, "USER|ACTION" a line.
log() {
	mdb_sql "SELECT CONCAT(user, '|', action) FROM logging
		ORDER BY \`when\`, action"
}
nlog() { mdb_sql "SELECT COUNT(*) FROM logging"; }
expect_eq "plain SQL as root: every row of the set-up" \
"root@localhost|allow alice by SQL
root@localhost|allow bob by SQL
root@localhost|set alice 100000 (new user) by SQL
root@localhost|set bob 1000 (new user) by SQL" "$(log | sort)"
mdb_sql "DELETE FROM logging"

# --- the daemon charges alice: no row for its debits
tq_require "daemon starts" tqd_start
tq_require "alice's host opened" tqd_wait_ms 5000 tqd_open_is "$LAB_LAN4" 1
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 100
charged() { [ "$(mdb_sql "SELECT quota FROM tcptab WHERE name = 'alice'")" -le $((100000 - 3 * $1)) ]; }
check "alice charged for 5 polls" wait_for 20 charged 5
tqd_wait_polls 2
expect_eq "the daemon's debits: no logging row" 0 "$(nlog)"
expect_eq "... while its polls were applied" 1 \
	"$(mdb_sql "SELECT COUNT(*) >= 5 FROM poll_applied")"

# --- plain SQL as the admins' account (its password file is readable by
# the admin group): each change, exactly
mdb_as tcpquota_admin "UPDATE tcptab SET quota = 500 WHERE name = 'bob'"
mdb_as tcpquota_admin "INSERT INTO tcptab (name, quota) VALUES ('dave', 50)"
mdb_as tcpquota_admin "INSERT INTO allowed (name) VALUES ('dave')"
mdb_as tcpquota_admin "DELETE FROM allowed WHERE name = 'dave'"
mdb_as tcpquota_admin "UPDATE tcptab SET quota = quota + 10
	WHERE name IN ('bob', 'dave')"
mdb_as tcpquota_admin "UPDATE tcptab SET quota = quota WHERE name = 'bob'"
mdb_as tcpquota_admin "INSERT INTO tcptab (name, quota) VALUES ('bob', 5)
	ON DUPLICATE KEY UPDATE quota = quota - VALUES(quota)"
expect_eq "plain SQL as tcpquota_admin: each change, user and action" \
"tcpquota_admin@localhost|set bob 500 (was 1000) by SQL
tcpquota_admin@localhost|set dave 50 (new user) by SQL
tcpquota_admin@localhost|allow dave by SQL
tcpquota_admin@localhost|deny dave by SQL
tcpquota_admin@localhost|set bob 510 (was 500) by SQL
tcpquota_admin@localhost|set dave 60 (was 50) by SQL
tcpquota_admin@localhost|set bob 505 (was 510) by SQL" \
	"$(mdb_sql "SELECT CONCAT(user, '|', action) FROM logging")"
mdb_sql "DELETE FROM logging"

# --- as root: what the admins' account may not do
mdb_sql "DELETE FROM tcptab WHERE name = 'dave'"
mdb_sql "UPDATE allowed SET name = 'bob2' WHERE name = 'bob'"
mdb_sql "UPDATE tcptab SET name = 'bob2' WHERE name = 'bob'"
mdb_sql "UPDATE tcptab SET name = 'bob', quota = 7 WHERE name = 'bob2'"
mdb_sql "UPDATE allowed SET name = 'bob' WHERE name = 'bob2'"
expect_eq "plain SQL as root: delete and renames" \
"root@localhost|delete dave (was 60) by SQL
root@localhost|deny bob by SQL
root@localhost|allow bob2 by SQL
root@localhost|rename bob to bob2 by SQL
root@localhost|rename bob2 to bob by SQL
root@localhost|set bob 7 (was 505) by SQL
root@localhost|deny bob2 by SQL
root@localhost|allow bob by SQL" \
	"$(mdb_sql "SELECT CONCAT(user, '|', action) FROM logging")"
mdb_sql "DELETE FROM logging"

# --- the tcpquota tool: its own row for each change, none from the
# triggers (as root, the admins' account)
run tq "set bob 700; add bob -50; allow carol; deny carol; allow carol"
expect_eq "tcpquota: the changes ran" 0 "$RC"
expect_eq "tcpquota: one row each, the tool's" \
"root|set bob 700 (was 7)
root|add bob -50 (now 650)
root|allow carol
root|deny carol
root|allow carol" "$(mdb_sql "SELECT CONCAT(user, '|', action) FROM logging")"
mdb_sql "DELETE FROM logging"
# ... and a plain change right after, on the same server, is traced again
mdb_as tcpquota_admin "UPDATE tcptab SET quota = 600 WHERE name = 'bob'"
expect_eq "a plain change after the tool's is traced" \
	"tcpquota_admin@localhost|set bob 600 (was 650) by SQL" "$(log)"
mdb_sql "DELETE FROM logging"

# --- still nothing for the daemon's debits, over more polls
q0=$(mdb_sql "SELECT quota FROM tcptab WHERE name = 'alice'")
tqd_wait_polls 4
q1=$(mdb_sql "SELECT quota FROM tcptab WHERE name = 'alice'")
check "alice charged again ($q0 -> $q1)" [ "$q1" -lt "$q0" ]
expect_eq "and no logging row for it" 0 "$(nlog)"

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
