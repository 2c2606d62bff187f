#!/bin/bash
# 064-open-burst.sh - a burst of 1,000 open requests (800 IPv4, 200 IPv6,
# 50 users, written in one INSERT) is acknowledged within a few polls with
# none lost, and the firewall sets then hold exactly the requested hosts;
# then 1,000 close requests in one UPDATE: all acknowledged, sets empty.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-open-burst

tq_require "lab and database set up" tqd_setup
# The hosts' networks are the LAN's too (the daemon opens LAN hosts only).
ip -n "$LAB_GW" addr add 198.18.16.1/20 dev lan0
ip -n "$LAB_GW" addr add 2001:db8:16::ffff/64 dev lan0 nodad
N4=800
N6=200
NU=50

# The i-th host: IPv4 198.18.16.2 + i, IPv6 2001:db8:16::(i+1) in the
# form nft and inet_ntop print.
host4() {
	local a=$((0xc6121002 + $1))
	echo "$((a >> 24 & 255)).$((a >> 16 & 255)).$((a >> 8 & 255)).$((a & 255))"
}
host6() { printf '2001:db8:16::%x\n' $(($1 + 1)); }
{
	for ((i = 0; i < N4; i++)); do host4 "$i"; done
	for ((i = 0; i < N6; i++)); do host6 "$i"; done
} | sort >"$TQ_TMP/want"

sep=""
{
	printf 'INSERT INTO tcptab (name, quota) VALUES '
	for ((u = 0; u < NU; u++)); do
		printf "%s('b%02d', 1000000)" "$sep" "$u"; sep=","
	done
	printf ';\nINSERT INTO allowed (name) VALUES '
	sep=""
	for ((u = 0; u < NU; u++)); do printf "%s('b%02d')" "$sep" "$u"; sep=","; done
	printf ';\n'
} >"$TQ_TMP/users.sql"
mdb_sql "$(cat "$TQ_TMP/users.sql")"
i=0
sep=""
{
	printf 'INSERT INTO masq (host, name, tic, open, free, gateway) VALUES '
	while read -r h; do
		printf "%s('%s', 'b%02d', 1000, 2, 0, 'gw1')" "$sep" "$h" \
			$((i % NU))
		sep=","
		i=$((i + 1))
	done <"$TQ_TMP/want"
	printf ';\n'
} >"$TQ_TMP/burst.sql"

tqd_write
tq_require "daemon starts" tqd_start
ok "daemon starts and polls"

acked() {
	[ "$(mdb_sql "SELECT COUNT(*) FROM masq WHERE gateway = 'gw1'
		AND open = $1")" = "$2" ]
}

# --- 1,000 open requests in one statement
p0=$(tqd_polls)
t0=$(tqd_ms)
mdb_sql "$(cat "$TQ_TMP/burst.sql")"
if wait_for 15 acked 1 1000; then
	ms=$(($(tqd_ms) - t0))
	np=$(($(tqd_polls) - p0))
	ok "1,000 open requests acknowledged in $ms ms ($np polls)"
	check "... within 3 polls" [ "$np" -le 3 ]
else
	fail "1,000 open requests acknowledged (open = 1: $(mdb_sql "SELECT COUNT(*) FROM masq WHERE open = 1"))"
fi
expect_eq "no request lost: 1,000 rows, all open = 1" "1000 1000" \
	"$(tqd_q "SELECT COUNT(*), SUM(open = 1) FROM masq WHERE gateway = 'gw1'")"
tqd_set >"$TQ_TMP/got"
expect_eq "firewall sets hold 1,000 elements" 1000 "$(wc -l <"$TQ_TMP/got")"
expect_eq "hosts4 + hosts6 = exactly the requested hosts" "" \
	"$(diff "$TQ_TMP/want" "$TQ_TMP/got" | head -n 5)"
expect_eq "hosts4 holds the $N4 IPv4 hosts" "$N4" \
	"$(_tqd_elems "$LAB_GW" hosts4 | wc -l)"
expect_eq "hosts6 holds the $N6 IPv6 hosts" "$N6" \
	"$(_tqd_elems "$LAB_GW" hosts6 | wc -l)"
expect_eq "one 'opened' log line per host" 1000 \
	"$(grep -c ' info: opened .* (open request)$' "$TQD_LOG")"
tqd_wait_polls 2
expect_eq "two polls later: still 1,000 open rows, same sets" "1000 $(md5sum <"$TQ_TMP/want")" \
	"$(mdb_sql "SELECT COUNT(*) FROM masq WHERE open = 1") $(tqd_set | md5sum)"
expect_eq "nobody charged (no traffic)" "$((NU * 1000000))" \
	"$(mdb_sql "SELECT SUM(quota) FROM tcptab")"

# --- 1,000 close requests in one statement
p0=$(tqd_polls)
t0=$(tqd_ms)
mdb_sql "UPDATE masq SET open = 3 WHERE gateway = 'gw1'"
if wait_for 15 acked 0 1000; then
	ms=$(($(tqd_ms) - t0))
	np=$(($(tqd_polls) - p0))
	ok "1,000 close requests acknowledged in $ms ms ($np polls)"
	check "... within 3 polls" [ "$np" -le 3 ]
else
	fail "1,000 close requests acknowledged (open = 0: $(mdb_sql "SELECT COUNT(*) FROM masq WHERE open = 0"))"
fi
expect_eq "firewall sets empty" "" "$(tqd_set)"
expect_eq "one 'closed' log line per host" 1000 \
	"$(grep -c ' info: closed .* (close request)$' "$TQD_LOG")"
# --- again, from 10 clients at once (100 rows each, racing the daemon's
# request passes: each pokes the wake-up socket after its INSERT)
mdb_sql "DELETE FROM masq"
tqd_wait_polls 1
pids=()
for ((k = 0; k < 10; k++)); do
	sep=""
	{
		printf 'INSERT INTO masq (host, name, tic, open, free, gateway) VALUES '
		sed -n "$((k * 100 + 1)),$((k * 100 + 100))p" "$TQ_TMP/want" |
			while read -r h; do
				printf "%s('%s', 'b%02d', 1000, 2, 0, 'gw1')" \
					"$sep" "$h" "$k"
				sep=","
			done
		printf ';\n'
	} >"$TQ_TMP/part$k.sql"
done
for ((k = 0; k < 10; k++)); do
	{ mdb_sql "$(cat "$TQ_TMP/part$k.sql")" && tqd_poke; } &
	pids+=($!)
done
wait "${pids[@]}"
check "10 x 100 concurrent open requests acknowledged" \
	wait_for 15 acked 1 1000
tqd_set >"$TQ_TMP/got"
expect_eq "sets = exactly the requested hosts again" "" \
	"$(diff "$TQ_TMP/want" "$TQ_TMP/got" | head -n 5)"
pids=()
for ((k = 0; k < 10; k++)); do
	{
		mdb_sql "UPDATE masq SET open = 3 WHERE name = 'b$(printf %02d "$k")'" &&
			tqd_poke
	} &
	pids+=($!)
done
wait "${pids[@]}"
check "10 x 100 concurrent close requests acknowledged" \
	wait_for 15 acked 0 1000
expect_eq "firewall sets empty again" "" "$(tqd_set)"

check "daemon alive" tqd_alive "$TQD_PID"
check_not "no warning logged" grep -q ' warning: ' "$TQD_LOG"

tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
expect_eq "masq emptied at exit" 0 "$(mdb_sql "SELECT COUNT(*) FROM masq")"
tq_done
