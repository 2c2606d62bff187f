#!/bin/bash
# 063-hup-burst.sh - SIGHUP storms with the configuration file renamed in
# between each from a valid (A: rate 2) and a broken one (B: daemon.period
# = 0).  Burst 1: 100 renames + HUPs from one perl process (microseconds
# apart, so most HUPs coalesce), then a last valid file (C: rate 6): the
# daemon stays up (same pid), every reload it did is either loaded or
# rejected with B's reason, and C is in force (7 per poll instead of 3).
# Burst 2: 100 renames + HUPs from the shell (no waiting, a few ms apart,
# so most are handled one by one) ending on B: rejected reloads logged
# with the reason, the last valid configuration read (A) stays in force,
# the resident memory does not grow across it, and TERM still cleans up.
# With B=build-san the sanitizer reports (leaks at exit) count as failures
# through tests/run.sh.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-hup-burst

tq_require "lab and database set up" tqd_setup
CONF=$TQD_DIR/tcpquota.conf
PIDFILE=$TQD_DIR/tcpquotad.pid
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 1000000);
	INSERT INTO allowed (name) VALUES ('alice');
	INSERT INTO periodtab (quota) VALUES (0);
	INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('$LAB_LAN4', 'alice', 1000, 2, 0, 'gw1')"

tqd_write "$TQD_DIR/A.conf"
TQD_PERIOD=0 tqd_write "$TQD_DIR/B.conf"
TQD_RATE=6 tqd_write "$TQD_DIR/C.conf"
WHY="$CONF:2: daemon.period: 0 is out of range; use 1..3600"
REJ="warning: reload rejected, old configuration kept: $WHY"
OK="info: configuration reloaded from $CONF"
cp "$TQD_DIR/B.conf" "$CONF"
out=$("$TQ_BUILD/tcpquotad" -n --config "$CONF" 2>&1)
expect_eq "B is refused by -n with this reason" "tcpquotad: $WHY" "$out"

# put FILE: make the configuration path name a copy of FILE (rename).
put() {
	cp "$TQD_DIR/$1.conf" "$CONF.new" && mv -f "$CONF.new" "$CONF"
}
# fast_burst N FIRST SECOND LAST: N times make the path name FIRST or
# SECOND (alternating; link + rename), each followed by a SIGHUP, then
# LAST and a SIGHUP, all from one process.
fast_burst() {
	perl -e '
		my ($pid, $conf, $dir, $n, @f) = @ARGV;
		for my $i (0 .. $n) {
			my $src = $i == $n ? $f[2] : $f[$i % 2];
			link("$dir/$src.conf", "$conf.new") or die "link: $!";
			rename("$conf.new", $conf) or die "rename: $!";
			kill("HUP", $pid) or die "kill: $!";
		}' "$TQD_PID" "$CONF" "$TQD_DIR" "$@"
}
# burst N FIRST SECOND: N times put FIRST or SECOND (alternating) and
# send SIGHUP at once.
burst() {
	local i
	for ((i = 0; i < $1; i++)); do
		if ((i % 2 == 0)); then put "$2"; else put "$3"; fi
		kill -HUP "$TQD_PID"
	done
}
nlines() { grep -cF -- "$1" "$TQD_LOG"; }
# The last reload outcome (reloaded or rejected) in the log.
last_outcome() {
	grep -E 'configuration reloaded|reload rejected' "$TQD_LOG" |
		tail -n 1 | sed 's/^.*\] //'
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$TQD_PID/status"; }
snap() {
	tqd_q "SELECT (SELECT quota FROM tcptab WHERE name = 'alice'),
		(SELECT counter FROM masq WHERE name = 'alice'),
		(SELECT quota FROM periodtab ORDER BY id DESC LIMIT 1)"
}
# charged NAME EACH: over 3 polls alice pays EACH per charged poll, and
# the period total grows by exactly that.
charged() {
	local q0 c0 t0 q1 c1 t1
	read -r q0 c0 t0 <<<"$(snap)"
	tqd_wait_polls 3
	read -r q1 c1 t1 <<<"$(snap)"
	check "$1: charged in each poll ($((c1 - c0)) of 3)" \
		[ $((c1 - c0)) -ge 2 ]
	expect_eq "$1: $2 per poll" $(($2 * (c1 - c0))) $((q0 - q1))
	expect_eq "$1: period total grows by the debit" $((q0 - q1)) \
		$((t1 - t0))
}

put A
tq_require "daemon starts" tqd_start
PID=$TQD_PID
expect_eq "pid file names the daemon" "$PID" "$(cat "$PIDFILE")"
check "alice's host opened" tqd_wait_ms 2000 tqd_open_is "$LAB_LAN4" 1
tqd_talk "$LAB_LAN" "$LAB_SRV4" "$LAB_PORT" 200 100000
tqd_wait_polls 2
charged "A (rate 2)" 3

# --- burst 1: A, B, A, B, ... (100), then C, as fast as one process can
t0=$(tqd_ms)
fast_burst 100 A B C || fail "burst 1 sent"
ms=$(($(tqd_ms) - t0))
ok "101 renames and SIGHUPs sent in $ms ms"
tqd_wait_polls 2
check "daemon alive after the burst" tqd_alive "$PID"
expect_eq "same pid, pid file unchanged" "$PID" "$(cat "$PIDFILE")"
nh=$(nlines "SIGHUP: reloading the configuration")
nr=$(nlines "$REJ")
no=$(nlines "$OK")
ok "burst 1: $nh reloads ($no loaded, $nr rejected; the rest coalesced)"
expect_eq "every reload either loaded or rejected with B's reason" \
	"$nh" $((no + nr))
check "at least one reload, at most one per SIGHUP" \
	[ "$nh" -ge 1 ] && [ "$nh" -le 101 ]
expect_eq "the last reload loaded C" "$OK" "$(last_outcome)"
check "alice's host still open" tqd_has_host "$LAB_LAN4"
charged "C in force (rate 6)" 7

# --- burst 2: A, B, ..., ending on B, from the shell; memory before and
# after
rss0=$(rss_kib)
nh0=$nh no0=$no nr0=$nr
t0=$(tqd_ms)
burst 100 A B
ms=$(($(tqd_ms) - t0))
ok "100 renames and SIGHUPs sent in $ms ms"
tqd_wait_polls 2
check "daemon alive after the second burst" tqd_alive "$PID"
expect_eq "same pid" "$PID" "$(cat "$PIDFILE")"
nh=$(($(nlines "SIGHUP: reloading the configuration") - nh0))
no=$(($(nlines "$OK") - no0))
nr=$(($(nlines "$REJ") - nr0))
ok "burst 2: $nh reloads ($no loaded, $nr rejected)"
expect_eq "burst 2: every reload loaded or rejected with B's reason" \
	"$nh" $((no + nr))
check "burst 2: rejected reloads logged with the reason" [ "$nr" -ge 1 ]
expect_eq "the last reload was rejected (B)" "$REJ" "$(last_outcome)"
# A is the only valid file of this burst: once it was loaded, it is the
# last valid configuration; had no reload read it, C would still hold.
check "burst 2 loaded A at least once" [ "$no" -ge 1 ]
if [ "$no" -ge 1 ]; then each=3; else each=7; fi
charged "last valid configuration in force" "$each"
rss1=$(rss_kib)
if grep -qa __asan_init "$TQ_BUILD/tcpquotad"; then
	ok "VmRSS $rss0 -> $rss1 KiB (sanitizer build: not bounded; leaks are checked at exit)"
else
	check "VmRSS $rss0 -> $rss1 KiB across 100 SIGHUPs: growth <= 256 KiB" \
		[ $((rss1 - rss0)) -le 256 ]
fi

# --- TERM still cleans up
tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
check_not "table gone" sh -c \
	"ip netns exec $LAB_GW nft list table inet tcpquota >/dev/null 2>&1"
check_not "pid file removed" test -e "$PIDFILE"
expect_eq "masq rows gone" 0 \
	"$(mdb_sql "SELECT COUNT(*) FROM masq WHERE gateway = 'gw1'")"
tq_done
