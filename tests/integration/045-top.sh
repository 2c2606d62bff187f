#!/bin/bash
# 045: tcpquota top on a real terminal (tmux): frames refresh, q and
# Ctrl-C end it with status 0, the terminal modes (icanon, echo) are
# restored; TERM too.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tools.sh
. "$TQ_ROOT/tests/lib/tools.sh"
tq_init 045-top
tools_setup || { fail "set-up"; tq_done; exit 1; }
tq "allow bob; set bob 3600" >/dev/null
mdb_sql "INSERT INTO masq (gateway, host, name, open, free, cnts, counter,
	 tic) VALUES ('gw1', '198.18.1.10', 'bob', 1, 0, 2, 5, 10)"

SOCK=$TQ_TMP/tmux.sock
at_exit "tmux -S $SOCK kill-server 2>/dev/null"
screen() { tmux -S "$SOCK" capture-pane -p -t "$1"; }
on_screen() { screen "$1" | grep -q -- "$2"; }

# pane NAME: tcpquota top in a pane; afterwards its exit status and the
# terminal's icanon/echo flags go to NAME.after.
pane() {
	tmux -S "$SOCK" new-session -d -s "$1" -x 200 -y 20 \
		"$TQ_BUILD/tcpquota --config $TOOLS_CONF top; echo \$? >$TQ_TMP/$1.rc;
		 stty -a | tr ' ' '\n' | grep -Ex -- '-?(icanon|echo)' | tr '\n' ' ' >$TQ_TMP/$1.after;
		 sleep 60"
}

for key in q C-c TERM; do
	pane "k$key"
	check "$key: a frame with bob's host" \
		wait_for 5 on_screen "k$key" "^gw1 .*198.18.1.10 .*bob .*open .*paid"
	check "$key: header" on_screen "k$key" "^tcpquota top .*\[q quits\]"
	mdb_sql "UPDATE masq SET counter = 6 WHERE host = '198.18.1.10'"
	check "$key: the view refreshes" wait_for 5 on_screen "k$key" \
		"^gw1 .*198.18.1.10 .*bob .*open .*paid .* 2 .* 6 .*3600"
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
done

tq_done
