#!/bin/bash
# 043: the privilege model, as unprivileged users.  The whole test runs in
# a private mount namespace with overlays on /etc and /run, so the test
# users, groups, /etc/tcpquota and /run/utmp it creates never reach the
# host.  Copies of the tools are installed setgid to a throw-away group
# that alone may read the tools' credentials file (0640 root:group); the
# admin credentials are readable by the admin group only.
#   - a user cannot read the credentials, only the setgid tools can use them
#   - identity is the real uid ($USER, $LOGNAME are ignored)
#   - admin verbs, --user/--host, openfw: refused for plain users
#   - a setgid tool refuses --config and ignores $TQ_CONFIG
#   - the group is dropped after connecting
#   - openhost on a real pseudo-terminal (tmux) finds the user's host in
#     utmp, shows its status line, closes on Enter; other users' and local
#     logins are refused; two users on one shared host race: one wins
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_mount_ns "$@"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tools.sh
. "$TQ_ROOT/tests/lib/tools.sh"
tq_init 043-privileges

setup() {
	tq_overlay /etc /run || return 1
	groupadd tqtools && groupadd tqadm || return 1
	useradd -M -N -g users -s /bin/sh -d /nonexistent tqalice &&
	useradd -M -N -g users -s /bin/sh -d /nonexistent tqbob &&
	useradd -M -N -g users -G tqadm -s /bin/sh -d /nonexistent tqteach ||
		return 1
	: >/run/utmp
	utmp_only || return 1

	mdb_start || return 1
	local db tool_pw admin_pw
	db=$(mdb_conf)
	tool_pw=$(sed -n 's/^\s*tool_password_file = "\(.*\)";/\1/p' <<<"$db")
	admin_pw=$(sed -n 's/^\s*admin_password_file = "\(.*\)";/\1/p' <<<"$db")
	if [ ! -f "$tool_pw" ] || [ ! -f "$admin_pw" ]; then
		echo "mdb_conf has no tool/admin password files" >&2
		return 1
	fi
	mkdir -p /etc/tcpquota
	install -m 0640 -o root -g tqtools "$tool_pw" /etc/tcpquota/tool.secret
	install -m 0640 -o root -g tqadm "$admin_pw" \
		/etc/tcpquota/admin.secret
	TOOL_SECRET=$(cat "$tool_pw")
	db=$(sed -e "s|^\(\s*tool_password_file = \).*|\1\"/etc/tcpquota/tool.secret\";|" \
		 -e "s|^\(\s*admin_password_file = \).*|\1\"/etc/tcpquota/admin.secret\";|" \
		 -e "/^\s*password_file = /d" <<<"$db")
	TOOLS_ADMIN_GROUP=tqadm TOOLS_DB=$db tools_conf \
		>/etc/tcpquota/tcpquota.conf
	TOOLS_CONF=/etc/tcpquota/tcpquota.conf

	BIN=$TQ_TMP/bin
	mkdir -p "$BIN" "$TQ_TMP/plain"
	local p
	for p in openhost openfw tcpquota; do
		install -m 2755 -o root -g tqtools "$TQ_BUILD/$p" "$BIN/$p"
		install -m 0755 "$TQ_BUILD/$p" "$TQ_TMP/plain/$p"
	done
	TQTOOLS_GID=$(getent group tqtools | cut -d: -f3)
}
tq_require "set-up" setup
at_exit "userdel tqalice; userdel tqbob; userdel tqteach; groupdel tqtools; groupdel tqadm"


tq "allow tqalice tqbob; set tqalice 600; set tqbob 1200" >/dev/null
fake_start

# --- credentials ----------------------------------------------------------------
run as tqalice cat /etc/tcpquota/tool.secret
check "a user cannot read the tools' credentials" \
	grep -q "Permission denied" <<<"$OUT"
run as tqalice "$TQ_TMP/plain/tcpquota" status
expect_eq "without setgid the tool cannot connect" 1 "$RC"
check "  and says why" grep -q "^tcpquota: " <<<"$OUT"
check_not "  without printing the password" grep -qF "$TOOL_SECRET" <<<"$OUT"

# --- identity -----------------------------------------------------------------------
run as tqalice env USER=tqteach LOGNAME=tqteach "$BIN/tcpquota" status
expect_eq "status: own balance, identity from the real uid" \
	"0 tqalice: 600 s (1.00 SEK), allowed" "$RC $OUT"

# --- admin verbs ------------------------------------------------------------------------
run as tqalice "$BIN/tcpquota" allow tqalice
expect_eq "a user cannot run admin verbs" \
	"1 tcpquota: allow tqalice: permission denied (root and members of group tqadm only)" \
	"$RC $OUT"
run as tqalice env USER=root "$BIN/tcpquota" set tqalice 999999
expect_eq "  not even with USER=root" \
	"1 tcpquota: set tqalice: permission denied (root and members of group tqadm only)" \
	"$RC $OUT"
run as tqalice "$BIN/tcpquota" status tqbob
expect_eq "a user cannot see another's status" \
	"1 tcpquota: status tqbob: permission denied (root and members of group tqadm only)" \
	"$RC $OUT"
for v in list log hosts "period list" "period new" "deny tqbob" top; do
	run as tqalice "$BIN/tcpquota" "$v"
	expect_eq "user: $v refused" 1 "$RC"
done
expect_eq "balances untouched" "600 1200" \
	"$(q "SELECT quota FROM tcptab WHERE name IN ('tqalice','tqbob')
	      ORDER BY name" | tr '\n' ' ' | sed 's/ $//')"
run as tqteach "$BIN/tcpquota" "add tqbob 60; list"
check "a member of the admin group can (admin credentials via the group)" \
	[ "$RC" -eq 0 ]
check "  sees the list" grep -Eq "^tqbob +1260 " <<<"$OUT"
expect_eq "  the change is logged under the real user" "tqteach" \
	"$(q "SELECT user FROM logging WHERE action LIKE 'add tqbob%'")"

# --- configuration --------------------------------------------------------------------------
sed 's/admin_group = "tqadm"/admin_group = "users"/' "$TOOLS_CONF" \
	>"$TQ_TMP/evil.conf"
chmod 644 "$TQ_TMP/evil.conf"
for p in tcpquota:status openhost: openfw:lst; do
	# shellcheck disable=SC2086
	run as tqalice "$BIN/${p%%:*}" --config "$TQ_TMP/evil.conf" ${p#*:}
	p=${p%%:*}
	expect_eq "$p: setgid refuses --config" \
		"1 $p: --config is refused: $p runs setgid and only root may choose its configuration" \
		"$RC $OUT"
done
run as tqalice env TQ_CONFIG="$TQ_TMP/evil.conf" \
	"$BIN/tcpquota" allow tqalice
expect_eq "setgid ignores \$TQ_CONFIG" \
	"1 tcpquota: allow tqalice: permission denied (root and members of group tqadm only)" \
	"$RC $OUT"
run env TQ_CONFIG="$TQ_TMP/evil.conf" "$TQ_BUILD/tcpquota" status tqbob
check "(root, not setgid, may use \$TQ_CONFIG)" [ "$RC" -eq 0 ]

# --- openhost options and openfw -----------------------------------------------------------
run as tqalice "$BIN/openhost" --host 198.18.1.10
expect_eq "a user cannot name --host" \
	"1 openhost: --user and --host are for root and members of group tqadm only" \
	"$RC $OUT"
run as tqalice "$BIN/openhost" --user tqbob --host 198.18.1.10
expect_eq "nor --user" 1 "$RC"
run as tqalice "$BIN/openfw" room2
expect_eq "a user cannot run openfw" \
	"1 openfw: permission denied (root and members of group tqadm only)" \
	"$RC $OUT"
run as tqteach "$BIN/openfw" room2
expect_eq "the admin group can" "0 opening group room2 for free access
198.18.2.10 opened (free)" "$RC $OUT"
as tqteach "$BIN/openfw" room2 >/dev/null
expect_eq "no row for anyone else's host" "" "$(q "SELECT host FROM masq")"

# --- openhost on a real terminal ------------------------------------------------------------
mkdir -p "$TQ_TMP/pty"
chmod 1777 "$TQ_TMP/pty"
at_exit "as tqalice tmux -S $TQ_TMP/pty/tqalice.sock kill-server 2>/dev/null"
at_exit "as tqteach tmux -S $TQ_TMP/pty/tqteach.sock kill-server 2>/dev/null"

# pty_session NAME [USER [CMD]]: a tmux window of USER (tqalice) whose
# shell records its tty and pid, waits for $TQ_TMP/pty/NAME.go, runs CMD
# (openhost) and records its exit status.
pty_session() {
	local n=$1 u=${2:-tqalice} cmd=${3:-$BIN/openhost} d=$TQ_TMP/pty
	rm -f "$d/$n".*
	echo "$u" >"$d/$n.user"
	as "$u" tmux -S "$d/$u.sock" new-session -d -s "$n" -x 160 -y 12 \
		"tty >$d/$n.tty; echo \$\$ >$d/$n.pid;
		 while [ ! -e $d/$n.go ]; do sleep 0.05; done;
		 $cmd; echo \$? >$d/$n.rc; sleep 60"
	wait_for 5 test -s "$d/$n.pid" || return 1
	PTY_LINE=$(sed 's|^/dev/||' "$d/$n.tty")
	PTY_PID=$(cat "$d/$n.pid")
}
pty_go() { touch "$TQ_TMP/pty/$1.go"; }
tmx() {
	local u
	u=$(cat "$TQ_TMP/pty/$1.user")
	as "$u" tmux -S "$TQ_TMP/pty/$u.sock" "${@:2}"
}
screen() { tmx "$1" capture-pane -p -t "$1"; }
on_screen() { screen "$1" | grep -q -- "$2"; }
rc_of() { cat "$TQ_TMP/pty/$1.rc" 2>/dev/null; }

# The daemon's wake-up socket is writable by the tools' group only.
socat -u UNIX-RECV:"$TQ_TMP/wakeup.sock",unlink-early \
	OPEN:"$TQ_TMP/pokes",creat,append 2>/dev/null &
POKER=$!
at_exit "kill $POKER 2>/dev/null"
wait_for 5 test -S "$TQ_TMP/wakeup.sock"
chgrp tqtools "$TQ_TMP/wakeup.sock"
chmod 0660 "$TQ_TMP/wakeup.sock"

pty_session s1 || fail "tmux session"
utmp_add /run/utmp 7 "$PTY_PID" tqalice "$PTY_LINE" 198.18.1.10 198.18.1.10
pty_go s1
check "pty: alice's own host opens from her utmp record" \
	wait_for 5 on_screen s1 "^198.18.1.10 opened for tqalice.$"
check "pty: the status line appears" \
	wait_for 5 on_screen s1 "^balance 600 s (1.00 SEK)  charged 0 polls  0 connections  \[Enter closes\]"
check "pty: openhost poked the daemon (socket 0660 root:tqtools)" \
	test -s "$TQ_TMP/pokes"
expect_eq "pty: the row is hers" "tqalice 1 0" \
	"$(q "SELECT name, open, free FROM masq WHERE host = '198.18.1.10'")"
users_gid=$(id -g tqalice)
# openhost takes the group back only for the moment of a heartbeat's
# connect (it holds no database connection between heartbeats), so the
# group is read while it waits: a sample taken inside a connect shows
# the group taken back for that moment.
gids() {
	local ohpid
	ohpid=$(pgrep -u tqalice -x openhost | head -n 1)
	[ -n "$ohpid" ] &&
		awk '/^Gid:/ { print $2, $3, $4 }' "/proc/$ohpid/status" 2>/dev/null
}
seen_gids=
dropped() {
	seen_gids=$(gids)
	[ "$seen_gids" = "$users_gid $users_gid $TQTOOLS_GID" ]
}
wait_for 5 dropped
expect_eq "pty: group dropped (real, effective = user's; saved = tqtools)" \
	"$users_gid $users_gid $TQTOOLS_GID" "$seen_gids"
tmx s1 send-keys -t s1 Enter
check "pty: Enter closes" wait_for 5 test -s "$TQ_TMP/pty/s1.rc"
expect_eq "pty: exit 0" 0 "$(rc_of s1)"
expect_eq "pty: row removed" "" "$(q "SELECT host FROM masq")"
check "pty: says closed" on_screen s1 "^198.18.1.10 closed$"

# Somebody else's login record on her terminal (e.g. after su).
pty_session s2
utmp_add /run/utmp 7 "$PTY_PID" tqbob "$PTY_LINE" 198.18.1.11 198.18.1.11
pty_go s2
check "pty: another user's login record is refused" \
	wait_for 5 test -s "$TQ_TMP/pty/s2.rc"
expect_eq "  exit 1" 1 "$(rc_of s2)"
check "  message" on_screen s2 "the login on $PTY_LINE belongs to tqbob, not to you"

pty_session s3
pty_go s3
wait_for 5 test -s "$TQ_TMP/pty/s3.rc"
expect_eq "pty: no login record: refused" 1 "$(rc_of s3)"
check "  message" on_screen s3 "you are not logged in over the network"

pty_session s4
utmp_add /run/utmp 7 "$PTY_PID" tqalice "$PTY_LINE" ""
pty_go s4
wait_for 5 test -s "$TQ_TMP/pty/s4.rc"
expect_eq "pty: local login (no address): refused" 1 "$(rc_of s4)"
check "  message" on_screen s4 "you are not logged in over the network ($PTY_LINE is a local session)"
expect_eq "no row was created by the refused attempts" "" \
	"$(q "SELECT host FROM masq")"

# Two users logged in from the same LAN host (a shared machine) start
# openhost at the same moment, each from their own login record: exactly
# one opens it, the other is told who has it.
for i in 1 2; do
	pty_session "ra$i" tqalice
	utmp_add /run/utmp 7 "$PTY_PID" tqalice "$PTY_LINE" 198.18.1.30 \
		198.18.1.30
	pty_session "rb$i" tqbob
	utmp_add /run/utmp 7 "$PTY_PID" tqbob "$PTY_LINE" 198.18.1.30 \
		198.18.1.30
	pty_go "ra$i"; pty_go "rb$i"
	race_lost() {
		on_screen "ra$i" "already opened by" ||
			on_screen "rb$i" "already opened by"
	}
	race_won() {
		on_screen "ra$i" "^198.18.1.30 opened for tq" ||
			on_screen "rb$i" "^198.18.1.30 opened for tq"
	}
	check "users' race $i: one is refused" wait_for 10 race_lost
	check "users' race $i: one has it open" wait_for 10 race_won
	won=0; lost=0; winner=
	for s in "ra$i" "rb$i"; do
		if on_screen "$s" "^198.18.1.30 opened for tq"; then
			won=$((won + 1)); winner=$s
		fi
		if on_screen "$s" "^openhost: 198.18.1.30 is already opened by tq\(alice\|bob\)$"; then
			lost=$((lost + 1))
		fi
	done
	expect_eq "users' race $i: exactly one wins, one is refused" "1 1" \
		"$won $lost"
	expect_eq "users' race $i: one row, the winner's" \
		"$(cat "$TQ_TMP/pty/$winner.user" 2>/dev/null) 1" \
		"$(q "SELECT name, open FROM masq WHERE host = '198.18.1.30'")"
	[ -n "$winner" ] && tmx "$winner" send-keys -t "$winner" Enter
	check "users' race $i: both end" wait_for 10 \
		test -s "$TQ_TMP/pty/ra$i.rc" -a -s "$TQ_TMP/pty/rb$i.rc"
	expect_eq "users' race $i: exit codes 0 and 1" "0 1" \
		"$(cat "$TQ_TMP/pty/ra$i.rc" "$TQ_TMP/pty/rb$i.rc" | sort |
		   tr '\n' ' ' | sed 's/ $//')"
	expect_eq "users' race $i: no row left" "" \
		"$(q "SELECT host FROM masq WHERE host = '198.18.1.30'")"
done

# openfw without arguments: the room of the host the teacher sits at.
pty_session f1 tqteach "$BIN/openfw"
utmp_add /run/utmp 7 "$PTY_PID" tqteach "$PTY_LINE" 2001:db8:1::12 \
	2001:db8:1::12
pty_go f1
check "openfw (no argument) on a terminal: exits" \
	wait_for 10 test -s "$TQ_TMP/pty/f1.rc"
expect_eq "  with 0" 0 "$(rc_of f1)"
check "  opened the teacher's room (room1)" \
	on_screen f1 "^opening group room1 for free access"
expect_eq "  all of it" "198.18.1.10 198.18.1.11 2001:db8:1::12" \
	"$(q "SELECT host FROM masq WHERE free = 1 AND open = 1 ORDER BY host" |
	   tr '\n' ' ' | sed 's/ $//')"
pty_session f2 tqteach "$BIN/openfw"
utmp_add /run/utmp 7 "$PTY_PID" tqteach "$PTY_LINE" 198.18.1.11 198.18.1.11
pty_go f2
wait_for 10 test -s "$TQ_TMP/pty/f2.rc"
check "a second run closes it" on_screen f2 "^closing group room1"
expect_eq "  no rows left" "" "$(q "SELECT host FROM masq")"

tq_done
