# shellcheck shell=bash
# shellcheck disable=SC2034,SC2120
# tqd.sh - the real tcpquotad in the namespace lab, for the end-to-end
# tests (tests/integration/03x-*.sh).  Needs lib.sh, lab.sh and mariadb.sh.
#
#   tqd_setup           lab_create + mdb_start + the lab's users table rows
#                       are left to the test; sets TQD_DIR=$TQ_TMP
#   tqd_conf            print a tcpquota.conf from these variables:
#     TQD_DIR (files)  TQD_GATEWAY (gw1)  TQD_PERIOD (1)  TQD_HB (30)
#     TQD_RATE (2)  TQD_TARIFFS ("")  TQD_FREE_FROM/TQD_FREE_TO (00:00)
#     TQD_MIN_QUOTA (0)  TQD_KILL (false)  TQD_MIN_UID (1000)
#     TQD_CHECK_LOCAL (true)  TQD_RESYNC (unset: the default)
#     TQD_NETWORK (lab_conf output)
#     TQD_BIND_MAC (unset: no bind_mac line; true/false: network.bind_mac)
#   tqd_write [FILE]    write it (default $TQD_DIR/tcpquota.conf)
#   tqd_start [NS [CONF]]  start `tcpquotad --debug` (TQD_BIN, under
#                       TQD_WRAP if set; foreground, debug
#                       log: one "poll took" line per poll) in NS (default
#                       the lab gateway); sets TQD_PID, TQD_LOG; waits for
#                       the first poll.  Stopped at exit.
#   tqd_stop [PID]      SIGTERM, wait; TQD_RC = exit status
#   tqd_polls [LOG]     polls logged so far
#   tqd_wait_polls N [LOG]   wait until N more polls are logged
#   tqd_wait_log PATTERN [SECONDS [LOG]]   wait for a line (grep -E)
#   tqd_set [NS]        elements of set hosts4 and hosts6, one a line
#   tqd_has_host ADDR [NS]   ADDR is in the firewall set
#   tqd_uids [NS]       elements of the blocked uid set
#   tqd_hhmm MINUTES    local time now + MINUTES as HH:MM (may wrap)
#   tqd_q SQL           mdb_sql, whitespace squeezed to single spaces
#   tqd_useradd NAME    a throw-away passwd user in an overlay on /etc (the
#                       test runs in a private mount namespace); TQD_UID

TQD_PIDS=()

tqd_setup() {
	lab_create || return 1
	mdb_start || return 1
	TQD_DIR=$TQ_TMP
	export TQD_DIR
}

tqd_conf() {
	local dir=${TQD_DIR:-$TQ_TMP}
	cat <<CONF
daemon = {
	period = ${TQD_PERIOD:-1};
	heartbeat_tics = ${TQD_HB:-30};
	gateway = "${TQD_GATEWAY:-gw1}";
	pidfile = "$dir/tcpquotad.pid";
	logfile = "$dir/tcpquotad.log";
	journal = "$dir/journal/journal";
	wakeup = "$dir/wakeup.sock";
};
$(mdb_conf)
${TQD_NETWORK:-$(lab_conf | sed "s/^};/	check_local = ${TQD_CHECK_LOCAL:-true};${TQD_RESYNC:+\n	conntrack_resync = $TQD_RESYNC;}${TQD_BIND_MAC:+\n	bind_mac = $TQD_BIND_MAC;}\n};/")}
quota = {
	min_quota = ${TQD_MIN_QUOTA:-0};
	min_uid = ${TQD_MIN_UID:-1000};
	free_users = [ "free" ];
	kill_processes = ${TQD_KILL:-false};
	message_file = "";
};
rates = {
	default = ${TQD_RATE:-2};
	tariffs = ( ${TQD_TARIFFS:-} );
};
free_access = {
	days = "daily";
	from = "${TQD_FREE_FROM:-00:00}";
	to = "${TQD_FREE_TO:-00:00}";
};
CONF
}

tqd_write() {
	tqd_conf >"${1:-${TQD_DIR:-$TQ_TMP}/tcpquota.conf}"
}

tqd_polls() {
	local log=${1:-$TQD_LOG} n
	n=$(grep -c 'poll took' "$log" 2>/dev/null) || true
	echo "${n:-0}"
}

_tqd_polls_ge() { [ "$(tqd_polls "$2")" -ge "$1" ]; }

tqd_wait_polls() {
	local n=$1 log=${2:-$TQD_LOG} target
	target=$(($(tqd_polls "$log") + n))
	wait_for $((n * ${TQD_PERIOD:-1} + 10)) _tqd_polls_ge "$target" "$log"
}

_tqd_grep() { grep -Eq -- "$1" "$2" 2>/dev/null; }

tqd_wait_log() {
	wait_for "${2:-10}" _tqd_grep "$1" "${3:-$TQD_LOG}"
}

tqd_start() {
	local ns=${1:-$LAB_GW} conf=${2:-${TQD_DIR:-$TQ_TMP}/tcpquota.conf}
	local log n0
	log=$(sed -n 's/^\s*logfile = "\(.*\)";/\1/p' "$conf")
	n0=$(tqd_polls "$log")
	# TQD_WRAP: a command the daemon runs under (068: valgrind ...).
	# shellcheck disable=SC2086
	ip netns exec "$ns" ${TQD_WRAP:-} "${TQD_BIN:-$TQ_BUILD/tcpquotad}" \
		--debug --config "$conf" >>"$log.stderr" 2>&1 &
	TQD_PID=$!
	TQD_LOG=$log
	TQD_PIDS+=("$TQD_PID")
	if [ ${#TQD_PIDS[@]} -eq 1 ]; then at_exit _tqd_kill_all; fi
	# Up once the first poll is logged (or dead).
	wait_for 15 _tqd_polls_ge $((n0 + 1)) "$log" || {
		echo "tcpquotad did not start; log:" >&2
		tail -n 20 "$log" "$log.stderr" >&2
		return 1
	}
}

tqd_stop() {
	local pid=${1:-$TQD_PID}
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	TQD_RC=$?
}

_tqd_kill_all() {
	local p
	for p in "${TQD_PIDS[@]+"${TQD_PIDS[@]}"}"; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	TQD_PIDS=()
	if [ -n "${TQ_KEEP:-}" ] || [ "$TQ_FAILED" -ne 0 ]; then
		for p in "${TQD_DIR:-$TQ_TMP}"/*.log; do
			[ -f "$p" ] && { echo "--- $p"; tail -n 40 "$p"; }
		done
	fi
}

_tqd_elems() {
	ip netns exec "$1" nft list set inet tcpquota "$2" 2>/dev/null |
		tr '\n' ' ' | sed -n 's/.*elements = {\([^}]*\)}.*/\1/p' |
		tr ',' '\n' | awk 'NF { print $1 }'
}

tqd_set() {
	local ns=${1:-$LAB_GW}
	{ _tqd_elems "$ns" hosts4; _tqd_elems "$ns" hosts6; } | sort
}

# (The listing is read whole before grep: grep -q stopping at the first
# match would kill nft with SIGPIPE on a large set, which fails the test
# under pipefail.)
tqd_has_host() {
	local out
	out=$(ip netns exec "${2:-$LAB_GW}" nft list set inet tcpquota \
		"$(case $1 in *:*) echo hosts6 ;; *) echo hosts4 ;; esac)" \
		2>/dev/null) || return 1
	grep -qw -- "$1" <<<"$out"
}

tqd_uids() {
	_tqd_elems "${1:-$LAB_GW}" blocked_uids | sort -n
}

tqd_hhmm() {
	date -d "now + $1 minutes" +%H:%M
}

tqd_q() {
	mdb_sql "$1" | tr -s '\t ' ' '
}

# tqd_useradd NAME: a throw-away user; sets TQD_UID.  Tests must not
# change the host (STYLE.md rule 12), so this refuses to run outside a
# private mount namespace (the test re-executes itself under `unshare -m
# --propagation private`, as 031 does) and, on its first call, mounts an
# overlay on /etc there: useradd writes the overlay's passwd, group, shadow
# and gshadow (it replaces them by rename, so bind-mounted copies of the
# files alone would not do), and the host's /etc never changes.  Every
# process the test starts later, the daemon under `ip netns exec`
# included, inherits the mount namespace and so sees the user.
tqd_useradd() {
	local name=$1 uid=20000
	if [ -z "${TQD_ETC_OV:-}" ]; then
		tq_overlay /etc || return 1
		TQD_ETC_OV=1
	fi
	while getent passwd "$uid" >/dev/null; do uid=$((uid + 1)); done
	useradd -M -N -u "$uid" -d /nonexistent -s /usr/sbin/nologin "$name" \
		>/dev/null || return 1
	TQD_UID=$uid
}

# Wall-clock milliseconds (for durations of a few seconds).
tqd_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# tqd_wait_ms MS CMD...: poll CMD every 20 ms for up to MS milliseconds;
# TQD_MS = time it took.  1 on timeout.
tqd_wait_ms() {
	local limit=$1 t0 now; shift
	t0=$(tqd_ms)
	while :; do
		if "$@"; then
			TQD_MS=$(($(tqd_ms) - t0))
			return 0
		fi
		now=$(tqd_ms)
		if [ $((now - t0)) -ge "$limit" ]; then
			TQD_MS=$((now - t0))
			return 1
		fi
		sleep 0.02
	done
}

# tqd_open_is HOST VALUE [GATEWAY]: the masq row's open column is VALUE
# ("" = no row).
tqd_open_is() {
	[ "$(mdb_sql "SELECT open FROM masq WHERE host = '$1' AND gateway = '${3:-gw1}'")" = "$2" ]
}

# tqd_poke [SOCKET]: what a tool does after writing a request.
tqd_poke() {
	printf x | socat -u - "UNIX-SENDTO:${1:-${TQD_DIR:-$TQ_TMP}/wakeup.sock}" \
		2>/dev/null
}

# tqd_talk NS ADDR PORT [INTERVAL_MS [STALL_MS]]: tqd-talker in the
# background from NS; TQD_TALK = pid, TQD_TALK_OUT = its output file.
# Killed at exit.
TQD_NTALK=0
tqd_talk() {
	local ns=$1; shift
	TQD_NTALK=$((TQD_NTALK + 1))
	TQD_TALK_OUT=$TQ_TMP/talk.$TQD_NTALK
	ip netns exec "$ns" "$TQ_BUILD/tests/tqd-talker" "$@" \
		>"$TQD_TALK_OUT" 2>&1 &
	TQD_TALK=$!
	at_exit "kill $TQD_TALK 2>/dev/null"
}

tqd_alive() { kill -0 "$1" 2>/dev/null; }
tqd_dead() { ! kill -0 "$1" 2>/dev/null; }
