#!/bin/bash
# 020-db.sh - the database layer against a private MariaDB: schema and
# migrations, the reference queries, snapshot/apply, exactly-once debits
# across server and client crashes, concurrency, literal names, password
# files (a password may end in a blank), the host/port (TCP) path in a
# network namespace of its own, and grants.  Driven through
# build/tests/dbtool.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
tq_init 020-db

DBTOOL=$TQ_BUILD/tests/dbtool
tq_require "no $DBTOOL (make check-build)" [ -x "$DBTOOL" ]
tq_require "private MariaDB did not start" mdb_start

CONF=$TQ_TMP/tcpquota.conf
{
	echo 'daemon = { gateway = "gw1"; };'
	mdb_conf
} >"$CONF"
dbt() { "$DBTOOL" -c "$CONF" "$@"; }
q() { mdb_sql "$1"; }
quota() { q "SELECT quota FROM tcptab WHERE name = '$1'"; }

# ---- schema and migrations ----
expect_eq "tables" \
	"allowed debits logging logging_openfw masq periodtab poll_applied schema_version tcptab" \
	"$(q "SHOW TABLES" | tr '\n' ' ' | sed 's/ $//')"
TOP=$(find "$TQ_ROOT/sql/migrations" -name '[0-9]*.sql' -printf '%f\n' |
	sort | tail -n 1 | sed 's/-.*//; s/^0*//')
NMIG=$(find "$TQ_ROOT/sql/migrations" -name '[0-9]*.sql' | wc -l)
expect_eq "schema version after set-up: the newest migration" "$TOP" \
	"$(q "SELECT MAX(version) FROM schema_version")"
expect_eq "one version row per migration" \
	"$(find "$TQ_ROOT/sql/migrations" -name '[0-9]*.sql' | wc -l)" \
	"$(q "SELECT COUNT(*) FROM schema_version")"
expect_eq "all tables InnoDB utf8mb4" "" \
	"$(q "SELECT table_name FROM information_schema.tables
	      WHERE table_schema = 'tcpquota' AND (engine <> 'InnoDB'
	      OR table_collation NOT LIKE 'utf8mb4%')")"
expect_eq "first period created" "1 0" "$(q "SELECT COUNT(*), SUM(quota) FROM periodtab" | tr '\t' ' ')"
out=$(mdb_migrate 2>&1); rc=$?
expect_eq "migrating again: no error, nothing applied" "0:" "$rc:$out"
expect_eq "schema version unchanged" "$TOP $NMIG" \
	"$(q "SELECT MAX(version), COUNT(*) FROM schema_version" | tr '\t' ' ')"
expect_eq "migrate.sh --version" "$TOP" \
	"$(TQ_MARIADB="mariadb --no-defaults -S $MDB_SOCKET -uroot" \
	   "$TQ_ROOT/sql/migrate.sh" --version tcpquota)"
check "schema.sql is what migrate.sh --print generates" \
	cmp -s "$TQ_ROOT/sql/schema.sql" <("$TQ_ROOT/sql/migrate.sh" --print)

# schema.sql alone gives the same tables, and migrating it is a no-op.
show_tables() {
	local t
	for t in $(mdb_sql "SHOW TABLES FROM $1"); do
		mariadb --no-defaults -S "$MDB_SOCKET" -uroot -N -B "$1" \
			-e "SHOW CREATE TABLE $t" | sed 's/AUTO_INCREMENT=[0-9]* //'
	done
}
q "CREATE DATABASE tq2"
mariadb --no-defaults -S "$MDB_SOCKET" -uroot tq2 <"$TQ_ROOT/sql/schema.sql"
expect_eq "schema.sql and the migrations build the same tables" \
	"$(show_tables tcpquota)" "$(show_tables tq2)"
out=$(TQ_MARIADB="mariadb --no-defaults -S $MDB_SOCKET -uroot" \
	"$TQ_ROOT/sql/migrate.sh" tq2 2>&1); rc=$?
expect_eq "migrating a schema.sql database is a no-op" "0:" "$rc:$out"
q "DROP DATABASE tq2"

# ---- the man page's queries, verbatim ----
q "INSERT INTO tcptab VALUES ('free', -1008888), ('alice', 1000),
	('bob', 500), ('carol', 7);
   INSERT INTO allowed VALUES ('alice'), ('carol'), ('dave');
   INSERT INTO masq (gateway, host, name, open, tic, free) VALUES
	('gw1', '42.42.40.66', 'free', 1, 0, 1),
	('gw1', '198.18.1.10', 'alice', 1, 5, 0),
	('gw1', '198.18.1.11', 'bob', 2, 10, 0),
	('gw2', '198.18.1.12', 'bob', 1, 5, 0)"
expect_eq "SELECT quota FROM tcptab WHERE name LIKE 'free'" -1008888 \
	"$(q "SELECT quota FROM tcptab WHERE name LIKE 'free'")"
expect_eq "masq/tcptab join of the man page" "42.42.40.66 free -1008888" \
	"$(q "SELECT masq.host, tcptab.name, tcptab.quota FROM tcptab, masq WHERE masq.host LIKE '42.42.40.66' AND tcptab.name LIKE 'free'" | tr '\t' ' ')"

# ---- snapshot ----
expect_eq "snapshot of gw1" "user	alice	1000	1	1
user	bob	500	0	1
user	carol	7	1	1
user	dave	0	1	0
user	free	-1008888	0	1
masq	198.18.1.10	alice	1	5	0	0	0	0
masq	198.18.1.11	bob	2	10	0	0	0	0
masq	42.42.40.66	free	1	0	1	0	0	0" "$(dbt snapshot)"
expect_eq "snapshot of gw2 (users are shared)" "masq	198.18.1.12	bob	1	5	0	0	0	0" \
	"$(dbt -g gw2 snapshot | grep '^masq')"

# ---- apply ----
out=$(dbt apply 100 33 alice=11 bob=11 eve=11 \
	--update 198.18.1.10 tic,counter,cnts=3 \
	--update 198.18.1.11 open=1 \
	--update 42.42.40.66 counter \
	--delete 198.18.1.12)
expect_eq "apply" applied "${out%% *}"
expect_eq "balances after apply" "alice 989|bob 489|carol 7|eve -11|free -1008888" \
	"$(q "SELECT name, quota FROM tcptab ORDER BY name" | tr '\t' ' ' | paste -sd'|')"
expect_eq "masq rows after apply" "198.18.1.10 alice 1 4 1 3|198.18.1.11 bob 1 10 0 0|42.42.40.66 free 1 0 1 0" \
	"$(q "SELECT host, name, open, tic, counter, cnts FROM masq WHERE gateway = 'gw1' ORDER BY host" | tr '\t' ' ' | paste -sd'|')"
expect_eq "another gateway's row untouched by a delete" 1 \
	"$(q "SELECT COUNT(*) FROM masq WHERE gateway = 'gw2'")"
expect_eq "period total" 33 "$(q "SELECT quota FROM periodtab ORDER BY id DESC LIMIT 1")"
expect_eq "per-day history" "alice 11 1|bob 11 1|eve 11 1" \
	"$(q "SELECT name, seconds, polls FROM debits WHERE day = CURDATE() ORDER BY name" | tr '\t' ' ' | paste -sd'|')"
expect_eq "poll recorded" "gw1 100 33" "$(q "SELECT gateway, id, total FROM poll_applied" | tr '\t' ' ')"

out=$(dbt apply 100 33 alice=11 bob=11 eve=11 --delete 198.18.1.10)
expect_eq "the same poll id again is a duplicate" duplicate "${out%% *}"
expect_eq "... and changes nothing" "989 489 -11 33 1" \
	"$(q "SELECT (SELECT quota FROM tcptab WHERE name = 'alice'),
	      (SELECT quota FROM tcptab WHERE name = 'bob'),
	      (SELECT quota FROM tcptab WHERE name = 'eve'),
	      (SELECT quota FROM periodtab ORDER BY id DESC LIMIT 1),
	      (SELECT COUNT(*) FROM masq WHERE host = '198.18.1.10')" | tr '\t' ' ')"
out=$(dbt -g gw2 apply 100 5 alice=5)
expect_eq "the same id from another gateway is another poll" applied "${out%% *}"
expect_eq "alice after gw2's poll" 984 "$(quota alice)"
dbt apply 101 2 alice=1 alice=1 >/dev/null
# 11 (poll 100) + 5 (gw2's) + 2 (poll 101, one row: polls + 1)
expect_eq "two debits of one user in one poll add up" "982 alice 18 3" \
	"$(q "SELECT t.quota, d.name, d.seconds, d.polls FROM tcptab t JOIN debits d ON d.name = t.name WHERE t.name = 'alice'" | tr '\t' ' ')"

# A new period gets the totals from then on.
q "INSERT INTO periodtab (period, quota) VALUES (NOW(), 0)"
dbt apply 102 7 carol=7 >/dev/null
expect_eq "totals go to the newest period" "40 7" \
	"$(q "SELECT quota FROM periodtab ORDER BY id" | paste -sd' ')"
q "DELETE FROM periodtab"
dbt apply 103 4 carol=4 >/dev/null
expect_eq "a first period is created if none exists" "1 4" \
	"$(q "SELECT COUNT(*), SUM(quota) FROM periodtab" | tr '\t' ' ')"

# Constant round trips whatever the number of users and rows.
many=()
for i in $(seq 1 300); do many+=("bulk$i=2"); done
ops=()
for i in $(seq 1 50); do
	q "INSERT INTO masq (gateway, host, name, open, tic) VALUES ('gwb', '198.18.2.$i', 'bulk$i', 1, 9)"
	ops+=(--update "198.18.2.$i" "tic,counter")
done
rt1=$(dbt -g gwb apply 200 2 bulk1=2 --update 198.18.2.1 tic,counter)
rt300=$(dbt -g gwb apply 201 600 "${many[@]}" "${ops[@]}")
expect_eq "round trips: 1 user and 1 row vs 300 users and 50 rows" \
	"${rt1#* }" "${rt300#* }"
expect_eq "300 users debited" "300 -602" \
	"$(q "SELECT COUNT(*), SUM(quota) FROM tcptab WHERE name LIKE 'bulk%'" | tr '\t' ' ')"
# tic: 50 * 9 - 50 - 1, counter: 50 + 1 (198.18.2.1 was in both polls)
expect_eq "50 rows updated" "50 399 51" \
	"$(q "SELECT COUNT(*), SUM(tic), SUM(counter) FROM masq WHERE gateway = 'gwb'" | tr '\t' ' ')"

# Rows the daemon did not write: empty host and name, a 63-character host
# (the longest the column holds), an unknown name.
q "INSERT INTO masq (gateway, host, name, open, tic, cnts, counter) VALUES
	('gwb', '', '', 7, -3, -1, 9223372036854775807),
	('gwb', REPEAT('9', 63), 'nobody-known', 2, 2147483647, 0, 0)"
expect_eq "odd masq rows read as they are" "masq			7	-3	0	9223372036854775807	-1	0
masq	$(printf '9%.0s' $(seq 1 63))	nobody-known	2	2147483647	0	0	0	0" \
	"$(dbt -g gwb snapshot | grep '^masq' | grep -v '198\.18\.')"
out=$(dbt -g gwb apply 202 0 --update "$(printf '9%.0s' $(seq 1 63))" "open=0,tic" --delete "")
expect_eq "ops on them" applied "${out%% *}"
expect_eq "... applied" "0 0 2147483646" \
	"$(q "SELECT (SELECT COUNT(*) FROM masq WHERE gateway = 'gwb' AND host = ''), open, tic FROM masq WHERE gateway = 'gwb' AND host LIKE '999%'" | tr '\t' ' ')"

# masq clear: this gateway's rows only.
dbt -g gwb masq-clear
expect_eq "masq-clear empties gwb only" "0 4" \
	"$(q "SELECT (SELECT COUNT(*) FROM masq WHERE gateway = 'gwb'), COUNT(*) FROM masq WHERE gateway <> 'gwb'" | tr '\t' ' ')"

# ---- names stored and found literally ----
odd=$'q\'u"o\\te%d_x;y Åsa 😀'
out=$(dbt apply 300 5 "$odd=5")
expect_eq "odd name debited" applied "${out%% *}"
expect_eq "odd name found by an exact lookup" "-5" \
	"$(dbt query "SELECT quota FROM tcptab WHERE name = ?" "$odd")"
expect_eq "odd name in the snapshot" "user	$odd	-5	0	1" \
	"$(dbt snapshot | grep -F "$odd")"
i=400
for n in 'a%' 'A' 'a' 'a '; do
	i=$((i + 1))
	dbt apply "$i" 1 "$n=1" >/dev/null
done
expect_eq "'a%', 'A', 'a', 'a ' are four users" 4 \
	"$(q "SELECT COUNT(*) FROM tcptab WHERE name IN ('a%', 'A', 'a', 'a ')")"
expect_eq "exact lookup of 'a' finds one row" "a|-1" \
	"$(dbt query "SELECT CONCAT(name, '|', quota) FROM tcptab WHERE name = ?" a)"
expect_eq "exact lookup of 'a%' is not a pattern" "a%|-1" \
	"$(dbt query "SELECT CONCAT(name, '|', quota) FROM tcptab WHERE name = ?" 'a%')"
long64=$(printf 'é%.0s' $(seq 1 64))
dbt apply 500 1 "$long64=1" >/dev/null
expect_eq "64 two-byte characters fit" 64 \
	"$(dbt query "SELECT CHAR_LENGTH(name) FROM tcptab WHERE name = ?" "$long64")"
long65=$(printf 'x%.0s' $(seq 1 65))
out=$(dbt apply 501 1 "$long65=1" 2>&1)
expect_eq "65 characters rejected with a clear error" \
	"dbtool: debit for user \"$long65\": longer than 64 characters" "$out"
expect_eq "... nothing applied" 0 "$(q "SELECT COUNT(*) FROM poll_applied WHERE id = 501")"
expect_eq "check-name: overlong" "longer than 64 characters" "$("$DBTOOL" check-name "$long65")"
expect_eq "check-name: invalid UTF-8" "not valid UTF-8" "$("$DBTOOL" check-name $'a\xc3')"
expect_eq "check-name: overlong encoding" "not valid UTF-8" "$("$DBTOOL" check-name $'\xc0\xaf')"
expect_eq "check-name: control character" "contains a control character" \
	"$("$DBTOOL" check-name $'a\tb')"
expect_eq "check-name: odd but valid" ok "$("$DBTOOL" check-name "$odd")"

# ---- password files ----
bad=$TQ_TMP/bad.conf
printf 'WrongSecret42\n' >"$TQ_TMP/wrong.secret"
sed "s|^\(\s*password_file = \).*|\1\"$TQ_TMP/wrong.secret\";|" "$CONF" >"$bad"
out=$("$DBTOOL" -c "$bad" connect 2>&1)
check "wrong password: access denied" grep -q "Access denied for user 'tcpquotad'" <<<"$out"
check_not "wrong password: not shown" grep -q WrongSecret42 <<<"$out"
sed "s|^\(\s*password_file = \).*|\1\"$TQ_TMP/none.secret\";|" "$CONF" >"$bad"
expect_eq "missing password file named" \
	"dbtool: cannot read password file $TQ_TMP/none.secret: No such file or directory" \
	"$("$DBTOOL" -c "$bad" connect 2>&1)"
check_not "the daemon's password not in the connect output" \
	grep -qF "$(cat "$MDB_SECRET")" <<<"$(dbt connect 2>&1; dbt -a tool connect 2>&1)"

# A password is the file's first line without its line end (\n or \r\n):
# blanks are part of it.  An account whose password ends in a blank.
q "CREATE USER 'tq_blank'@'localhost' IDENTIFIED BY 'Ends in blank ';
   GRANT SELECT ON tcpquota.* TO 'tq_blank'@'localhost'"
blank_conf() {
	sed -e "s|^\(\s*user = \).*|\1\"tq_blank\";|" \
	    -e "s|^\(\s*password_file = \).*|\1\"$TQ_TMP/blank.secret\";|" \
	    "$CONF" >"$bad"
}
blank_conf
printf 'Ends in blank \n' >"$TQ_TMP/blank.secret"
expect_eq "a password ending in a blank (LF)" connected \
	"$("$DBTOOL" -c "$bad" connect 2>&1)"
printf 'Ends in blank \r\n' >"$TQ_TMP/blank.secret"
expect_eq "a password ending in a blank (CR LF)" connected \
	"$("$DBTOOL" -c "$bad" connect 2>&1)"
printf 'Ends in blank ' >"$TQ_TMP/blank.secret"
expect_eq "a password ending in a blank (no line end)" connected \
	"$("$DBTOOL" -c "$bad" connect 2>&1)"
printf 'Ends in blank\n' >"$TQ_TMP/blank.secret"
out=$("$DBTOOL" -c "$bad" connect 2>&1)
check "the blank is part of the password (without it: access denied)" \
	grep -q "Access denied for user 'tq_blank'" <<<"$out"
q "DROP USER 'tq_blank'@'localhost'"

# ---- host and port (TCP) ----
# The test server has no network (--skip-networking): in a namespace of
# our own, socat listens on a lab address and forwards to its socket.
# The configuration names host and port and no socket, so db_connect
# goes through TCP; socat's log shows the connection arrived over TCP.
NS=tq020-$(tq_rand)
TCP_IP=198.18.20.1
if ip netns add "$NS"; then
	at_exit "ip netns del $NS"
	# A veth pair inside the namespace; 198.18.20.2 is "on" the link
	# with a made-up MAC address, so its SYNs leave and go unanswered.
	if ! { ip -n "$NS" link set lo up &&
		ip -n "$NS" link add tqa type veth peer name tqb &&
		ip -n "$NS" link set tqa up && ip -n "$NS" link set tqb up &&
		ip -n "$NS" addr add "$TCP_IP/24" dev tqa &&
		ip -n "$NS" neigh add 198.18.20.2 lladdr 02:00:00:00:20:02 \
			dev tqa nud permanent; }; then
		fail "network namespace set-up"
	fi
	ip netns exec "$NS" socat -d -d -lf "$TQ_TMP/socat.log" \
		"TCP-LISTEN:3306,bind=$TCP_IP,fork,reuseaddr" \
		"UNIX-CONNECT:$MDB_SOCKET" &
	SOCAT=$!
	at_exit "kill $SOCAT 2>/dev/null"
	listening() {
		ip netns exec "$NS" ss -Hltn "src $TCP_IP:3306" | grep -q .
	}
	check "socat listens on $TCP_IP:3306 in $NS" wait_for 10 listening
else
	fail "ip netns add $NS"
fi
# tcp_conf HOST PORT: $CONF through HOST:PORT, no socket.
tcp_conf() {
	sed "s|^\(\s*socket = \).*|\1\"\";\n\thost = \"$1\";\n\tport = $2;|" \
		"$CONF" >"$TQ_TMP/tcp.conf"
}
in_ns() { ip netns exec "$NS" "$@"; }
ms() { echo $(($(date +%s%N) / 1000000)); }
tcp_conf "$TCP_IP" 3306
expect_eq "TCP: the configuration has no socket" 'socket = "";' \
	"$(grep -o 'socket = .*' "$TQ_TMP/tcp.conf")"
expect_eq "TCP: connects through host and port" connected \
	"$(in_ns "$DBTOOL" -c "$TQ_TMP/tcp.conf" connect 2>&1)"
read_sql="SELECT CONCAT(name, '|', quota) FROM tcptab WHERE name = ?"
expect_eq "TCP: reads what the socket reads" "$(dbt query "$read_sql" free)" \
	"$(in_ns "$DBTOOL" -c "$TQ_TMP/tcp.conf" query "$read_sql" free 2>&1)"
check "TCP: the connections came in over TCP (socat's log)" \
	grep -q "accepting connection from AF=2 $TCP_IP:" "$TQ_TMP/socat.log"
out=$(in_ns "$DBTOOL" -c "$TQ_TMP/tcp.conf" -a tool snapshot 2>&1 |
	grep -c '^user')
check "TCP: the tool account's snapshot too ($out users)" [ "$out" -gt 0 ]

# Nothing listens on the port: refused at once, the error names where.
tcp_conf "$TCP_IP" 3307
t0=$(ms)
out=$(in_ns "$DBTOOL" -c "$TQ_TMP/tcp.conf" connect 2>&1); rc=$?
TCP_MS=$(($(ms) - t0))
# (Connector/C 3.3 reports the errno of its non-blocking connect(),
# EINPROGRESS 115, where the cause is ECONNREFUSED 111: either is taken.)
expect_eq "TCP, wrong port: exit 1" 1 "$rc"
check "TCP, wrong port: a clear error ($out)" \
	grep -Eq "^dbtool: connecting to database tcpquota as tcpquotad through ${TCP_IP//./\\.} port 3307: Can't connect to server on '${TCP_IP//./\\.}' \((111|115)\)$" <<<"$out"
check "... at once ($TCP_MS ms)" [ "$TCP_MS" -lt 2000 ]
# An address that never answers:
# the error comes after the configured timeout (2 s), not later.
tcp_conf 198.18.20.2 3306
t0=$(ms)
out=$(in_ns "$DBTOOL" -c "$TQ_TMP/tcp.conf" connect 2>&1); rc=$?
TCP_MS=$(($(ms) - t0))
expect_eq "TCP, no answer: exit 1" 1 "$rc"
check "TCP, no answer: fails naming where ($out)" \
	grep -q "^dbtool: connecting to database tcpquota as tcpquotad through 198\.18\.20\.2 port 3306: Can't connect to server on '198\.18\.20\.2' (110)$" <<<"$out"
check "... after the 2 s timeout, within 3 s ($TCP_MS ms)" \
	[ "$TCP_MS" -ge 1900 ] && [ "$TCP_MS" -lt 3000 ]

# ---- grants ----
out=$(dbt -a tool exec "UPDATE tcptab SET quota = 0 WHERE name = 'carol'" 2>&1)
check "tool account cannot UPDATE tcptab" grep -q "UPDATE command denied" <<<"$out"
out=$(dbt -a tool exec "INSERT INTO logging (user, action) VALUES ('x', 'y')" 2>&1)
check "tool account cannot write the log" grep -q "INSERT command denied" <<<"$out"
expect_eq "tool account opens a host" 1 \
	"$(dbt -a tool exec "INSERT INTO masq (gateway, host, name, open, tic) VALUES ('gw1', '198.18.1.20', 'carol', 2, 10)")"
expect_eq "admin account can UPDATE tcptab" 1 \
	"$(dbt -a admin exec "UPDATE tcptab SET quota = 100 WHERE name = 'carol'")"
out=$(dbt -a admin exec "DELETE FROM tcptab WHERE name = 'carol'" 2>&1)
check "admin account cannot DELETE from tcptab" grep -q "DELETE command denied" <<<"$out"
out=$(dbt exec "DELETE FROM tcptab WHERE name = 'carol'" 2>&1)
check "daemon account cannot DELETE from tcptab" grep -q "DELETE command denied" <<<"$out"
out=$(dbt exec "INSERT INTO allowed VALUES ('mallory')" 2>&1)
check "daemon account cannot change allowed" grep -q "INSERT command denied" <<<"$out"

# ---- concurrency: two clients, one user, no lost update ----
q "INSERT INTO tcptab VALUES ('shared', 100000), ('s2', 0)"
"$DBTOOL" -c "$CONF" -g gwc1 -j "$TQ_TMP/j1" run 150 1 7 shared=3 s2=4 >"$TQ_TMP/c1.out" 2>&1 &
p1=$!
"$DBTOOL" -c "$CONF" -g gwc2 -j "$TQ_TMP/j2" run 150 1 7 s2=4 shared=3 >"$TQ_TMP/c2.out" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
expect_eq "both concurrent clients finished" "0 0" "$r1 $r2"
expect_eq "concurrent debits: none lost" "$((100000 - 2 * 150 * 3)) $((-2 * 150 * 4))" \
	"$(quota shared) $(quota s2)"
expect_eq "concurrent polls recorded" 300 \
	"$(q "SELECT COUNT(*) FROM poll_applied WHERE gateway IN ('gwc1', 'gwc2')")"

# ---- server killed while polls are applied ----
# Polls pile up in the journal while the server is down and are applied,
# exactly once each, when it is back.
q "INSERT INTO tcptab VALUES ('k', 0)"
p0=$(q "SELECT SUM(quota) FROM periodtab")
"$DBTOOL" -c "$CONF" -g gwk -j "$TQ_TMP/jk" --sleep 5 run 400 1 5 k=5 >"$TQ_TMP/k.out" 2>&1 &
pk=$!
appended() { [ "$(grep -c '^appended' "$1")" -ge "$2" ]; }
wait_for 20 appended "$TQ_TMP/k.out" 60
mdb_kill
at=$(grep -c '^appended' "$TQ_TMP/k.out")
check "client journals polls while the server is down" \
	wait_for 10 appended "$TQ_TMP/k.out" $((at + 30))
mdb_restart
wait $pk; rk=$?
expect_eq "client finished after the server came back" 0 "$rk"
expect_eq "journal empty after the run" "" "$("$DBTOOL" -j "$TQ_TMP/jk" jdump)"
expect_eq "server kill: every debit exactly once" "-2000 400 1 400" \
	"$(q "SELECT (SELECT quota FROM tcptab WHERE name = 'k'),
	      COUNT(*), MIN(id), MAX(id) FROM poll_applied WHERE gateway = 'gwk'" | tr '\t' ' ')"
expect_eq "server kill: period total exact" "$((p0 + 2000))" "$(q "SELECT SUM(quota) FROM periodtab")"
expect_eq "server kill: history exact" "2000 400" \
	"$(q "SELECT SUM(seconds), SUM(polls) FROM debits WHERE name = 'k'" | tr '\t' ' ')"

# ---- client killed with pending journal entries ----
q "INSERT INTO tcptab VALUES ('c', 0)"
"$DBTOOL" -c "$CONF" -g gwj -j "$TQ_TMP/jc" --sleep 5 run 100000 1 1 c=2 >"$TQ_TMP/c.out" 2>&1 &
pc=$!
wait_for 20 appended "$TQ_TMP/c.out" 40
mdb_kill
at=$(grep -c '^appended' "$TQ_TMP/c.out")
wait_for 10 appended "$TQ_TMP/c.out" $((at + 25))
kill -9 $pc
wait $pc 2>/dev/null
pending=$("$DBTOOL" -j "$TQ_TMP/jc" jdump | wc -l)
check "client killed with >= 25 entries pending ($pending)" [ "$pending" -ge 25 ]
mdb_restart
n=$(grep -c '^appended' "$TQ_TMP/c.out")
out=$(dbt -g gwj -j "$TQ_TMP/jc" replay)
expect_eq "replay after the client restart" "replayed applied=$pending duplicate=0" "$out"
k=$(q "SELECT COUNT(*) FROM poll_applied WHERE gateway = 'gwj'")
check "every fsynced poll applied ($k, $n printed)" \
	test "$k" -ge "$n" -a "$k" -le $((n + 1))
expect_eq "client kill: ids contiguous, balance exact" "1 $k $((-2 * k))" \
	"$(q "SELECT MIN(id), MAX(id), (SELECT quota FROM tcptab WHERE name = 'c') FROM poll_applied WHERE gateway = 'gwj'" | tr '\t' ' ')"
expect_eq "journal empty after the replay" "" "$("$DBTOOL" -j "$TQ_TMP/jc" jdump)"
expect_eq "replaying again does nothing" "replayed applied=0 duplicate=0" \
	"$(dbt -g gwj -j "$TQ_TMP/jc" replay)"

# A poll that committed but whose ack was lost (crash between the two).
"$DBTOOL" -j "$TQ_TMP/ja" jappend 900 3 c=3
dbt -g gwj apply 900 3 c=3 >/dev/null
before=$(quota c)
expect_eq "committed-but-unacked entry is recognised" "replayed applied=0 duplicate=1" \
	"$(dbt -g gwj -j "$TQ_TMP/ja" replay)"
expect_eq "... and not debited twice" "$before" "$(quota c)"

tq_done
