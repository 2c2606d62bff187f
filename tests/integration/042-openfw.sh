#!/bin/bash
# 042: openfw against a private MariaDB and the stand-in daemon: group
# toggles (by name, by member host, host names resolved), hosts held by a
# user left alone, adm, cls (also under a running openhost), lst, log,
# free hours, unknown groups, a daemon that does not answer.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tools.sh
. "$TQ_ROOT/tests/lib/tools.sh"
tq_init 042-openfw
tq_require "set-up" tools_setup
tq "allow alice; set alice 600" >/dev/null
fake_start

rows() { q "SELECT host, name, open, free FROM masq ORDER BY host"; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# --- toggle a group by name ---------------------------------------------------
run fw room1
expect_eq "open room1: exit 0" 0 "$RC"
expect_eq "open room1: one line per host" "opening group room1 for free access
198.18.1.10 opened (free)
198.18.1.11 opened (free)
2001:db8:1::12 opened (free)" "$OUT"
expect_eq "open room1: free rows, paid by 'free', acknowledged" \
"198.18.1.10 free 1 1
198.18.1.11 free 1 1
2001:db8:1::12 free 1 1" "$(rows)"
expect_eq "free rows carry the heartbeat" "10 10 10" \
	"$(q "SELECT tic FROM masq ORDER BY host" | tr '\n' ' ' | sed 's/ $//')"

run fw lst
expect_eq "lst" "HOST USER STATE KIND CONNS POLLS OPENED
198.18.1.10 free open free 0 0
198.18.1.11 free open free 0 0
2001:db8:1::12 free open free 0 0" \
	"$(tr -s ' ' <<<"$OUT" | sed -E 's/ [0-9-]{10} [0-9:]{8}$//; s/ $//')"
expect_eq "--json lst" '["198.18.1.10","free","open","free"]
["198.18.1.11","free","open","free"]
["2001:db8:1::12","free","open","free"]' \
	"$(fw --json lst | jq -c '.[] | [.host,.name,.state,.kind]')"

run fw room1
expect_eq "toggle again closes room1" "0 closing group room1
198.18.1.10 closed
198.18.1.11 closed
2001:db8:1::12 closed" "$RC $OUT"
expect_eq "closed: rows removed" "" "$(rows)"

# --- toggle by a member host; host names in groups --------------------------------
run fw 2001:db8:1:0:0::12
check "a member's address toggles its group" \
	grep -q "^opening group room1 for free access$" <<<"$OUT"
expect_eq "  all three opened" 3 "$(q "SELECT COUNT(*) FROM masq WHERE open = 1")"
fw 198.18.1.11 >/dev/null
expect_eq "  and closed again" "" "$(rows)"
run fw room3
expect_eq "a host name member is resolved to its address" \
	"0 opening group room3 for free access
127.0.0.1 opened (free)" "$RC $OUT"
run fw localhost
expect_eq "a host name on the command line finds its group" \
	"0 closing group room3
127.0.0.1 closed" "$RC $OUT"

# --- a host held by a user is left alone -------------------------------------------
mkfifo "$TQ_TMP/a.fifo"; exec 7<>"$TQ_TMP/a.fifo"
"$TQ_BUILD/openhost" --config "$TOOLS_CONF" --user alice --host 198.18.1.10 \
	<"$TQ_TMP/a.fifo" >"$TQ_TMP/a.out" 2>&1 &
OH=$!
at_exit "kill $OH 2>/dev/null"
wait_for 5 grep -q "opened for alice" "$TQ_TMP/a.out"
run fw room1
expect_eq "busy host skipped, the others opened" "0 198.18.1.10: held by alice (paid), left as it is
opening group room1 for free access
198.18.1.11 opened (free)
2001:db8:1::12 opened (free)" "$RC $OUT"
run fw room1
expect_eq "the room counts as open: toggle closes the free ones" \
"0 198.18.1.10: held by alice (paid), left as it is
closing group room1
198.18.1.11 closed
2001:db8:1::12 closed" "$RC $OUT"
expect_eq "alice's row untouched" "198.18.1.10 alice 1 0" "$(rows)"

# --- cls under a running openhost ---------------------------------------------------
run fw cls 198.18.1.10
expect_eq "cls alice's host" "0 198.18.1.10 closed" "$RC $OUT"
check "alice's openhost notices and exits" wait_for 5 gone "$OH"
wait "$OH"
expect_eq "  with status 2" 2 "$?"
check "  telling her" grep -q "^openhost: tcpquotad closed 198.18.1.10" \
	"$TQ_TMP/a.out"
expect_eq "cls: row removed" "" "$(rows)"
run fw cls 198.18.1.99
expect_eq "cls of a closed host" "1 198.18.1.99: not open" "$RC $OUT"

# --- adm -------------------------------------------------------------------------------
run fw adm 198.18.2.10
expect_eq "adm" "0 198.18.2.10 opened (adm)" "$RC $OUT"
expect_eq "adm row: free = 2" "198.18.2.10 free 1 2" "$(rows)"
run fw adm 198.18.2.10
expect_eq "adm twice" "1 198.18.2.10: already opened by free (adm)" "$RC $OUT"
run fw room2
expect_eq "group toggle leaves an adm host alone" \
	"1 198.18.2.10: held by free (adm), left as it is
openfw: group room2: no host to open" "$RC $OUT"
run fw cls 198.18.2.10
expect_eq "cls adm" "0 198.18.2.10 closed" "$RC $OUT"

# --- log ---------------------------------------------------------------------------------
expect_eq "logging_openfw: every action, by whom" \
"root adm 198.18.2.10
root close group room1: 198.18.1.10 198.18.1.11 2001:db8:1::12
root close group room1: 198.18.1.10 198.18.1.11 2001:db8:1::12
root close group room1: 198.18.1.11 2001:db8:1::12
root close group room3: 127.0.0.1
root cls 198.18.1.10 (opened by alice)
root cls 198.18.2.10 (opened by free)
root open group room1: 198.18.1.10 198.18.1.11 2001:db8:1::12
root open group room1: 198.18.1.10 198.18.1.11 2001:db8:1::12
root open group room1: 198.18.1.11 2001:db8:1::12
root open group room3: 127.0.0.1" \
	"$(mdb_sql "SELECT user, action FROM logging_openfw" | tr '\t' ' ' |
	   sort)"
expect_eq "log shows them" 12 "$(fw log | wc -l)"
expect_eq "--json log" 11 "$(fw --json log | jq length)"
expect_eq "log USER: nothing by or about alice" 0 \
	"$(fw --json log alice | jq length)"
expect_eq "log USER: all of root's" 11 "$(fw --json log root | jq length)"
expect_eq "log HOST: the actions on 198.18.2.10" \
	'["root","adm 198.18.2.10"] ["root","cls 198.18.2.10 (opened by free)"]' \
	"$(fw --json log 198.18.2.10 | jq -c '.[] | [.user, .action]' |
	   sort | tr '\n' ' ' | sed 's/ $//')"
mdb_sql "INSERT INTO logging_openfw (\`when\`, user, action)
	VALUES (NOW(), 'teach', 'open group room2: 198.18.2.10')"
expect_eq "log USER: another teacher's only" \
	'["teach","open group room2: 198.18.2.10"]' \
	"$(fw --json log teach | jq -c '.[] | [.user, .action]')"
expect_eq "  and root's unchanged" 11 "$(fw --json log root | jq length)"

# --- errors -----------------------------------------------------------------------------
run fw room9
check "unknown group: exit 1" [ "$RC" -eq 1 ]
check "  message" grep -q "^openfw: room9 is neither a group nor a host" \
	<<<"$OUT"
run fw 198.18.9.9
expect_eq "host in no group" "1 openfw: 198.18.9.9 is in no group" "$RC $OUT"
run fw cls
expect_eq "cls without host" "2 openfw: cls: usage: cls HOST" "$RC $OUT"
TOOLS_FREE_FROM=$(date -d '+2 hours' +%H:%M) \
TOOLS_FREE_TO=$(date -d '+3 hours' +%H:%M) tools_conf >"$TQ_TMP/closed.conf"
run "$TQ_BUILD/openfw" --config "$TQ_TMP/closed.conf" room1
expect_eq "outside free hours: refused" \
	"1 openfw: free access is not allowed at this time (see free_access in $TQ_TMP/closed.conf)" \
	"$RC $OUT"
expect_eq "  nothing opened" "" "$(rows)"

fake_stop
run fw room2
expect_eq "no daemon: each host says so" "1 opening group room2 for free access
198.18.2.10: tcpquotad is not answering (is it running?)" "$RC $OUT"
expect_eq "no daemon: the request row is removed" "" "$(rows)"

tq_done
