#!/bin/bash
# 097-setup-db.sh - tcpquota-setup-db on an empty MariaDB: groups,
# database and tables, three working accounts, password files with the
# right owners and modes; running it again keeps the passwords,
# --new-passwords changes them.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
tq_init setup-db

tq_require "database server starts" mdb_start
# Start from nothing: no database, no accounts.
mariadb --no-defaults -S "$MDB_SOCKET" -uroot -e "
	DROP DATABASE IF EXISTS tcpquota;
	DROP USER IF EXISTS 'tcpquotad'@'localhost', 'tcpquota_tool'@'localhost',
		'tcpquota_admin'@'localhost';"

r=$(tq_rand | cut -c1-6)
G=tqt$r
AG=tqa$r
at_exit "groupdel $G 2>/dev/null; groupdel $AG 2>/dev/null"
E=$TQ_TMP/etc
mkdir -p "$E"
cat >"$E/tcpquota.conf" <<CONF
database = {
	socket = "$MDB_SOCKET";
	name = "tcpquota";
	user = "tcpquotad";
	password_file = "$E/db.secret";
	tool_user = "tcpquota_tool";
	tool_password_file = "$E/tool.secret";
	admin_user = "tcpquota_admin";
	admin_password_file = "$E/admin.secret";
};
quota = {
	admin_group = "$AG";
};
CONF

# (also called through check, with arguments)
# shellcheck disable=SC2120
setup() {
	sh "$TQ_ROOT/scripts/tcpquota-setup-db" --config "$E/tcpquota.conf" \
		--sql-dir "$TQ_ROOT/sql" --group "$G" --no-defaults "$@" \
		>"$TQ_TMP/setup.out" 2>&1
}
# as USER PWFILE SQL: run SQL with an account's password from its file
as() {
	MYSQL_PWD=$(head -n 1 "$2") mariadb --no-defaults -S "$MDB_SOCKET" \
		-u "$1" -N -B tcpquota -e "$3" 2>&1
}

if setup --no-defaults; then
	ok "tcpquota-setup-db succeeds"
else
	cat "$TQ_TMP/setup.out"
	fail "tcpquota-setup-db succeeds"
fi
has_group() { getent group "$1" >/dev/null; }
has_table() { mdb_sql "SELECT 1 FROM $1 LIMIT 1" >/dev/null; }
# refused USER PASSWORD: the server turns the login down
refused() {
	! MYSQL_PWD=$2 mariadb --no-defaults -S "$MDB_SOCKET" -u "$1" \
		-e 'SELECT 1' tcpquota >/dev/null 2>&1
}
check "group $G created" has_group "$G"
check "group $AG created" has_group "$AG"
for t in tcptab allowed masq periodtab logging logging_openfw; do
	check "table $t exists" has_table "$t"
done
expect_eq "db.secret is root:root 0600" "600 root root" \
	"$(stat -c '%a %U %G' "$E/db.secret")"
expect_eq "tool.secret is root:$G 0640" "640 root $G" \
	"$(stat -c '%a %U %G' "$E/tool.secret")"
expect_eq "admin.secret is root:$AG 0640" "640 root $AG" \
	"$(stat -c '%a %U %G' "$E/admin.secret")"
for f in db tool admin; do
	check "$f.secret holds a 32-character password" \
		grep -qxE '[A-Za-z0-9]{32}' "$E/$f.secret"
done
check_not "the passwords differ" \
	[ "$(cat "$E/db.secret")" = "$(cat "$E/tool.secret")" ]
check_not "no password in the output" \
	grep -qF "$(cat "$E/tool.secret")" "$TQ_TMP/setup.out"

expect_eq "the daemon's account reads masq" 0 \
	"$(as tcpquotad "$E/db.secret" 'SELECT COUNT(*) FROM masq')"
expect_eq "the tools' account reads tcptab" 0 \
	"$(as tcpquota_tool "$E/tool.secret" 'SELECT COUNT(*) FROM tcptab')"
expect_eq "the admins' account reads tcptab" 0 \
	"$(as tcpquota_admin "$E/admin.secret" 'SELECT COUNT(*) FROM tcptab')"
check "a wrong password is refused" refused tcpquotad wrong
# The tools' connections: the server's 200 less a tenth (20), kept for
# the daemon and the admins, whose accounts have no limit.
expect_eq "the tools' account holds at most 180 connections" \
	"tcpquotad 0 tcpquota_tool 180 tcpquota_admin 0" \
	"$(mdb_sql "SELECT User, max_user_connections FROM mysql.user
		WHERE User LIKE 'tcpquota%' ORDER BY User = 'tcpquota_admin',
		User = 'tcpquota_tool', User" | tr '\t\n' '  ' | sed 's/ $//')"
check "... and says so" grep -qx "account tcpquota_tool: at most 180 connections at once (the server allows 200; the rest is kept for the daemon and the admins)" "$TQ_TMP/setup.out"
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('free', -1008888)"
expect_eq "the original's query works verbatim" -1008888 \
	"$(as tcpquota_admin "$E/admin.secret" "SELECT quota FROM tcptab WHERE name LIKE 'free'")"

# Again: nothing changes, everything still works, data kept.
sums=$(cat "$E"/*.secret | md5sum)
check "a second run succeeds" setup
expect_eq "a second run keeps the passwords" "$sums" \
	"$(cat "$E"/*.secret | md5sum)"
expect_eq "and the data" -1008888 \
	"$(as tcpquotad "$E/db.secret" "SELECT quota FROM tcptab WHERE name = 'free'")"

check "--tool-connections 0: no limit" setup --tool-connections 0
expect_eq "... none" 0 "$(mdb_sql "SELECT max_user_connections FROM mysql.user
	WHERE User = 'tcpquota_tool'")"
check "... and says so" grep -qx "account tcpquota_tool: no connection limit (--tool-connections 0)" "$TQ_TMP/setup.out"

old=$(cat "$E/db.secret")
check "--new-passwords succeeds" setup --new-passwords
check_not "--new-passwords changes them" [ "$(cat "$E/db.secret")" = "$old" ]
expect_eq "the new daemon password works" 0 \
	"$(as tcpquotad "$E/db.secret" 'SELECT COUNT(*) FROM masq')"
check "the old one no longer does" refused tcpquotad "$old"

check_not "refuses a socket it cannot reach" \
	sh "$TQ_ROOT/scripts/tcpquota-setup-db" --config "$E/tcpquota.conf" \
	--sql-dir "$TQ_ROOT/sql" --socket "$TQ_TMP/none.sock" --no-defaults \
	2>/dev/null
# --- the configuration as the daemon reads it: one-line sections (as
# tcpquota.conf(5) writes them), password_file = "" (no password: no
# file written, the account's password left alone); --host grants the
# accounts to the gateway's connections instead of localhost.
E3=$TQ_TMP/oneline.conf
cat >"$E3" <<CONF
database = { socket = "$MDB_SOCKET"; name = "tq_other"; user = "tq_d2"; password_file = ""; tool_user = "tq_t2"; tool_password_file = "$E/t2.secret"; admin_user = "tq_a2"; admin_password_file = "$E/a2.secret"; };
quota = { admin_group = "$AG"; };
CONF
if sh "$TQ_ROOT/scripts/tcpquota-setup-db" --config "$E3" \
	--sql-dir "$TQ_ROOT/sql" --group "$G" --no-defaults \
	--host '198.18.0.%' >"$TQ_TMP/setup3.out" 2>&1; then
	ok "one-line sections, --host: succeeds"
else
	cat "$TQ_TMP/setup3.out"
	fail "one-line sections, --host: succeeds"
fi
expect_eq "... the database the file names" 0 \
	"$(mdb_sql "SELECT COUNT(*) FROM tq_other.masq")"
expect_eq "... the accounts it names, for the gateway's host only" \
	"tq_a2 198.18.0.% tq_d2 198.18.0.% tq_t2 198.18.0.%" \
	"$(mdb_sql "SELECT User, Host FROM mysql.user WHERE User LIKE 'tq\_%'
		ORDER BY User" | tr '\t\n' '  ' | sed 's/ $//')"
expect_eq "... the daemon's account without a password" "" \
	"$(mdb_sql "SELECT authentication_string FROM mysql.user
		WHERE User = 'tq_d2'")"
# shellcheck disable=SC2016 # backquotes of SQL names, not a command
check "... its grants on that database, for that host" \
	grep -qF 'ON `tq_other`.`masq` TO `tq_d2`@`198.18.0.%`' \
	<<<"$(mdb_sql "SHOW GRANTS FOR 'tq_d2'@'198.18.0.%'")"
expect_eq "... the files written: the two the file names, no default" \
	"wrote $E/t2.secret (root:$G 0640)
wrote $E/a2.secret (root:$AG 0640)" \
	"$(grep '^wrote ' "$TQ_TMP/setup3.out")"
check "... says why the daemon's has none" grep -qxF \
	'no password file for tq_d2 (its password_file is ""): its password is left as it is' \
	"$TQ_TMP/setup3.out"
check "... and for which host" grep -qxF \
	"accounts tq_d2, tq_t2, tq_a2 are set up for connections from 198.18.0.%" \
	"$TQ_TMP/setup3.out"
out=$(sh "$TQ_ROOT/scripts/tcpquota-setup-db" --config "$E3" \
	--host "x'y" 2>&1)
expect_eq "a bad --host: exit 2, what to give" \
	"2 tcpquota-setup-db: --host 'x'y': not a host name, address or pattern; give e.g. gw1.lan, 198.18.0.1 or 198.18.0.%" \
	"$? $out"
printf 'database = { nam = "x"; };\n' >"$TQ_TMP/bad.conf"
out=$(sh "$TQ_ROOT/scripts/tcpquota-setup-db" --config "$TQ_TMP/bad.conf" \
	--sql-dir "$TQ_ROOT/sql" 2>&1)
expect_eq "a broken file: the parser's reason, nothing done" \
	"1 tcpquotad: $TQ_TMP/bad.conf:1: database.nam: unknown setting; check the spelling (known here: socket, host, port, name, user, password_file, timeout, tool_user, tool_password_file, admin_user, admin_password_file)
tcpquota-setup-db: cannot read database.name from $TQ_TMP/bad.conf (above: why)" \
	"$? $out"
tq_done
