# shellcheck shell=bash
# shellcheck disable=SC2034
# portal.sh - tcpquota-portal in the namespace lab, for the portal's
# integration tests (tests/integration/05x-portal*.sh).  Needs lib.sh;
# brings lab.sh, mariadb.sh and tqd.sh itself (unless sourced already).
# The test runs in a private mount namespace (tq_mount_ns), as the users
# and files below go to overlays.
#
#   portal_setup        tqd_setup + an overlay on /etc with: group tcpquota
#                       (daemon.tools_group), user tcpquota-portal, the
#                       PAM service file, users alice and bob (uids from
#                       20000, passwords $PORTAL_PW_alice/_bob), teacher
#                       "teach" in group tcpquota-admin; the tools'
#                       password file readable by group tcpquota only
#   portal_conf         print tqd_conf plus a portal section:
#     PORTAL_PORT (80)  PORTAL_WARN (300)  PORTAL_IDLE (600)
#     PORTAL_RATE (5)   PORTAL_LOG ($TQ_TMP/portal.log)
#     PORTAL_EXTRA      more settings, e.g. 'cert = "..."; key = "...";'
#   portal_start        start build/tcpquota-portal in the gateway; sets
#                       PORTAL_PID; waits for its "started" line
#   portal_stop         SIGTERM, wait; PORTAL_RC = exit status
#   PORTAL_URL          http://198.18.1.1/
# curl from a LAN host, a cookie jar per client (PORTAL_CURL: more curl
# options, e.g. --cacert for HTTPS):
#   get NS JAR PATH     GET; the status code on stdout, the page in
#                       $TQ_TMP/page
#   post NS JAR PATH DATA...  POST the form fields DATA (name=value,
#                       URL-encoded here); also the headers in
#                       $TQ_TMP/headers
#   csrf, flash         the page's first CSRF token, its flash line
#   curl_login NS JAR USER PASSWORD   the login form; its status code
# a real browser (tests/lib/portal_*browser.py) from a LAN host:
#   portal_artefacts NAME   ART=$TQ_BUILD/artefacts/NAME, made empty
#   portal_browse NS SCRIPT [ARGS...]  run it there (at most 150 s) with
#                       PORTAL_URL, MDB_SOCKET, ARTEFACTS=$ART, a fresh
#                       CHROME_PROFILE and the caller's exported
#                       variables; its output shown, its "ok -" and
#                       "FAIL -" lines counted; its exit status

if ! declare -F lab_try >/dev/null; then
	# shellcheck source=tests/lib/lab.sh
	. "$TQ_ROOT/tests/lib/lab.sh"
fi
if ! declare -F mdb_sql >/dev/null; then
	# shellcheck source=tests/lib/mariadb.sh
	. "$TQ_ROOT/tests/lib/mariadb.sh"
fi
if ! declare -F tqd_start >/dev/null; then
	# shellcheck source=tests/lib/tqd.sh
	. "$TQ_ROOT/tests/lib/tqd.sh"
fi

PORTAL_URL=http://198.18.1.1/
PORTAL_PW_alice='Al1ce-pw'
PORTAL_PW_bob='B0b-pw'
PORTAL_PW_teach='T3ach-pw'

portal_setup() {
	local u
	tqd_setup || return 1
	tq_overlay /etc || return 1
	TQD_ETC_OV=1
	groupadd tcpquota && groupadd tcpquota-admin || return 1
	useradd -r -M -N -g nogroup -d /nonexistent -s /usr/sbin/nologin \
		tcpquota-portal || return 1
	for u in alice bob teach; do
		tqd_useradd "$u" || return 1
		local pwv="PORTAL_PW_$u"
		printf '%s:%s\n' "$u" "${!pwv}" | chpasswd || return 1
	done
	usermod -a -G tcpquota-admin teach || return 1
	install -D -m 0644 "$TQ_ROOT/init/tcpquota-portal.pam" \
		/etc/pam.d/tcpquota-portal || return 1
	chgrp tcpquota "$MDB_TOOL_SECRET" && chmod 0640 "$MDB_TOOL_SECRET" ||
		return 1
	chmod 0755 "$MDB_DIR" || return 1
}

# (portal.logfile is written without blanks: tqd_start finds the
# daemon's log by its line 'logfile = "..."'.)
portal_conf() {
	tqd_conf
	cat <<CONF
portal = {
	listen = [ "$LAB_GW_LAN4", "$LAB_GW_LAN6" ];
	port = ${PORTAL_PORT:-80};
	logfile="${PORTAL_LOG:-$TQ_TMP/portal.log}";
	warn_seconds = ${PORTAL_WARN:-300};
	idle_timeout = ${PORTAL_IDLE:-600};
	login_rate = ${PORTAL_RATE:-5};${PORTAL_EXTRA:+
	$PORTAL_EXTRA}
};
CONF
}

_portal_started() {
	grep -q 'tcpquota-portal .* started' "${PORTAL_LOG:-$TQ_TMP/portal.log}" \
		2>/dev/null
}

portal_start() {
	local conf=${1:-$TQ_TMP/tcpquota.conf}
	ip netns exec "$LAB_GW" "$TQ_BUILD/tcpquota-portal" --config "$conf" \
		>>"$TQ_TMP/portal.stderr" 2>&1 &
	PORTAL_PID=$!
	at_exit portal_stop
	wait_for 10 _portal_started || {
		echo "tcpquota-portal did not start:" >&2
		cat "$TQ_TMP/portal.stderr" "${PORTAL_LOG:-$TQ_TMP/portal.log}" \
			>&2 2>/dev/null
		return 1
	}
}

portal_stop() {
	[ -n "${PORTAL_PID:-}" ] || return 0
	kill -TERM "$PORTAL_PID" 2>/dev/null
	wait "$PORTAL_PID"
	PORTAL_RC=$?
	PORTAL_PID=
}

PORTAL_CURL=()

get() {
	ip netns exec "$1" curl -sS "${PORTAL_CURL[@]}" -o "$TQ_TMP/page" \
		-w '%{http_code}' -c "$2" -b "$2" "$PORTAL_URL${3#/}"
}

post() {
	local ns=$1 jar=$2 path=$3 a=() d
	shift 3
	for d in "$@"; do a+=(--data-urlencode "$d"); done
	ip netns exec "$ns" curl -sS "${PORTAL_CURL[@]}" -o "$TQ_TMP/page" \
		-D "$TQ_TMP/headers" -w '%{http_code}' -c "$jar" -b "$jar" \
		"${a[@]}" "$PORTAL_URL${path#/}"
}

csrf() {
	sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$TQ_TMP/page" |
		head -n 1
}

flash() {
	sed -n 's/.*id="flash" role="status">\([^<]*\)<.*/\1/p' "$TQ_TMP/page"
}

curl_login() {
	local c
	get "$1" "$2" / >/dev/null
	c=$(csrf)
	post "$1" "$2" /login "csrf=$c" "user=$3" "password=$4"
}

portal_artefacts() {
	ART=$TQ_BUILD/artefacts/$1
	rm -rf "$ART"
	mkdir -p "$ART"
	echo "# artefacts (screenshots): $ART"
}

portal_browse() {
	local ns=$1 script=$2 out rc profile
	shift 2
	out=$(mktemp "$TQ_TMP/browser.XXXXXX")
	profile=$(mktemp -d "$TQ_TMP/chrome.XXXXXX")
	ip netns exec "$ns" env PORTAL_URL="$PORTAL_URL" \
		MDB_SOCKET="$MDB_SOCKET" ARTEFACTS="$ART" \
		CHROME_PROFILE="$profile" HOME="$TQ_TMP" \
		timeout 150 /usr/bin/python3 "$script" "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	TQ_PASSED=$((TQ_PASSED + $(grep -c '^ok - ' "$out")))
	TQ_FAILED=$((TQ_FAILED + $(grep -c '^FAIL - ' "$out")))
	return "$rc"
}
