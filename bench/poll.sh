# shellcheck shell=bash
# poll.sh - the daemon part of bench/run.sh (sourced by it): one full
# poll's wall/CPU time and database commands at 1,000 users / 1,000 open
# hosts, the same at 500,000 conntrack entries, the real daemon's peak RSS
# there, its idle CPU, and open/close latency in the namespace lab.
# Needs a private MariaDB (tests/lib/mariadb.sh) and the lab helpers.

# shellcheck source=tests/lib/lab.sh
. "$TQ_ROOT/tests/lib/lab.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tqd.sh
. "$TQ_ROOT/tests/lib/tqd.sh"

# The i-th bench host, 198.18.1.0 + i (as pollbench and ctfill number them).
_poll_host() {
	local a=$((0xc6120100 + $1))
	echo "$((a >> 24 & 255)).$((a >> 16 & 255)).$((a >> 8 & 255)).$((a & 255))"
}

# Users u0000.. with a large balance, allowed, each with one open host.
_poll_rows() {
	local n=$1 i sep=""
	printf 'INSERT INTO tcptab (name, quota) VALUES '
	for ((i = 0; i < n; i++)); do
		printf "%s('u%04d', 1000000000)" "$sep" "$i"; sep=","
	done
	printf ';\nINSERT INTO allowed (name) VALUES '
	sep=""
	for ((i = 0; i < n; i++)); do
		printf "%s('u%04d')" "$sep" "$i"; sep=","
	done
	printf ';\nINSERT INTO masq (host, name, tic, open, free, gateway) VALUES '
	sep=""
	for ((i = 0; i < n; i++)); do
		printf "%s('%s', 'u%04d', 1000000, 1, 0, 'bench')" "$sep" \
			"$(_poll_host "$i")" "$i"
		sep=","
	done
	printf ';\n'
}

# _poll_network [RESYNC]: the network section (conntrack_resync, default
# the daemon's 120).
_poll_network() {
	cat <<CONF
network = {
	lan = [ "lan0" ];
	wan = [ "wan0" ];
	local_networks = [ "198.18.0.0/16", "2001:db8:1::/48" ];
	link = "always";
	table = "tcpquota";
	check_local = true;
	conntrack_resync = ${1:-120};
};
CONF
}

_poll_listening() {
	ip netns exec "$LAB_SRV" ss -Htln 'sport = :9090' | grep -q .
}

# cpu_us PID: utime + stime of a process in microseconds.
_poll_cpu_us() {
	local hz
	hz=$(getconf CLK_TCK)
	awk -v hz="$hz" '{ sub(/^.*\) /, ""); print ($12 + $13) * 1e6 / hz }' \
		"/proc/$1/stat"
}

poll_bench() {
	local n users ct pr ns lan i conf idle c0 c1 hwm took per
	# The smoke run uses period 1 so that it takes seconds, not minutes.
	if [ "$MODE" = full ]; then
		users=1000; ct=500000; idle=30; per=5
	else
		users=20; ct=2000; idle=2; per=1
	fi
	mdb_start || { meta "poll not-measured (MariaDB did not start)"; return 1; }
	_poll_rows "$users" | mdb_sql "$(cat)" || return 1

	# --- A: tqd_poll in-process, 1000 users / 1000 hosts -------------
	# The gateway namespace (lan0, wan0) and a LAN namespace holding the
	# 1000 host addresses; their datagrams are forwarded through the
	# gateway's table (set counters, conntrack) and leave through wan0 to
	# a static neighbour, dropped by the veth peer wan1 (not its MAC).
	bench_ns poll; ns=$BENCH_NS
	bench_ns polllan; lan=$BENCH_NS
	pr=(ip netns exec "$ns")
	ip -n "$ns" link add lan0 type veth peer name eth0 netns "$lan"
	ip -n "$ns" link add wan0 type veth peer name wan1
	for i in lan0 wan0 wan1; do ip -n "$ns" link set "$i" up; done
	ip -n "$ns" addr add 198.18.0.1/16 dev lan0
	ip -n "$ns" addr add 198.19.0.1/24 dev wan0
	"${pr[@]}" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$ns" route add 198.19.128.0/17 dev wan0
	ip -n "$ns" neigh add 198.19.200.1 lladdr 02:00:00:00:00:01 dev wan0
	ip -n "$lan" link set eth0 up
	for ((i = 0; i < users; i++)); do
		echo "addr add $(_poll_host "$i")/32 dev eth0"
	done | ip -n "$lan" -batch - || return 1
	ip -n "$lan" route add 198.18.0.1 dev eth0
	ip -n "$lan" route add default via 198.18.0.1
	TQD_DIR=$TQ_TMP/poll
	mkdir -p "$TQD_DIR"
	conf=$TQD_DIR/tcpquota.conf
	TQD_GATEWAY=bench TQD_PERIOD=$per TQD_HB=1000000 \
		TQD_NETWORK="$(_poll_network)" tqd_write "$conf"
	log "poll: tqd_poll in-process, $users users / $users open hosts"
	res "${pr[@]}" "$BB/pollbench" -c "$conf" -t "$users" -r 10 -n "/run/netns/$lan" \
		-L "$TQD_DIR/pollbench.log" -l "poll/$users/wall"
	# Fewer users online: a constant number of commands does not move.
	res "${pr[@]}" "$BB/pollbench" -c "$conf" -t $((users / 10)) -r 5 -n "/run/netns/$lan" \
		-L "$TQD_DIR/pollbench.log" -l "poll/$users/wall-$((users / 10))online"

	# --- B: the same at 500k conntrack entries -------------------------
	log "poll: filling $ct conntrack entries"
	"${pr[@]}" "$BB/ctfill" -n "$ct" -H 5000 -q || return 1
	res "${pr[@]}" "$BB/pollbench" -c "$conf" -t "$users" -r 5 -n "/run/netns/$lan" \
		-L "$TQD_DIR/pollbench.log" -l "poll/$ct/cpu"
	# The baseline in the same state: conntrack_resync = 0, the whole
	# table read every poll.
	TQD_GATEWAY=bench TQD_PERIOD=$per TQD_HB=1000000 \
		TQD_NETWORK="$(_poll_network 0)" tqd_write "$conf.full"
	res "${pr[@]}" "$BB/pollbench" -c "$conf.full" -t "$users" -r 5 -n "/run/netns/$lan" \
		-L "$TQD_DIR/pollbench.log" -l "poll/$ct/cpu-fullread"

	# --- the real daemon there: peak RSS, its own poll times ------------
	log "poll: tcpquotad at $ct entries"
	tqd_start "$ns" "$conf" || return 1
	TQD_PERIOD=$per tqd_wait_polls 2 || return 1
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$TQD_PID/status")
	took=$(sed -n 's/.*poll took \([0-9]*\) us.*/\1/p' "$TQD_LOG" |
		sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	meta "poll vmhwm_kib=$hwm daemon_poll_us=$took entries=$ct users=$users (tcpquotad, VmHWM after 3 polls; median logged poll time)"
	tqd_stop
	"${pr[@]}" conntrack -F >/dev/null 2>&1

	# --- C: open latency and idle CPU in the lab ------------------------
	lab_create || return 1
	mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('latuser', 1000000000);
		INSERT INTO allowed (name) VALUES ('latuser');" || return 1
	TQD_DIR=$TQ_TMP/lat
	mkdir -p "$TQD_DIR"
	conf=$TQD_DIR/tcpquota.conf
	TQD_GATEWAY=gw1 TQD_PERIOD=$per TQD_HB=1000 tqd_write "$conf"
	TQD_PERIOD=$per tqd_start "$LAB_GW" "$conf" || return 1
	log "poll: idle CPU of tcpquotad over $idle s"
	c0=$(_poll_cpu_us "$TQD_PID")
	sleep "$idle"
	c1=$(_poll_cpu_us "$TQD_PID")
	echo "RES idle/cpu n=1 wall_med=$((idle * 1000000)) wall_min=0 wall_max=0 cpu_med=$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }') cpu_min=0 cpu_max=0 wall_p99=0 seconds=$idle" |
		tee -a "$RES" >&2
	# A listener that accepts and closes at once (latbench -S).
	ip netns exec "$LAB_SRV" "$BB/latbench" -S 9090 &
	LAB_PIDS+=($!)
	wait_for 5 _poll_listening || return 1
	n=100
	[ "$MODE" = full ] || n=3
	log "poll: open/close latency, $n requests with the wake-up poke"
	res ip netns exec "$LAB_LAN" "$BB/latbench" -c "$conf" -H "$LAB_LAN4" \
		-u latuser -s "$LAB_SRV4" -p 9090 -n "$n" -l lat
	n=10
	[ "$MODE" = full ] || n=1
	log "poll: open/close latency, $n requests without a poke"
	res ip netns exec "$LAB_LAN" "$BB/latbench" -c "$conf" -H "$LAB_LAN4" \
		-u latuser -s "$LAB_SRV4" -p 9090 -n "$n" -N \
		-l lat-nopoke
	tqd_stop
}
