#!/bin/bash
# bench/run.sh - run the benchmarks (bench/README.md) and write the table.
#
#   bench/run.sh full    the real run (~10 min): writes bench/results.md
#                        and the table between the markers in
#                        bench/README.md
#   bench/run.sh smoke   every benchmark on tiny sizes, a few seconds;
#                        writes nothing to bench/, fails if any part fails
#
# Everything runs in network namespaces made here and deleted at exit.  The
# only host setting touched is net.netfilter.nf_conntrack_max (the host's
# value caps every namespace's table): raised for the run if too low, and
# put back at exit, also after a failure.
#
# Parts can be chosen with PARTS="scan nft pkt poll portal" (default: all).
# BENCH_SKIP="netlink nftb" (with BENCH_SKIP_WHY="...") leaves out the
# measurements that need those modules; the table says they were not
# measured and why.  For a partial run while a module is missing.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../tests/lib/lib.sh"
set -o pipefail
MODE=${1:-full}
case "$MODE" in full|smoke) ;; *) echo "usage: $0 full|smoke" >&2; exit 2 ;; esac
tq_init "bench-$MODE"
cd "$TQ_ROOT" || exit 1
BB=$TQ_BUILD/bench
RES=$TQ_TMP/results.txt
PARTS=${PARTS:-scan nft pkt poll portal}
: >"$RES"

need_progs="timeit"
case " $PARTS " in *" scan "*) need_progs+=" ctfill scanbench" ;; esac
case " $PARTS " in *" nft "*) need_progs+=" nftbench" ;; esac
case " $PARTS " in *" pkt "*) need_progs+=" pktcost" ;; esac
case " $PARTS " in *" portal "*) need_progs+=" latbench portalbench" ;; esac
for p in $need_progs; do
	[ -x "$BB/$p" ] || { echo "bench: $BB/$p missing (make bench-build)" >&2; exit 1; }
done

if [ "$MODE" = full ]; then
	SCAN_SIZES="10000:2000 100000:4000 500000:5000"
	SCAN_RUNS=7
	NFT_SIZES=1000,10000,100000
	NFT_RUNS=200
	NFT_CLI_RUNS=30
	RULE_SIZES="1000 10000 50000"
	PKTS=20000
else
	SCAN_SIZES="2000:200"
	SCAN_RUNS=1
	NFT_SIZES=100
	NFT_RUNS=3
	NFT_CLI_RUNS=1
	RULE_SIZES="100"
	PKTS=1000
fi

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
meta() { echo "META $*" >>"$RES"; }
# res CMD...: run a benchmark, keep its RES lines, show them.  A failure
# is recorded (the table shows "-", the run exits 1 at the end) and the
# run goes on with the next measurement.
BENCH_FAILED=0
res() {
	local out
	if ! out=$("$@"); then
		echo "bench: FAILED: $*" >&2
		meta "failed $*"
		BENCH_FAILED=$((BENCH_FAILED + 1))
		return 1
	fi
	grep '^RES ' <<<"$out" | tee -a "$RES" >&2
}

# skipped TAG: true (and recorded once) if TAG is in BENCH_SKIP.
BENCH_SKIP=${BENCH_SKIP:-}
declare -A BENCH_SKIP_NOTED=()
skipped() {
	case " $BENCH_SKIP " in *" $1 "*) ;; *) return 1 ;; esac
	if [ -z "${BENCH_SKIP_NOTED[$1]:-}" ]; then
		meta "not-measured $1: ${BENCH_SKIP_WHY:-skipped}"
		BENCH_SKIP_NOTED[$1]=1
	fi
	return 0
}

# bench_ns NAME: a namespace of our own in $BENCH_NS; deleted at exit.
# (Not from a $(...) subshell: at_exit must run in this shell.)
bench_ns() {
	BENCH_NS="tqb-$1-$(tq_rand)"
	ip netns add "$BENCH_NS" || exit 1
	at_exit "ip netns del $BENCH_NS 2>/dev/null"
	ip -n "$BENCH_NS" link set lo up
}

meta "date $(date -u '+%Y-%m-%d %H:%M UTC')"
meta "machine $(nproc) cpus, $(uname -r), $(awk '/^MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
meta "mode $MODE"

# ---- conntrack table size (the one host setting) --------------------------
CT_MAX_FILE=/proc/sys/net/netfilter/nf_conntrack_max
# What the parts run fill: the scan's largest table, the poll part's
# 500k entries (2,000 in the smoke run), the portal's few thousand.
need=0
case " $PARTS " in *" scan "*)
	for s in $SCAN_SIZES; do n=${s%%:*}; [ "$n" -gt "$need" ] && need=$n; done
esac
case " $PARTS " in *" poll "*)
	n=500000; [ "$MODE" = full ] || n=2000
	[ "$n" -gt "$need" ] && need=$n
esac
case " $PARTS " in *" portal "*) [ "$need" -gt 10000 ] || need=10000 ;; esac
need=$((need + need / 10 + 1000))
if [ ! -r "$CT_MAX_FILE" ]; then
	# The module is loaded on first use (a namespace's conntrack -L).
	bench_ns probe; ns0=$BENCH_NS
	ip netns exec "$ns0" conntrack -L >/dev/null 2>&1 || true
fi
CT_MAX_OLD=$(cat "$CT_MAX_FILE") || exit 1
restore_ct_max() {
	local now
	now=$(cat "$CT_MAX_FILE")
	[ "$now" = "$CT_MAX_OLD" ] && return 0
	echo "$CT_MAX_OLD" >"$CT_MAX_FILE" && log "nf_conntrack_max restored to $CT_MAX_OLD"
}
at_exit restore_ct_max
if [ "$CT_MAX_OLD" -lt "$need" ]; then
	log "raising nf_conntrack_max $CT_MAX_OLD -> $need for the run"
	echo "$need" >"$CT_MAX_FILE" || exit 1
fi

# ---- 1. scan cost ---------------------------------------------------------
part_scan() {
	local ns s n h r cnt pr
	bench_ns scan; ns=$BENCH_NS
	ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_acct=1
	meta "tools $(perl -e 'printf "perl %vd", $^V'), awk: $(readlink -f "$(command -v awk)"), $(conntrack --version 2>&1 | head -n 1)"
	for s in $SCAN_SIZES; do
		n=${s%%:*}; h=${s##*:}
		r=$SCAN_RUNS
		[ "$n" -ge 500000 ] && r=5
		ip netns exec "$ns" conntrack -F >/dev/null 2>&1
		log "scan: filling $n entries over $h hosts"
		ip netns exec "$ns" "$BB/ctfill" -n "$n" -H "$h" >&2 || return 1
		cnt=$(ip netns exec "$ns" cat /proc/sys/net/netfilter/nf_conntrack_count)
		[ "$cnt" -eq "$n" ] || { echo "bench: table holds $cnt, not $n" >&2; return 1; }
		meta "scan/$n entries=$n hosts=$h bytes=$(ip netns exec "$ns" cat /proc/net/nf_conntrack | wc -c)"
		pr=(ip netns exec "$ns")
		T() { local l=$1; shift; res "${pr[@]}" "$BB/timeit" -r "$r" -l "scan/$n/$l" "$@"; }
		T cat -o /dev/null -- cat /proc/net/nf_conntrack
		T nl-floor -- "$BB/ctfill" -D -n "$n"
		T conntrack-L -o /dev/null -- conntrack -L
		T perl -o /dev/null -- perl bench/naive.pl /proc/net/nf_conntrack
		T awk -o /dev/null -- awk -f bench/naive.awk /proc/net/nf_conntrack
		T procfs-proc -- "$BB/scanbench" procfs -r 1 -w 0 -q
		skipped netlink ||
			T netlink-proc -- "$BB/scanbench" netlink -r 1 -w 0 -q
		res "${pr[@]}" "$BB/scanbench" procfs -r "$r" -l "scan/$n/procfs-inproc"
		if ! skipped netlink; then
			res "${pr[@]}" "$BB/scanbench" netlink -r "$r" -l "scan/$n/netlink-inproc"
			res "${pr[@]}" "$BB/scanbench" auto -r "$r" -l "scan/$n/auto-inproc"
		fi
		res "${pr[@]}" "$BB/scanbench" stdio -b 4096 -r "$r" -l "scan/$n/stdio4k-inproc"
		res "${pr[@]}" "$BB/scanbench" stdio -b 1048576 -r "$r" -l "scan/$n/stdio1m-inproc"
		# Peak RSS of a process that scanned this table (the daemon's
		# own VmHWM is taken in the poll part when it runs).
		skipped netlink ||
			meta "scan/$n rss_netlink_kib=$("${pr[@]}" /usr/bin/time -f %M "$BB/scanbench" netlink -r 1 -w 0 -q 2>&1 >/dev/null | tail -n 1)"
		meta "scan/$n rss_procfs_kib=$("${pr[@]}" /usr/bin/time -f %M "$BB/scanbench" procfs -r 1 -w 0 -q 2>&1 >/dev/null | tail -n 1)"
	done
	ip netns exec "$ns" conntrack -F >/dev/null 2>&1

	# What keeping connection counts from NEW/DESTROY events would cost:
	# a listener's CPU per event while n entries come and go.
	n=${SCAN_SIZES%% *}; n=${n%%:*}
	[ "$MODE" = full ] && n=100000
	log "scan: conntrack events for $n entries created and flushed"
	local evout=$TQ_TMP/events.out evpid cpu_us
	ip netns exec "$ns" "$BB/ctfill" -E $((2 * n)) >"$evout" 2>&1 &
	evpid=$!
	wait_for 5 grep -q ready "$evout"
	ip netns exec "$ns" "$BB/ctfill" -n "$n" -H 2000 -q
	ip netns exec "$ns" conntrack -F >/dev/null 2>&1
	if wait_for 20 grep -q '^events' "$evout"; then
		cpu_us=$(awk '/^events/ { print $4 }' "$evout")
		echo "RES events/$n n=1 wall_med=0 wall_min=0 wall_max=0 cpu_med=$cpu_us cpu_min=$cpu_us cpu_max=$cpu_us wall_p99=0 events=$((2 * n))" |
			tee -a "$RES" >&2
	else
		echo "bench: the event listener did not see $((2 * n)) events" >&2
		meta "failed events/$n"
		BENCH_FAILED=$((BENCH_FAILED + 1))
	fi
	kill "$evpid" 2>/dev/null
	wait "$evpid" 2>/dev/null
	return 0
}

# ---- 2. firewall updates ----------------------------------------------------
# An nft -f file equivalent to nftb_create's table, with N hosts.
nft_file() {
	local n=$1 t=$2
	awk -v n="$n" -v t="$t" 'BEGIN {
		printf "table inet %s\ndelete table inet %s\n", t, t
		printf "table inet %s {\n", t
		printf "\tset hosts4 { type ipv4_addr; counter;\n"
		if (n > 0) {
			printf "\t\telements = {"
			for (i = 0; i < n; i++) {
				a = 0xc6120100 + i
				printf "%s%d.%d.%d.%d", (i ? ", " : " "),
				    int(a / 16777216), int(a / 65536) % 256,
				    int(a / 256) % 256, a % 256
				if (i % 8 == 7) printf "\n\t\t"
			}
			printf " }\n"
		}
		printf "\t}\n\tset hosts6 { type ipv6_addr; counter; }\n"
		printf "\tset blocked_uids { typeof meta skuid; }\n"
		printf "\tchain forward { type filter hook forward priority 0; policy accept;\n"
		printf "\t\tiifname \"lan0\" oifname \"wan0\" ip saddr @hosts4 accept\n"
		printf "\t\tiifname \"lan0\" oifname \"wan0\" ip6 saddr @hosts6 accept\n"
		printf "\t\tiifname \"wan0\" oifname \"lan0\" ct state established,related accept\n"
		printf "\t\tiifname \"lan0\" oifname \"wan0\" drop\n\t}\n"
		printf "\tchain postrouting { type nat hook postrouting priority 100;\n"
		printf "\t\toifname \"wan0\" ip saddr @hosts4 masquerade\n\t}\n"
		printf "\tchain output { type filter hook output priority 0;\n"
		printf "\t\tmeta skuid @blocked_uids ip daddr != 198.18.0.0/16 drop\n\t}\n"
		printf "}\n"
	}'
}

# One rule per host: a chain of N "ip saddr X accept" rules.
rule_file() {
	local n=$1 t=$2
	awk -v n="$n" -v t="$t" 'BEGIN {
		printf "table inet %s\ndelete table inet %s\n", t, t
		printf "table inet %s {\n\tchain out {\n", t
		printf "\t\ttype filter hook output priority 0; policy accept;\n"
		for (i = 0; i < n; i++) {
			a = 0xc6120100 + i
			printf "\t\tip saddr %d.%d.%d.%d accept\n",
			    int(a / 16777216), int(a / 65536) % 256,
			    int(a / 256) % 256, a % 256
		}
		printf "\t}\n}\n"
	}'
}

# A set of N hosts and one rule looking the source up in it.
pset_file() {
	local n=$1 t=$2
	awk -v n="$n" -v t="$t" 'BEGIN {
		printf "table inet %s\ndelete table inet %s\n", t, t
		printf "table inet %s {\n\tset hosts4 { type ipv4_addr; counter;\n", t
		printf "\t\telements = {"
		for (i = 0; i < n; i++) {
			a = 0xc6120100 + i
			printf "%s%d.%d.%d.%d", (i ? ", " : " "),
			    int(a / 16777216), int(a / 65536) % 256,
			    int(a / 256) % 256, a % 256
		}
		printf " }\n\t}\n\tchain out {\n"
		printf "\t\ttype filter hook output priority 0; policy accept;\n"
		printf "\t\tip saddr @hosts4 accept\n\t}\n}\n"
	}'
}

part_nft() {
	local ns n pr f probe=198.19.255.7
	bench_ns nft; ns=$BENCH_NS
	pr=(ip netns exec "$ns")
	meta "tools $(nft --version)"
	log "nft: nftb in-process, sizes $NFT_SIZES"
	skipped nftb ||
		res "${pr[@]}" "$BB/nftbench" -s "$NFT_SIZES" -r "$NFT_RUNS" -c 3
	for n in ${NFT_SIZES//,/ }; do
		log "nft: the nft CLI at $n hosts"
		f=$TQ_TMP/set-$n.nft
		nft_file "$n" tqnft >"$f"
		"${pr[@]}" nft -f "$f" || return 1
		res "${pr[@]}" "$BB/timeit" -r 3 -l "nft/$n/nft-f" -- nft -f "$f"
		res "${pr[@]}" "$BB/timeit" -r "$NFT_CLI_RUNS" -l "nft/$n/nft-add-element" \
			-u "nft delete element inet tqnft hosts4 { $probe }" -- \
			nft add element inet tqnft hosts4 "{ $probe }"
		"${pr[@]}" nft add element inet tqnft hosts4 "{ $probe }"
		res "${pr[@]}" "$BB/timeit" -r "$NFT_CLI_RUNS" -l "nft/$n/nft-delete-element" \
			-u "nft add element inet tqnft hosts4 { $probe }" -- \
			nft delete element inet tqnft hosts4 "{ $probe }"
		"${pr[@]}" nft delete table inet tqnft
	done
	for n in $RULE_SIZES; do
		log "nft: one rule per host, $n rules"
		f=$TQ_TMP/rules-$n.nft
		rule_file "$n" tqrule >"$f"
		"${pr[@]}" nft -f "$f" || return 1
		res "${pr[@]}" "$BB/timeit" -r 3 -l "rule/$n/nft-f" -- nft -f "$f"
		res "${pr[@]}" "$BB/timeit" -r "$NFT_CLI_RUNS" -l "rule/$n/nft-add-rule" -- \
			nft add rule inet tqrule out ip saddr "$probe" accept
		"${pr[@]}" nft delete table inet tqrule
	done
}

# ---- packet path: set lookup vs one rule per host --------------------------
part_pkt() {
	local ns n pr f
	bench_ns pkt; ns=$BENCH_NS
	pr=(ip netns exec "$ns")
	res "${pr[@]}" "$BB/pktcost" -n "$PKTS" -l "pkt/none"
	for n in $RULE_SIZES; do
		f=$TQ_TMP/pset-$n.nft
		# The set lookup the daemon's rules do (no match: 127.0.0.1).
		pset_file "$n" tqpkt >"$f"
		"${pr[@]}" nft -f "$f" || return 1
		res "${pr[@]}" "$BB/pktcost" -n "$PKTS" -l "pkt/$n/set"
		"${pr[@]}" nft delete table inet tqpkt
		rule_file "$n" tqpkt >"$f"
		"${pr[@]}" nft -f "$f" || return 1
		res "${pr[@]}" "$BB/pktcost" -n "$((PKTS / (1 + n / 2000)))" -l "pkt/$n/rules"
		"${pr[@]}" nft delete table inet tqpkt
	done
}

# ---- 3/4. the daemon: poll, open latency, RSS (bench/poll.sh) ---------------
part_poll() {
	skipped poll && return 0
	if [ -f bench/poll.sh ]; then
		# shellcheck source=/dev/null
		. bench/poll.sh
		poll_bench
	else
		meta "poll not-measured (bench/poll.sh missing)"
	fi
}

# ---- 5. the portal (bench/portal.sh, in a mount namespace of its own) -------
part_portal() {
	local out rc=0
	out=$(bash bench/portal.sh "$MODE") || rc=$?
	grep -E '^(RES|META) ' <<<"$out" >>"$RES"
	return "$rc"
}

T0=$SECONDS
for p in $PARTS; do
	log "part $p"
	if ! "part_$p"; then
		echo "bench: part $p did not complete" >&2
		meta "failed part $p"
		BENCH_FAILED=$((BENCH_FAILED + 1))
	fi
done
meta "elapsed ${SECONDS}s (parts: $PARTS)"
log "done in $((SECONDS - T0)) s"

if [ "$MODE" = full ]; then
	perl bench/report.pl "$RES" >bench/results.md || exit 1
	cp "$RES" bench/results.txt
	perl bench/report.pl --readme bench/README.md bench/results.md || exit 1
	log "wrote bench/results.md, bench/results.txt, bench/README.md"
else
	# Smoke: the report must build from what was measured.
	perl bench/report.pl "$RES" >"$TQ_TMP/results.md" || exit 1
	if [ "$BENCH_FAILED" -eq 0 ]; then
		echo "RESULT bench-smoke passed=1 failed=0"
	else
		echo "RESULT bench-smoke passed=0 failed=1"
	fi
fi
[ "$BENCH_FAILED" -eq 0 ] || { echo "bench: $BENCH_FAILED measurement(s) failed" >&2; exit 1; }
