#!/bin/bash
# 045: tcpquota top shows whom the daemon charged, from its own record
# (the debits table), not from masq.cnts: a poll is simulated here by the
# SQL one poll commits (tcptab and debits in one transaction).  --once
# watches for one poll (at most period + 1 s) and prints one frame: the
# users that poll charged, by how much, local users (no masq row) too;
# --json the same; with no poll, nobody is charged.  On a real terminal
# (tmux) the live view remembers each user's last charge across polls,
# refreshes, q and Ctrl-C end it with status 0, the terminal modes
# (icanon, echo) are restored; TERM too.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tools.sh
. "$TQ_ROOT/tests/lib/tools.sh"
tq_init 045-top
tq_require "set-up" tools_setup
# bob has a host; carol is a local user on the gateway (no masq row).
tq "allow bob; set bob 3600; allow carol; set carol 500" >/dev/null
mdb_sql "INSERT INTO masq (gateway, host, name, open, free, cnts, counter,
	 tic) VALUES ('gw1', '198.18.1.10', 'bob', 1, 0, 2, 5, 10)"
sq() { tr -s ' ' <<<"$1"; }

# fake_poll NAME SECONDS...: what one daemon poll commits for these users.
fake_poll() {
	local sql="START TRANSACTION;"
	while [ $# -ge 2 ]; do
		sql="$sql UPDATE tcptab SET quota = quota - $2 WHERE name = '$1';
		     INSERT INTO debits (name, day, seconds, polls)
		     VALUES ('$1', CURDATE(), $2, 1) ON DUPLICATE KEY UPDATE
		     seconds = seconds + $2, polls = polls + 1;"
		shift 2
	done
	mdb_sql "$sql COMMIT"
}
# Connections of the admin account: a top that has started reading.
admin_conns() {
	mdb_sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST
		 WHERE USER = 'tcpquota_admin'"
}
connected() { [ "$(admin_conns)" -ge 1 ]; }
disconnected() { [ "$(admin_conns)" -eq 0 ]; }
# top_poll ARGS -- NAME SECONDS...: tcpquota ARGS top, with one poll
# charging the users once top is reading; output in $OUT, status $RC.
top_poll() {
	local args=() pid
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	tq "${args[@]}" top >"$TQ_TMP/top.out" 2>&1 &
	pid=$!
	wait_for 5 connected || fail "top connects"
	sleep 0.3
	fake_poll "$@"
	wait "$pid"
	RC=$?
	OUT=$(cat "$TQ_TMP/top.out")
}
HDR='^tcpquota top  [0-9-]{10} [0-9:]{8}  rate 2  '

# --- no poll: nobody charged, after period + 1 s ------------------------------
t0=$(date +%s%N)
run tq --once top
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "no poll: exit 0" 0 "$RC"
check "no poll: header (nobody online, watched 2 s)" grep -Eq \
	"${HDR}online 0  charge 0 s/poll \(every 1 s\)  no charge in 2 s$" \
	<<<"$OUT"
check "no poll: --once waited period + 1 s ($ms ms)" \
	test "$ms" -ge 1900 -a "$ms" -lt 4000
expect_eq "no poll: bob's host, charge 0 (his 2 connections do not count)" \
	"gw1 198.18.1.10 bob open paid 2 5 3600 6.00 SEK 0" \
	"$(sq "$OUT" | grep '^gw1 ')"
expect_eq "no poll: no user debited today" \
	"USER BALANCE MONEY TODAY POLLS LAST CHARGED HOSTS" \
	"$(sq "$OUT" | sed -n '/^USER /,$p')"

# --- one poll charges bob and carol -----------------------------------------------
top_poll --once -- bob 3 carol 3
expect_eq "poll: exit 0" 0 "$RC"
check "poll: header (2 users charged 3 s each)" grep -Eq \
	"${HDR}online 2  charge 3 s/poll \(every 1 s\)  latest poll [0-9:]{8}$" \
	<<<"$OUT"
expect_eq "poll: bob's host row shows his charge" \
	"gw1 198.18.1.10 bob open paid 2 5 3597 6.00 SEK 3" \
	"$(sq "$OUT" | grep '^gw1 ')"
expect_eq "poll: users, the local user carol included" \
	"USER BALANCE MONEY TODAY POLLS LAST CHARGED HOSTS
bob 3597 6.00 SEK 3 1 3 yes 1
carol 497 0.83 SEK 3 1 3 yes 0" "$(sq "$OUT" | sed -n '/^USER /,$p')"

# --- the next poll charges carol alone -------------------------------------------
top_poll --once -- carol 4
check "carol alone: header" grep -Eq \
	"${HDR}online 1  charge 4 s/poll \(every 1 s\)  latest poll [0-9:]{8}$" \
	<<<"$OUT"
expect_eq "carol alone: bob's host not charged" \
	"gw1 198.18.1.10 bob open paid 2 5 3597 6.00 SEK 0" \
	"$(sq "$OUT" | grep '^gw1 ')"
expect_eq "carol alone: users (bob's last charge not seen by this top)" \
	"USER BALANCE MONEY TODAY POLLS LAST CHARGED HOSTS
bob 3597 6.00 SEK 3 1 - no 1
carol 493 0.82 SEK 7 2 4 yes 0" "$(sq "$OUT" | sed -n '/^USER /,$p')"

# --- --json ----------------------------------------------------------------------
top_poll --json -- bob 2
expect_eq "--json: online, charge, latest set, host charges" '[1,2,true,[2]]' \
	"$(jq -c '[.online, .charge, (.latest | type == "string"),
		   [.hosts[].charge]]' <<<"$OUT")"
expect_eq "--json: users" \
	'[["bob",3595,5,2,2,true,1],["carol",493,7,2,null,false,0]]' \
	"$(jq -c '[.users[] | [.name, .quota, .today, .polls, .last,
			       .charged, .hosts]]' <<<"$OUT")"
run tq --json top
expect_eq "--json, no poll: nobody, latest null, watched 2 s" \
	'[0,0,null,2,[0]]' \
	"$(jq -c '[.online, .charge, .latest, .watched, [.hosts[].charge]]' \
	   <<<"$OUT")"

# --- yesterday's rows are not today's -----------------------------------------------
mdb_sql "INSERT INTO debits (name, day, seconds, polls) VALUES
	 ('dave', CURDATE() - INTERVAL 1 DAY, 9, 3)"
top_poll --once -- dave 5
expect_eq "a first charge of the day (dave: yesterday's row kept apart)" \
	"dave 0 0.00 SEK 5 1 5 yes 0" "$(sq "$OUT" | grep '^dave ')"

# --- the live view on a terminal -------------------------------------------------------
SOCK=$TQ_TMP/tmux.sock
at_exit "tmux -S $SOCK kill-server 2>/dev/null"
screen() { tmux -S "$SOCK" capture-pane -p -t "$1"; }
on_screen() { screen "$1" | tr -s ' ' | grep -Eq -- "$2"; }

# pane NAME: tcpquota top in a pane; afterwards its exit status and the
# terminal's icanon/echo flags go to NAME.after.
pane() {
	tmux -S "$SOCK" new-session -d -s "$1" -x 200 -y 20 \
		"$TQ_BUILD/tcpquota --config $TOOLS_CONF top; echo \$? >$TQ_TMP/$1.rc;
		 stty -a | tr ' ' '\n' | grep -Ex -- '-?(icanon|echo)' | tr '\n' ' ' >$TQ_TMP/$1.after;
		 sleep 60"
}

counter=6
for key in q C-c TERM; do
	pane "k$key"
	check "$key: a frame with bob's host" \
		wait_for 5 on_screen "k$key" "^gw1 198.18.1.10 bob open paid"
	check "$key: header" on_screen "k$key" "^tcpquota top .*\[q quits\]"
	mdb_sql "UPDATE masq SET counter = $counter WHERE host = '198.18.1.10'"
	check "$key: the view refreshes" wait_for 5 on_screen "k$key" \
		"^gw1 198.18.1.10 bob open paid 2 $counter "
	counter=$((counter + 1))
	if [ "$key" = q ]; then
		wait_for 5 connected
		fake_poll bob 2 carol 2
		check "live: a poll is shown at once" wait_for 3 on_screen kq \
			"online 2 charge 2 s/poll"
		check "live: bob charged" on_screen kq "^bob 3593 .* 7 3 2 yes 1$"
		fake_poll carol 6
		check "live: the next poll, carol alone" wait_for 3 on_screen kq \
			"online 1 charge 6 s/poll"
		check "live: bob's last charge remembered, not charged now" \
			on_screen kq "^bob 3593 .* 7 3 2 no 1$"
		check "live: carol charged 6" \
			on_screen kq "^carol 485 .* 15 4 6 yes 0$"
		check "live: bob's host row charge 0" \
			on_screen kq "^gw1 198.18.1.10 bob open paid 2 [0-9]+ 3593 .* 0$"
	fi
	if [ "$key" = TERM ]; then
		pid=$(tmux -S "$SOCK" list-panes -t "k$key" -F '#{pane_pid}')
		kill -TERM "$(pgrep -P "$pid" -x tcpquota)"
	else
		tmux -S "$SOCK" send-keys -t "k$key" "$key"
	fi
	check "$key: top exits" wait_for 5 test -s "$TQ_TMP/k$key.after"
	expect_eq "$key: exit status 0" 0 "$(cat "$TQ_TMP/k$key.rc")"
	expect_eq "$key: terminal restored (icanon echo)" "icanon echo " \
		"$(cat "$TQ_TMP/k$key.after")"
	wait_for 5 disconnected
done

tq_done
