# shellcheck shell=bash
# mariadb-setup.sh - schema and accounts of the private test server.
# Sourced by mdb_setup (mariadb.sh) once the server answers.
#
#   mdb_load_schema   apply sql/migrations through sql/migrate.sh, create
#                     the accounts tcpquotad, tcpquota_tool, tcpquota_admin
#                     with random passwords written to $MDB_SECRET,
#                     $MDB_TOOL_SECRET, $MDB_ADMIN_SECRET (mode 0600), and
#                     load sql/grants.sql.
#   mdb_migrate       run sql/migrate.sh against the server (prints what it
#                     applied; nothing when the schema is current).
#   mdb_as ACCOUNT SQL  run SQL as tcpquotad, tcpquota_tool or
#                     tcpquota_admin (password through a defaults file).

mdb_migrate() {
	TQ_MARIADB="mariadb --no-defaults -S $MDB_SOCKET -uroot" \
		"$TQ_ROOT/sql/migrate.sh" tcpquota
}

# _mdb_newpw: 32 random letters and digits (nothing to quote).
_mdb_newpw() {
	tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32
}

mdb_load_schema() {
	local a u f pw
	mdb_migrate >"$MDB_DIR/migrate.log" 2>&1 || {
		echo "sql/migrate.sh failed:" >&2
		cat "$MDB_DIR/migrate.log" >&2
		return 1
	}
	{
		for a in tcpquotad:"$MDB_SECRET" tcpquota_tool:"$MDB_TOOL_SECRET" \
			tcpquota_admin:"$MDB_ADMIN_SECRET"; do
			u=${a%%:*}
			f=${a#*:}
			pw=$(_mdb_newpw)
			(umask 077 && printf '%s\n' "$pw" >"$f")
			echo "CREATE USER IF NOT EXISTS '$u'@'localhost';"
			echo "ALTER USER '$u'@'localhost' IDENTIFIED BY '$pw';"
		done
		cat "$TQ_ROOT/sql/grants.sql"
		echo "FLUSH PRIVILEGES;"
	} | mariadb --no-defaults -S "$MDB_SOCKET" -uroot tcpquota || {
		echo "creating the accounts failed" >&2
		return 1
	}
}

mdb_as() {
	local u=$1 f
	case $u in
	tcpquotad) f=$MDB_SECRET ;;
	tcpquota_tool) f=$MDB_TOOL_SECRET ;;
	tcpquota_admin) f=$MDB_ADMIN_SECRET ;;
	*) echo "mdb_as: unknown account $u" >&2; return 2 ;;
	esac
	mariadb --defaults-extra-file=<(printf '[client]\npassword=%s\n' \
		"$(head -n 1 "$f")") -S "$MDB_SOCKET" -u"$u" -N -B tcpquota \
		-e "$2"
}
