#!/bin/bash
# bench/portal.sh - the portal part of bench/run.sh (PARTS=portal): what
# tcpquota-portal costs a LAN host, beside the daemon's own open latency
# measured in the same lab in the same run.
#
#   B=build bench/portal.sh full|smoke   (as root; run.sh runs it)
#
# Prints RES and META lines on stdout (bench/report.pl reads them), its
# progress on stderr.  In a mount namespace of its own (the users, the
# portal's user and its PAM service live in an overlay on /etc, as in
# tests/integration/050-portal.sh), with a lab of network namespaces, a
# private MariaDB, the real tcpquotad (period 5; 1 in the smoke run) and
# the real tcpquota-portal on the gateway's LAN address:
#   1. baseline: latbench, the daemon's open/close latency (row written,
#      wake-up poked, until a fresh connect gets through) - portal/lat/*
#   2. portalbench open: the status page's Open button (POST /open with
#      the session cookie and CSRF token) to the first packet through
#      the gateway, and to the portal's answer; Close likewise
#   3. portalbench login: POST /login to its 303 (PAM, pam_unix, the
#      password hash); portalbench hash: the hash alone, in-process
#   4. wrk from the LAN host's namespace, CLIENTS connections on 2
#      threads: a static asset (/portal.css: the HTTP server's own
#      floor), the status page (logged in, the device open) and
#      /api/captive, WRK_RUNS runs of WRK_SECS each
#   5. the portal's VmHWM/VmRSS (and its PAM helper's) after the load,
#      beside tcpquotad's
# The portal's section: the defaults but per_address = 128, as the 100
# clients all come from the one LAN address (the default 32 would refuse
# the rest).  Bounded: 100 clicks, 100 logins, 9 wrk runs of 5 s.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../tests/lib/lib.sh"
tq_mount_ns "$@"
# shellcheck source=tests/lib/lab.sh
. "$TQ_ROOT/tests/lib/lab.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tqd.sh
. "$TQ_ROOT/tests/lib/tqd.sh"
# shellcheck source=tests/lib/portal.sh
. "$TQ_ROOT/tests/lib/portal.sh"
set -o pipefail
MODE=${1:-full}
case "$MODE" in full|smoke) ;; *) echo "usage: $0 full|smoke" >&2; exit 2 ;; esac
tq_init bench-portal
BB=$TQ_BUILD/bench
for p in "$BB/latbench" "$BB/portalbench" "$TQ_BUILD/tcpquota-portal"; do
	[ -x "$p" ] || { echo "bench: $p missing (make bench-build)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "bench: wrk missing (make deps)" >&2; exit 1; }

if [ "$MODE" = full ]; then
	PER=5 CLICKS=100 LOGINS=100 HASHES=20
	CLIENTS=100 WRK_RUNS=3 WRK_SECS=5
else
	PER=1 CLICKS=3 LOGINS=3 HASHES=3
	CLIENTS=10 WRK_RUNS=1 WRK_SECS=1
fi
SRV_PORT=9090

log() { printf '[%s] portal: %s\n' "$(date +%T)" "$*" >&2; }
meta() { echo "META $*"; }
FAILED=0
failed() {
	echo "bench: FAILED: $*" >&2
	meta "failed $*"
	FAILED=$((FAILED + 1))
}
# res CMD...: run a benchmark program, pass its RES lines on.
res() {
	local out
	if ! out=$("$@"); then
		failed "$*"
		return 1
	fi
	grep '^RES ' <<<"$out"
	grep '^RES ' <<<"$out" >&2
}
L() { ip netns exec "$LAB_LAN" "$@"; }
pb() { L env PORTALBENCH_PW="$PORTAL_PW_alice" "$BB/portalbench" \
	-U "$PORTAL_URL" -u alice "$@"; }
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

portal_bench() {
	local conf=$TQ_TMP/tcpquota.conf cookie helper w t url
	portal_setup || return 1
	mdb_sql "INSERT INTO tcptab (name, quota) VALUES
		('alice', 1000000000), ('latuser', 1000000000);
		INSERT INTO allowed (name) VALUES ('alice'), ('latuser');" ||
		return 1
	TQD_PERIOD=$PER TQD_HB=1000 portal_conf |
		sed '/^\tlogin_rate = /a\	per_address = 128;' >"$conf"
	TQD_PERIOD=$PER tqd_start "$LAB_GW" "$conf" || return 1
	portal_start "$conf" || return 1
	meta "portal period=$PER clients=$CLIENTS per_address=128 db_connections=4 wrk=\"$(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)\" idle_vmrss_kib=$(status_kib "$PORTAL_PID" VmRSS) idle_anon_kib=$(status_kib "$PORTAL_PID" RssAnon) idle_file_kib=$(status_kib "$PORTAL_PID" RssFile)"

	ip netns exec "$LAB_SRV" "$BB/latbench" -S "$SRV_PORT" &
	LAB_PIDS+=($!)
	_srv_up() { ip netns exec "$LAB_SRV" ss -Htln "sport = :$SRV_PORT" | grep -q .; }
	wait_for 5 _srv_up || return 1

	log "the daemon's open/close latency (latbench), $CLICKS requests"
	res L "$BB/latbench" -c "$conf" -H "$LAB_LAN4" -u latuser \
		-s "$LAB_SRV4" -p "$SRV_PORT" -n "$CLICKS" -l portal/lat
	log "open/close clicks on the status page, $CLICKS each"
	res pb -s "$LAB_SRV4" -p "$SRV_PORT" -n "$CLICKS" open
	log "logins, $LOGINS"
	res pb -n "$LOGINS" login
	res env PORTALBENCH_PW="$PORTAL_PW_alice" "$BB/portalbench" \
		-u alice -n "$HASHES" hash

	# wrk: alice logged in, her device open.
	cookie=$(pb session -o) || { failed "portalbench session"; return 1; }
	for t in asset:portal.css status: captive:api/captive; do
		url=$PORTAL_URL${t#*:}
		log "wrk ${t%%:*}: $WRK_RUNS x $WRK_SECS s, $CLIENTS connections"
		for ((w = 0; w < WRK_RUNS; w++)); do
			L wrk -t2 -c"$CLIENTS" -d"${WRK_SECS}s" \
				-s "$TQ_ROOT/bench/wrk.lua" \
				-H "Cookie: $cookie" "$url" | grep '^WRK '
		done >"$TQ_TMP/wrk-${t%%:*}" ||
			{ failed "wrk ${t%%:*}"; continue; }
		wrk_res "portal/rps/${t%%:*}" <"$TQ_TMP/wrk-${t%%:*}" |
			tee /dev/stderr
	done
	# Still her session and her open device after the load.
	if ! L curl -sS -o "$TQ_TMP/page" -b "$cookie" "$PORTAL_URL" ||
		! grep -q 'id="state">open<' "$TQ_TMP/page"; then
		failed "the status page after the load is not alice's, open"
	fi

	helper=$(pgrep -P "$PORTAL_PID" | head -n 1)
	meta "portal vmhwm_kib=$(status_kib "$PORTAL_PID" VmHWM) vmrss_kib=$(status_kib "$PORTAL_PID" VmRSS) anon_kib=$(status_kib "$PORTAL_PID" RssAnon) file_kib=$(status_kib "$PORTAL_PID" RssFile) threads=$(status_kib "$PORTAL_PID" Threads) helper_vmhwm_kib=$(status_kib "${helper:-0}" VmHWM 2>/dev/null) helper_vmrss_kib=$(status_kib "${helper:-0}" VmRSS 2>/dev/null) tcpquotad_vmhwm_kib=$(status_kib "$TQD_PID" VmHWM) http_warnings=$(grep -c 'http: ' "$TQ_TMP/portal.log") conntrack=$(ip netns exec "$LAB_GW" cat /proc/sys/net/netfilter/nf_conntrack_count)"
	portal_stop
	[ "$PORTAL_RC" = 0 ] || failed "the portal exited $PORTAL_RC"
	tqd_stop
}

# wrk_res LABEL: WRK lines (one per run) on stdin, one RES line out:
# wall_* = p50 latency (us), wall_p99 = median of the runs' p99, rps_*.
wrk_res() {
	awk -v l="$1" -v c="$CLIENTS" -v s="$WRK_SECS" '
	function med(a, n,   i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		n++
		rps[n] = v["requests"] * 1e6 / v["duration_us"]
		p50[n] = v["p50_us"]; p99[n] = v["p99_us"]
		req += v["requests"]
		err += v["connect"] + v["read"] + v["write"] + v["timeout"]
		bad += v["status"]
	}
	END {
		if (!n) exit 1
		lo = hi = rps[1]
		for (i = 1; i <= n; i++) {
			if (rps[i] < lo) lo = rps[i]
			if (rps[i] > hi) hi = rps[i]
		}
		m50 = med(p50, n); m99 = med(p99, n)
		printf "RES %s n=%d wall_med=%.1f wall_min=%.1f wall_max=%.1f " \
		    "cpu_med=0 cpu_min=0 cpu_max=0 wall_p99=%.1f rps_med=%.0f " \
		    "rps_min=%.0f rps_max=%.0f requests=%d socket_errors=%d " \
		    "non2xx3xx=%d clients=%d seconds=%d\n", l, n, m50, m50, m50,
		    m99, med(rps, n), lo, hi, req, err, bad, c, s
	}'
}

T0=$SECONDS
portal_bench || failed "part portal did not complete"
log "done in $((SECONDS - T0)) s"
[ "$FAILED" -eq 0 ]
