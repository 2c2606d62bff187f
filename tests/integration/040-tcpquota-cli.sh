#!/bin/bash
# 040: the tcpquota CLI against a private MariaDB: every verb's effect on
# the tables and its output, --json, ;-separated commands, stdin scripts,
# exit codes and messages, the logging table.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tools.sh
. "$TQ_ROOT/tests/lib/tools.sh"
tq_init 040-tcpquota-cli
tq_require "set-up" tools_setup

sq() { tr -s ' ' <<<"$1"; }

# --- allow / deny -----------------------------------------------------
run tq allow bob carol
expect_eq "allow: exit 0" 0 "$RC"
expect_eq "allow: output" "allowed bob
allowed carol" "$OUT"
expect_eq "allow: allowed rows" "bob
carol" "$(q "SELECT name FROM allowed ORDER BY name")"
expect_eq "allow: tcptab rows with 0" "bob 0
carol 0" "$(q "SELECT name, quota FROM tcptab ORDER BY name")"
run tq allow bob
expect_eq "allow again: exit 0, says so" "0 bob was already allowed" \
	"$RC $OUT"

# --- set / add ----------------------------------------------------------
run tq set bob 3600
expect_eq "set: output" "0 bob: 3600 s (was 0 s)" "$RC $OUT"
run tq add bob -60
expect_eq "add -60: output" "0 bob: 3540 s (-60 s)" "$RC $OUT"
run tq add bob +100
expect_eq "add +100: output" "0 bob: 3640 s (+100 s)" "$RC $OUT"
expect_eq "set/add: balance" "3640" \
	"$(q "SELECT quota FROM tcptab WHERE name = 'bob'")"

run tq "set carol 120; add carol 60"
expect_eq "';' in one argument: both ran" "0 carol: 120 s (was 0 s)
carol: 180 s (+60 s)" "$RC $OUT"
run tq set carol 1 ";" add carol 2
expect_eq "lone ';' argument separates" "0 carol: 1 s (was 180 s)
carol: 3 s (+2 s)" "$RC $OUT"
tq set carol 180 >/dev/null

# --- errors name the failing command -----------------------------------
run tq set bob 12x
expect_eq "set 12x: exit 1 and message" \
	"1 tcpquota: set bob: not a number: 12x" "$RC $OUT"
run tq "add bob 5; frob bob"
expect_eq "unknown command: message" "1 tcpquota: frob: unknown command" \
	"$RC $OUT"
expect_eq "a bad command stops the whole line before anything runs" \
	"3640" "$(q "SELECT quota FROM tcptab WHERE name = 'bob'")"
run tq set bob
expect_eq "usage error" "2 tcpquota: set bob: usage: set USER SECONDS" \
	"$RC $OUT"
run tq allow "$(printf 'a\tb')"
check "control character in a name refused" \
	grep -q "^tcpquota: allow a.b: invalid user name" <<<"$OUT"
expect_eq "  with exit 1" 1 "$RC"
run tq status nosuchuser
expect_eq "status of an unknown user" \
	"1 tcpquota: status nosuchuser: unknown user" "$RC $OUT"
run tq --frobnicate list
check "unknown option: exit 2" [ "$RC" -eq 2 ]
check "  and message" grep -q "^tcpquota: unknown option --frobnicate" \
	<<<"$OUT"
run "$TQ_BUILD/tcpquota" --config "$TQ_TMP/missing.conf" list
expect_eq "missing config: exit 1" 1 "$RC"
check "  message names the file" grep -q "missing.conf" <<<"$OUT"
run "$TQ_BUILD/tcpquota"
expect_eq "no command: exit 2" 2 "$RC"

# --- stdin scripts --------------------------------------------------------
run tq - <<'EOF'
# weekly top-up
allow dave
set dave 600; add dave 60

add bob 0   # comments end a line
EOF
expect_eq "stdin script: exit 0" 0 "$RC"
expect_eq "stdin script: output" "allowed dave
dave: 600 s (was 0 s)
dave: 660 s (+60 s)
bob: 3640 s (+0 s)" "$OUT"
run tq - <<'EOF'
set bob 1
add carol 1
set dave x1
EOF
expect_eq "stdin script with an error on line 3" \
	"1 tcpquota: set dave: not a number: x1" "$RC $OUT"
expect_eq "  nothing of it ran" "3640 180 660" \
	"$(q "SELECT quota FROM tcptab WHERE name IN ('bob','carol','dave')
	      ORDER BY name" | tr '\n' ' ' | sed 's/ $//')"

run tq deny carol
expect_eq "deny" "0 denied carol" "$RC $OUT"
run tq deny carol
expect_eq "deny again" "0 carol was not allowed" "$RC $OUT"
expect_eq "deny keeps the balance" "180" \
	"$(q "SELECT quota FROM tcptab WHERE name = 'carol'")"

# --- logging ----------------------------------------------------------------
expect_eq "every change is logged (when, who, what)" \
"root add bob +0 (now 3640)
root add bob +100 (now 3640)
root add bob -60 (now 3540)
root add carol +2 (now 3)
root add carol +60 (now 180)
root add dave +60 (now 660)
root allow bob
root allow carol
root allow dave
root deny carol
root set bob 3600 (was 0)
root set carol 1 (was 180)
root set carol 120 (was 0)
root set carol 180 (was 3)
root set dave 600 (was 0)" \
	"$(mdb_sql "SELECT user, action FROM logging" | tr '\t' ' ' | sort)"
expect_eq "logging.when is set" 0 \
	"$(q "SELECT COUNT(*) FROM logging WHERE \`when\` IS NULL OR
	      \`when\` < NOW() - INTERVAL 1 HOUR")"
run tq log dave
expect_eq "log USER: rows about dave" "ACTION
add dave +60 (now 660)
allow dave
set dave 600 (was 0)" \
	"$(sed -E 's/^[0-9-]+ [0-9:]+ +root +//; s/^WHEN +USER +//' \
	   <<<"$OUT" | sort)"
expect_eq "--json log is a JSON array of 15" 15 \
	"$(tq --json log | jq length)"

# --- list and status ----------------------------------------------------------
run tq list
expect_eq "list" "NAME BALANCE MONEY ALLOWED
bob 3640 6.07 SEK yes
carol 180 0.30 SEK no
dave 660 1.10 SEK yes" "$(sq "$OUT")"
expect_eq "--json list" '["bob",3640,"6.07 SEK",true]
["carol",180,"0.30 SEK",false]
["dave",660,"1.10 SEK",true]' \
	"$(tq --json list | jq -c '.[] | [.name,.quota,.money,.allowed]')"

expect_eq "--json may follow the verb" 3 "$(tq list --json | jq length)"
run tq status bob
expect_eq "status bob" "0 bob: 3640 s (6.07 SEK), allowed" "$RC $OUT"
run tq status carol
expect_eq "status of a denied user" "0 carol: 180 s (0.30 SEK), not allowed" \
	"$RC $OUT"
mdb_sql "INSERT INTO masq (gateway, host, name, open, free, cnts, counter,
	 tic) VALUES ('gw1', '198.18.1.10', 'bob', 1, 0, 3, 7, 10),
	 ('gw2', '2001:db8:1::12', 'bob', 1, 0, 0, 2, 9),
	 ('gw1', '198.18.1.11', 'free', 1, 1, 0, 0, 10)"
run tq status bob
expect_eq "status with open hosts" \
	"0 bob: 3640 s (6.07 SEK), allowed, hosts: 198.18.1.10, 2001:db8:1::12@gw2" \
	"$RC $OUT"
expect_eq "--json status" \
	'{"user":"bob","quota":3640,"money":"6.07 SEK","allowed":true,"hosts":["198.18.1.10","2001:db8:1::12"]}' \
	"$(tq --json status bob |
	   jq -c '{user,quota,money,allowed,hosts:[.hosts[].host]}')"

# --- hosts and top -------------------------------------------------------------
run tq hosts
expect_eq "hosts" "GATEWAY HOST USER STATE KIND CONNS POLLS TIC OPENED
gw1 198.18.1.10 bob open paid 3 7 10
gw1 198.18.1.11 free open free 0 0 10
gw2 2001:db8:1::12 bob open paid 0 2 9" \
	"$(sq "$OUT" | sed -E 's/ [0-9-]{10} [0-9:]{8}$//; s/ $//')"
expect_eq "--json hosts" '["gw1","198.18.1.10","bob","open","paid",3,7]
["gw1","198.18.1.11","free","open","free",0,0]
["gw2","2001:db8:1::12","bob","open","paid",0,2]' \
	"$(tq --json hosts |
	   jq -c '.[] | [.gateway,.host,.name,.state,.kind,.cnts,.counter]')"
# top shows whom the daemon charged (debits, 045 tests it in full); no
# daemon runs here, so once top is reading, one poll charging bob 3 s
# (rate 2, period 1) is committed as the daemon would.
top_reading() {
	[ "$(q "SELECT COUNT(*) FROM information_schema.PROCESSLIST
		WHERE USER = 'tcpquota_admin'")" -ge 1 ]
}
top_poll() {
	tq "$@" top >"$TQ_TMP/top.out" 2>&1 &
	wait_for 5 top_reading
	sleep 0.3
	q "START TRANSACTION;
	   UPDATE tcptab SET quota = quota - 3 WHERE name = 'bob';
	   INSERT INTO debits (name, day, seconds, polls)
	   VALUES ('bob', CURDATE(), 3, 1) ON DUPLICATE KEY UPDATE
	   seconds = seconds + 3, polls = polls + 1; COMMIT"
	wait $!
	RC=$?
	OUT=$(cat "$TQ_TMP/top.out")
}
top_poll --once
check "top --once: header (1 user charged, rate 2, period 1 -> 3 s)" \
	grep -Eq "^tcpquota top .* rate 2  online 1  charge 3 s/poll" \
	<<<"$OUT"
check "top --once: bob's row with balance and charge" \
	grep -Eq "^gw1 198.18.1.10 bob open paid 3 7 3637 6.06 SEK 3$" \
	<<<"$(sq "$OUT")"
expect_eq "top not on a tty prints one frame" 1 \
	"$(tq top </dev/null | grep -c '^tcpquota top')"
top_poll --json
expect_eq "--json top" '[1,3,3]' \
	"$(jq -c '[.online,.charge,(.hosts|length)]' <<<"$OUT")"

# --- periods ---------------------------------------------------------------------
run tq period new
check "period new" grep -Eq '^period [0-9]+ started$' <<<"$OUT"
id=$(sed -E 's/^period ([0-9]+) started$/\1/' <<<"$OUT")
expect_eq "period row exists with quota 0" "0" \
	"$(q "SELECT quota FROM periodtab WHERE id = $id")"
check "period list shows it" grep -Eq "^ *$id " <<<"$(tq period list)"
expect_eq "--json period list: last id" "$id" \
	"$(tq --json period list | jq '.[-1].id')"
expect_eq "period new is logged" 1 \
	"$(q "SELECT COUNT(*) FROM logging WHERE action = 'period new $id'")"

# --- JSON escaping end to end ----------------------------------------------------
weird='we"ird\na me'
tq allow "$weird" >/dev/null
expect_eq "JSON: a name with quote and backslash survives" "$weird" \
	"$(tq --json list | jq -r '.[] | select(.name | startswith("we")) | .name')"
# shellcheck disable=SC2016
check "every --json verb parses" bash -c '
	for v in list log hosts "period list" "status bob" top \
		 "allow eve" "set eve 5" "add eve 1" "deny eve" "period new"; do
		"$0" --config "$1" --json $v | jq -e . >/dev/null || exit 1
	done' "$TQ_BUILD/tcpquota" "$TOOLS_CONF"

tq_done
