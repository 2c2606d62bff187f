# shellcheck shell=bash
# shellcheck disable=SC2034
# tools.sh - helpers for the tools' integration tests (tests/integration/
# 04x-*.sh).  Needs lib.sh and mariadb.sh.
#
#   tools_setup          mdb_start + a config in $TOOLS_CONF (gateway gw1,
#                        period 1, heartbeat 10, wakeup socket in $TQ_TMP,
#                        money 0.1 SEK/minute, groups room1/room2/room3,
#                        free access all day)
#   tools_conf           print that config (TOOLS_* variables change it:
#                        TOOLS_ADMIN_GROUP, TOOLS_PERIOD, TOOLS_DB (the
#                        database section), TOOLS_WAKEUP, TOOLS_FREE_FROM/TO)
#   tq ARGS / oh ARGS / fw ARGS   run build/tcpquota, openhost, openfw with
#                        --config $TOOLS_CONF
#   fake_start / fake_stop   a stand-in for tcpquotad that answers the masq
#                        protocol with SQL every 0.1 s: open=2 -> 1 for
#                        allowed users with quota > 0 (and free rows), else
#                        delete; open=3 -> 0.  For the tools-only tests.
#   q SQL                mdb_sql with whitespace squeezed
#   run CMD...           run CMD: stdout+stderr into $OUT, status into $RC
#   json_ok              stdin is valid JSON (jq)
#   utmp_only            logins from /run/utmp, also where logind runs
#   utmp_add FILE ...    append a utmp record

TOOLS_FAKE_PID=

tools_conf() {
	cat <<CONF
daemon = {
	period = ${TOOLS_PERIOD:-1};
	heartbeat_tics = 10;
	gateway = "gw1";
	pidfile = "$TQ_TMP/tcpquotad.pid";
	logfile = "-";
	journal = "$TQ_TMP/journal";
	wakeup = "${TOOLS_WAKEUP-$TQ_TMP/wakeup.sock}";
};
${TOOLS_DB:-$(mdb_conf)}
quota = {
	min_quota = ${TOOLS_MIN_QUOTA:-0};
	free_users = [ "free" ];
	admin_group = "${TOOLS_ADMIN_GROUP:-tcpquota-admin}";
	message_file = "";
};
rates = {
	default = 2;
	money_unit = "SEK";
	money_per_minute = 0.1;
};
free_access = {
	days = "daily";
	from = "${TOOLS_FREE_FROM:-00:00}";
	to = "${TOOLS_FREE_TO:-00:00}";
};
groups = {
	room1 = [ "198.18.1.10", "198.18.1.11", "2001:db8:1::12" ];
	room2 = [ "198.18.2.10" ];
	room3 = [ "localhost" ];
};
CONF
}

tools_setup() {
	mdb_start || return 1
	TOOLS_CONF=$TQ_TMP/tcpquota.conf
	export TOOLS_CONF
	tools_conf >"$TOOLS_CONF"
}

tq() { "$TQ_BUILD/tcpquota" --config "$TOOLS_CONF" "$@"; }
oh() { "$TQ_BUILD/openhost" --config "$TOOLS_CONF" "$@"; }
fw() { "$TQ_BUILD/openfw" --config "$TOOLS_CONF" "$@"; }

q() { mdb_sql "$1" | tr -s '\t ' ' '; }

run() {
	OUT=$("$@" 2>&1)
	RC=$?
}

json_ok() { jq -e . >/dev/null 2>&1; }

_fake_loop() {
	while [ ! -e "$TQ_TMP/fake.stop" ]; do
		mariadb --no-defaults -S "$MDB_SOCKET" -uroot -N -B tcpquota -e "
			DELETE FROM masq WHERE open = 2 AND free = 0 AND
			  (name NOT IN (SELECT name FROM allowed) OR
			   name NOT IN (SELECT name FROM tcptab WHERE quota > 0));
			UPDATE masq SET open = 1 WHERE open = 2;
			UPDATE masq SET open = 0 WHERE open = 3;" \
			>/dev/null 2>&1
		sleep 0.1
	done
}

fake_start() {
	rm -f "$TQ_TMP/fake.stop"
	_fake_loop &
	TOOLS_FAKE_PID=$!
	at_exit fake_stop
}

fake_stop() {
	[ -n "$TOOLS_FAKE_PID" ] || return 0
	# Stop between two rounds, so no late UPDATE lands after we return.
	touch "$TQ_TMP/fake.stop"
	wait "$TOOLS_FAKE_PID" 2>/dev/null
	TOOLS_FAKE_PID=
}

# utmp_only: the tools and the daemon read this test's login records from
# /run/utmp also where logind runs (lib/logins.c asks logind when systemd
# booted the machine): systemd's marker /run/systemd/system is hidden in
# the test's own overlay of /run (tq_overlay /run first).
utmp_only() {
	if [ "$(stat -f -c %T /run)" != overlayfs ]; then
		echo "utmp_only: /run is not the test's overlay" >&2
		return 1
	fi
	rm -rf /run/systemd/system
}

# utmp_add FILE TYPE PID USER LINE HOST [ADDR]: append one utmp record
# (TYPE 7 = USER_PROCESS, 8 = DEAD_PROCESS) with utmpdump -r.
utmp_add() {
	local file=$1 type=$2 pid=$3 user=$4 line=$5 host=$6 addr=${7:-0.0.0.0}
	local id=${line: -4}
	printf '[%s] [%05d] [%-4s] [%-8s] [%-12s] [%-20s] [%-15s] [%s]\n' \
		"$type" "$pid" "$id" "$user" "$line" "$host" "$addr" \
		"$(date -u +%Y-%m-%dT%H:%M:%S,000000+00:00)" |
		utmpdump -r 2>/dev/null >>"$file"
}
