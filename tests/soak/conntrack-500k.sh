#!/bin/bash
# conntrack-500k.sh - the daemon polling with a 500,000-entry conntrack
# table in its namespace (make soak; minutes, not for make check).
#
# In the lab's gateway: 1,000 users with one open host each, the table
# filled by bench/ctfill (5,000 LAN hosts, 10 % IPv6), period 5 s.  Over
# SOAK_POLLS polls (default 20): every poll completes and is logged
# ("poll took", debug mode), none takes longer than the period, VmHWM of
# the daemon stays under SOAK_HWM_KIB (default 16 MiB), VmRSS does not
# grow after the first polls (no leak per poll), and an open request is
# still answered (with the wake-up poke, and without it within one period
# plus one poll) and the opened LAN host reaches the server.  Then the
# table is made full (nf_conntrack_max = the count): the kernel drops new
# connections, the daemon keeps polling within the period and answers an
# open request; with room again the host gets through.
#
# The one host setting touched: net.netfilter.nf_conntrack_max (the
# host's value caps every namespace's table), raised for the run when too
# low and written back at exit, also after a failure or Ctrl-C.
#
# Last line: "SOAK conntrack-500k ..." with the figures, for
# tests/RELIABILITY.md.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init soak-ct500k
set -o pipefail

ENTRIES=${SOAK_ENTRIES:-500000}
POLLS=${SOAK_POLLS:-20}
HWM_MAX=${SOAK_HWM_KIB:-16384}
USERS=1000
TQD_PERIOD=5
CTFILL=$TQ_BUILD/bench/ctfill
T0=$SECONDS

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
bail() { fail "$1"; tq_done; exit 1; }

[ -x "$CTFILL" ] || bail "$CTFILL missing (make bench-build)"

# --- nf_conntrack_max, restored at exit whatever happens
CT_MAX_FILE=/proc/sys/net/netfilter/nf_conntrack_max
if [ ! -r "$CT_MAX_FILE" ]; then
	# The module loads on first use, here inside a namespace of ours.
	ns0=tq-soak-probe-$(tq_rand)
	ip netns add "$ns0" && ip netns exec "$ns0" conntrack -L >/dev/null 2>&1
	ip netns del "$ns0" 2>/dev/null
fi
CT_MAX_OLD=$(cat "$CT_MAX_FILE") || bail "reading $CT_MAX_FILE"
CT_MAX_SET=
# Put back the old value if ours is still in force (if another run
# changed it meanwhile, that run restores its own).
restore_ct_max() {
	[ -n "$CT_MAX_SET" ] || return 0
	[ "$(cat "$CT_MAX_FILE")" = "$CT_MAX_SET" ] || return 0
	echo "$CT_MAX_OLD" >"$CT_MAX_FILE" &&
		log "nf_conntrack_max restored to $CT_MAX_OLD"
}
at_exit restore_ct_max
need=$((ENTRIES + ENTRIES / 10 + 1000))
if [ "$CT_MAX_OLD" -lt "$need" ]; then
	log "raising nf_conntrack_max $CT_MAX_OLD -> $need for the run"
	CT_MAX_SET=$need
	echo "$need" >"$CT_MAX_FILE" || bail "raising nf_conntrack_max"
fi

# --- lab, database, 1,000 users with an open host each
tqd_setup || bail "lab and database set up"
# The bench hosts' network is the LAN's too (the daemon opens LAN hosts only).
ip -n "$LAB_GW" addr add 198.18.0.1/16 dev lan0 || bail "LAN address"
# The i-th bench host, as ctfill numbers its LAN hosts (198.18.1.0 + i);
# the open rows use hosts 1000..1999, clear of the lab's own addresses.
bench_host() {
	local a=$((0xc6120100 + $1))
	echo "$((a >> 24 & 255)).$((a >> 16 & 255)).$((a >> 8 & 255)).$((a & 255))"
}
{
	sep=""
	printf 'INSERT INTO tcptab (name, quota) VALUES '
	for ((i = 0; i < USERS; i++)); do
		printf "%s('u%04d', 1000000000)" "$sep" "$i"; sep=","
	done
	printf ", ('alice', 1000000000);\nINSERT INTO allowed (name) VALUES "
	sep=""
	for ((i = 0; i < USERS; i++)); do
		printf "%s('u%04d')" "$sep" "$i"; sep=","
	done
	printf ", ('alice');\nINSERT INTO masq (host, name, tic, open, free, gateway) VALUES "
	sep=""
	for ((i = 0; i < USERS; i++)); do
		printf "%s('%s', 'u%04d', 1000000, 1, 0, 'gw1')" "$sep" \
			"$(bench_host $((USERS + i)))" "$i"
		sep=","
	done
	printf ';\n'
} >"$TQ_TMP/rows.sql"
mdb_sql "$(cat "$TQ_TMP/rows.sql")" || bail "users and rows loaded"

log "filling $ENTRIES conntrack entries in the gateway"
lab_gw sysctl -qw net.netfilter.nf_conntrack_acct=1
lab_gw "$CTFILL" -n "$ENTRIES" -H 5000 -q >&2 || bail "ctfill"
cnt=$(lab_gw cat /proc/sys/net/netfilter/nf_conntrack_count)
check "gateway table holds $cnt >= $ENTRIES entries" [ "$cnt" -ge "$ENTRIES" ]

TQD_HB=1000000 tqd_write
log "starting tcpquotad (period $TQD_PERIOD s), $POLLS polls"
tqd_start || bail "daemon starts with $ENTRIES entries"
ok "daemon starts with $cnt entries in its namespace"
check "1,000 open rows in the firewall after the first poll" \
	[ "$(tqd_set | wc -l)" -eq "$USERS" ]

status_kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$TQD_PID/status"; }
tqd_wait_polls 2 || fail "polls 2 and 3 logged"
rss0=$(status_kib VmRSS)
p0=$(tqd_polls)
t_start=$SECONDS
tqd_wait_polls "$POLLS"
rc=$?
np=$(($(tqd_polls) - p0))
elapsed=$((SECONDS - t_start))
check "$POLLS more polls logged ($np in $elapsed s)" [ "$rc" -eq 0 ]
check "daemon alive" tqd_alive "$TQD_PID"
hwm=$(status_kib VmHWM)
rss1=$(status_kib VmRSS)
check "VmHWM $hwm KiB <= $HWM_MAX KiB" [ "${hwm:-999999}" -le "$HWM_MAX" ]
check "VmRSS grew by $((rss1 - rss0)) KiB over $np polls (<= 512 KiB)" \
	[ $((rss1 - rss0)) -le 512 ]
cnt1=$(lab_gw cat /proc/sys/net/netfilter/nf_conntrack_count)
check "table still holds $cnt1 >= $ENTRIES entries" [ "$cnt1" -ge "$ENTRIES" ]

# Poll times, from the daemon's own log (all polls at full size).
sed -n 's/.* poll took \([0-9]*\) us$/\1/p' "$TQD_LOG" | sort -n >"$TQ_TMP/took"
read -r n_took med_ms max_ms <<<"$(awk '{ v[NR] = $1 } END {
	printf "%d %.0f %.0f\n", NR, v[int((NR + 1) / 2)] / 1000, v[NR] / 1000 }' \
	"$TQ_TMP/took")"
check "every poll finished within the period (max $max_ms ms)" \
	[ "$max_ms" -lt $((TQD_PERIOD * 1000)) ]
check_not "no warning logged" grep -q ' warning: ' "$TQD_LOG"

# --- open requests still answered
mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway)
	VALUES ('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1')"
tqd_poke
if tqd_wait_ms 3000 tqd_open_is "$LAB_LAN4" 1; then
	ok "poked open request answered in $TQD_MS ms"
	poke_ms=$TQD_MS
else
	fail "poked open request answered within 3 s"
	poke_ms=-
fi
expect_eq "opened LAN host reaches the server" "$LAB_GW_WAN4" \
	"$(lab_try "$LAB_LAN" "$LAB_SRV4")"
mdb_sql "UPDATE masq SET open = 3 WHERE host = '$LAB_LAN4'"
limit=$(((TQD_PERIOD * 1000) + max_ms + 1000))
if tqd_wait_ms "$limit" tqd_open_is "$LAB_LAN4" 0; then
	ok "close request without a poke answered in $TQD_MS ms (<= $limit)"
	close_ms=$TQD_MS
else
	fail "close request without a poke answered within $limit ms"
	close_ms=-
fi
check_not "closed host shut out" lab_try "$LAB_LAN" "$LAB_SRV4"

# --- the table full: nf_conntrack_max set to the gateway's count (still
# above the host's own value, so only ever raised), the kernel drops new
# connections; the daemon must go on polling and answering requests.
full=$(lab_gw cat /proc/sys/net/netfilter/nf_conntrack_count)
full_res=not-run
if [ "$full" -lt "$CT_MAX_OLD" ]; then
	# Lowering the host's own value is not ours to do.
	echo "note: table-full phase not run: the host's nf_conntrack_max" \
	     "$CT_MAX_OLD is above the $full entries (not counted)"
else
	prev_max=$(cat "$CT_MAX_FILE")
	CT_MAX_SET=$full
	echo "$full" >"$CT_MAX_FILE" || bail "setting nf_conntrack_max to $full"
	log "gateway table full: nf_conntrack_max = count = $full"
	mdb_sql "DELETE FROM masq WHERE host = '$LAB_LAN4';
		INSERT INTO masq (host, name, tic, open, free, gateway)
		VALUES ('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1')"
	tqd_poke
	check "table full: open request answered within 3 s" \
		tqd_wait_ms 3000 tqd_open_is "$LAB_LAN4" 1
	check "table full: the host is in the set" tqd_has_host "$LAB_LAN4"
	check_not "table full: the kernel drops the host's new connection" \
		lab_try "$LAB_LAN" "$LAB_SRV4"
	cnt2=$(lab_gw cat /proc/sys/net/netfilter/nf_conntrack_count)
	check "table full: count $cnt2 <= nf_conntrack_max $full" \
		[ "$cnt2" -le "$full" ]
	p1=$(tqd_polls)
	check "table full: 3 more polls logged" tqd_wait_polls 3
	check "table full: daemon alive" tqd_alive "$TQD_PID"
	max_full_ms=$(sed -n 's/.* poll took \([0-9]*\) us$/\1/p' "$TQD_LOG" |
		tail -n +"$((p1 + 1))" | sort -n | tail -n 1)
	max_full_ms=$(( ${max_full_ms:-999999999} / 1000 ))
	check "table full: every poll within the period (max $max_full_ms ms)" \
		[ "$max_full_ms" -lt $((TQD_PERIOD * 1000)) ]
	CT_MAX_SET=$prev_max
	echo "$prev_max" >"$CT_MAX_FILE" || bail "nf_conntrack_max back to $prev_max"
	expect_eq "room again: the opened host reaches the server" \
		"$LAB_GW_WAN4" "$(lab_try "$LAB_LAN" "$LAB_SRV4")"
	full_res="entries=$full poll_ms_max=$max_full_ms"
fi

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
res=pass
[ "$TQ_FAILED" -eq 0 ] || res=FAIL
echo "SOAK conntrack-500k $(date -u '+%Y-%m-%d %H:%M UTC'): $res;" \
	"entries=$cnt1 open_hosts=$USERS period=${TQD_PERIOD}s polls=$n_took" \
	"poll_ms_median=$med_ms poll_ms_max=$max_ms" \
	"vmhwm_kib=$hwm (bound $HWM_MAX) rss_growth_kib=$((rss1 - rss0))" \
	"open_ack_poked_ms=$poke_ms close_ack_unpoked_ms=$close_ms" \
	"table_full: $full_res;" \
	"run_s=$((SECONDS - T0))"
tq_done
