#!/bin/bash
# 101-conf-get.sh - `tcpquotad --get KEY` prints the value the daemon
# uses, defaults included, from files the admin scripts' old awk parser
# read wrongly: tcpquota.conf(5)'s own example (one-line sections),
# socket = "" and password_file = "" (documented values, not defaults);
# an unknown key or a list of groups: exit 2 with what to do.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_init conf-get
TQD=$TQ_BUILD/tcpquotad

# get FILE KEY: stdout and stderr, then the exit status
get() {
	local out rc
	out=$("$TQD" --config "$1" --get "$2" 2>&1)
	rc=$?
	printf '%s\n%s' "$out" "$rc"
}

# --- the example of tcpquota.conf(5), as the page shows it
EX=$TQ_TMP/example.conf
sed -n '/^\.SH EXAMPLES/,/^\.EE/p' "$TQ_ROOT/man/tcpquota.conf.5" |
	sed -n '/^\.EX/,/^\.EE/{/^\.E[XE]/d;s/\\-/-/g;p}' >"$EX"
check "the example is extracted" grep -q '^daemon = { period = 5;' "$EX"
for kv in \
	"daemon.period=5" \
	"daemon.gateway=gw1" \
	"daemon.pidfile=/run/tcpquotad.pid" \
	"database.socket=/run/mysqld/mysqld.sock" \
	"database.name=tcpquota" \
	"database.port=3306" \
	"database.password_file=/etc/tcpquota/db.secret" \
	"network.lan=eth1" \
	"network.local_networks=192.168.0.0/16
fd00::/8" \
	"network.check_local=true" \
	"network.bind_mac=false" \
	"quota.min_quota=0" \
	"quota.free_users=free" \
	"quota.admin_group=tcpquota-admin" \
	"rates.default=2"; do
	expect_eq "example: ${kv%%=*}" "${kv#*=}
0" "$(get "$EX" "${kv%%=*}")"
done

# --- "" is a value, not "use the default"
E2=$TQ_TMP/empty-values.conf
cat >"$E2" <<'CONF'
daemon = { logfile = "-"; wakeup = ""; };
database = { socket = ""; host = "db.lan"; port = 3307; name = "tq2";
	password_file = ""; tool_password_file = ""; };
CONF
for kv in \
	"database.socket=" \
	"database.host=db.lan" \
	"database.port=3307" \
	"database.name=tq2" \
	"database.password_file=" \
	"database.tool_password_file=" \
	"database.admin_password_file=/etc/tcpquota/admin.secret" \
	"daemon.logfile=-" \
	"daemon.wakeup="; do
	expect_eq "empty values: ${kv%%=*}" "${kv#*=}
0" "$(get "$E2" "${kv%%=*}")"
done

# --- what --get cannot answer
expect_eq "unknown setting in a section: exit 2, the known ones" \
	"tcpquotad: database.nam: unknown setting; check the spelling (known in database: socket, host, port, name, user, password_file, timeout, tool_user, tool_password_file, admin_user, admin_password_file)
2" "$(get "$E2" database.nam)"
expect_eq "no section: exit 2, the form" \
	"tcpquotad: name: unknown setting; use SECTION.NAME, e.g. database.name (sections: daemon, database, network, quota, rates, portal)
2" "$(get "$E2" name)"
expect_eq "a list of groups: exit 2" \
	"tcpquotad: rates.tariffs: a list of groups, not one value; read it in the file
2" "$(get "$EX" rates.tariffs)"
printf 'database = { nam = "x"; };\n' >"$TQ_TMP/bad.conf"
expect_eq "a broken file: exit 1, the parser's message" \
	"tcpquotad: $TQ_TMP/bad.conf:1: database.nam: unknown setting; check the spelling (known here: socket, host, port, name, user, password_file, timeout, tool_user, tool_password_file, admin_user, admin_password_file)
1" "$(get "$TQ_TMP/bad.conf" database.name)"

tq_done
