# shellcheck shell=bash
# mariadb.sh - a private, throw-away MariaDB server for tests and the demo.
# Needs lib.sh (tq_init) first.
#
#   mdb_start      install + start a server in $TQ_TMP/mdb (UNIX socket,
#                  no networking), load the schema and grants; stopped and
#                  removed at exit.  Exports MDB_SOCKET, MDB_DIR, and
#                  MDB_SECRET, MDB_TOOL_SECRET, MDB_ADMIN_SECRET (password
#                  files of the daemon's, the tools' and the admins'
#                  accounts tcpquotad, tcpquota_tool, tcpquota_admin).
#                  Waits MDB_START_TIMEOUT seconds (30) for the server; a
#                  server that is not up by then is killed.
#   mdb_sql SQL    run SQL as the server's root on database tcpquota;
#                  prints tab-separated rows without headers.
#   mdb_stop / mdb_kill (SIGKILL) / mdb_restart / mdb_pause / mdb_resume
#   mdb_conf       print the libconfig "database" section for tcpquota.conf

mdb_server_up() {
	mariadb --no-defaults -S "$MDB_SOCKET" -uroot -e 'SELECT 1' >/dev/null 2>&1
}

_mdb_run() {
	mariadbd --no-defaults --datadir="$MDB_DIR/data" \
		--socket="$MDB_SOCKET" --pid-file="$MDB_DIR/pid" \
		--skip-networking --user=root --log-error="$MDB_DIR/err.log" \
		--innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
		--skip-log-bin --character-set-server=utf8mb4 \
		--innodb-flush-log-at-trx-commit=2 --innodb-doublewrite=0 \
		--collation-server=utf8mb4_unicode_ci \
		--max-connections=200 >/dev/null 2>&1 &
	MDB_PID=$!
	if ! wait_for "${MDB_START_TIMEOUT:-30}" mdb_server_up; then
		echo "mariadb did not start; log:" >&2
		tail -n 20 "$MDB_DIR/err.log" >&2
		# Not left running on a data directory the exit deletes.
		mdb_kill
		return 1
	fi
}

# _mdb_install_db DIR: a fresh data directory (system tables only).
_mdb_install_db() {
	if ! mariadb-install-db --no-defaults --datadir="$1" \
		--user=root --auth-root-authentication-method=socket \
		--skip-test-db --innodb-log-file-size=16M \
		--innodb-buffer-pool-size=32M --innodb-doublewrite=0 \
		--innodb-flush-log-at-trx-commit=0 --skip-log-bin \
		>"$MDB_DIR/install.log" 2>&1; then
		echo "mariadb-install-db failed:" >&2
		tail -n 20 "$MDB_DIR/install.log" >&2
		rm -rf "$1"
		return 1
	fi
}

# _mdb_install: $MDB_DIR/data, copied from a template that
# mariadb-install-db made once per server version under the build
# directory (a copy takes 0.05 s, an install seconds).
_mdb_install() {
	local key tpl tmp
	key=$(mariadbd --version 2>/dev/null | cksum | cut -d' ' -f1)
	tpl=$TQ_BUILD/mdb-template-$key
	if [ ! -d "$tpl" ]; then
		tmp=$tpl.tmp.$$
		if ! mkdir -p "$TQ_BUILD" 2>/dev/null ||
			! _mdb_install_db "$tmp"; then
			rm -rf "$tmp"
			_mdb_install_db "$MDB_DIR/data"
			return
		fi
		# Another test may have won the race: keep theirs.
		mv -T "$tmp" "$tpl" 2>/dev/null || rm -rf "$tmp"
	fi
	cp -a "$tpl" "$MDB_DIR/data"
}

mdb_start() {
	MDB_DIR=$TQ_TMP/mdb
	MDB_SOCKET=$MDB_DIR/mysqld.sock
	MDB_SECRET=$MDB_DIR/tcpquotad.secret
	MDB_TOOL_SECRET=$MDB_DIR/tool.secret
	MDB_ADMIN_SECRET=$MDB_DIR/admin.secret
	export MDB_DIR MDB_SOCKET MDB_SECRET MDB_TOOL_SECRET MDB_ADMIN_SECRET
	mkdir -p "$MDB_DIR"
	_mdb_install || return 1
	# Registered before the server starts: a test stopped during the
	# wait for it (or a start that fails) still ends it, by its pid,
	# before the exit removes its data directory.  (mdb_stop does nothing
	# without a server.)
	at_exit mdb_stop
	_mdb_run || return 1
	mdb_setup
}

# Run as the server's root (socket authentication).
mdb_sql() {
	mariadb --no-defaults -S "$MDB_SOCKET" -uroot -N -B tcpquota -e "$1"
}

mdb_stop() {
	[ -n "${MDB_PID:-}" ] || return 0
	kill "$MDB_PID" 2>/dev/null
	wait "$MDB_PID" 2>/dev/null
	MDB_PID=
}

mdb_kill() {
	[ -n "${MDB_PID:-}" ] || return 0
	kill -9 "$MDB_PID" 2>/dev/null
	wait "$MDB_PID" 2>/dev/null
	MDB_PID=
}

mdb_restart() {
	mdb_stop
	_mdb_run
}

mdb_pause() { kill -STOP "$MDB_PID"; }
mdb_resume() { kill -CONT "$MDB_PID"; }

mdb_conf() {
	cat <<CONF
database = {
	socket = "$MDB_SOCKET";
	name = "tcpquota";
	user = "tcpquotad";
	password_file = "$MDB_SECRET";
	tool_user = "tcpquota_tool";
	tool_password_file = "$MDB_TOOL_SECRET";
	admin_user = "tcpquota_admin";
	admin_password_file = "$MDB_ADMIN_SECRET";
	timeout = 2;
};
CONF
}

# mdb_setup: create the database from sql/ and the accounts from
# sql/grants.sql, writing their passwords to files in $MDB_DIR.
# (Written by the database module; see sql/README.)
mdb_setup() {
	mariadb --no-defaults -S "$MDB_SOCKET" -uroot \
		-e 'CREATE DATABASE IF NOT EXISTS tcpquota CHARACTER SET utf8mb4' || return 1
	if [ -f "$TQ_ROOT/tests/lib/mariadb-setup.sh" ]; then
		# shellcheck source=/dev/null
		. "$TQ_ROOT/tests/lib/mariadb-setup.sh"
		mdb_load_schema
	fi
}
