#!/bin/bash
# 103: logins from logind, with no utmp at all (Debian 13 keeps none).
# The test runs in a private mount namespace: overlays on /etc and /run,
# /run/utmp removed, systemd's marker /run/systemd/system, logind's state
# files written as logind writes them on tmpfs mounts over
# /run/systemd/sessions and /run/systemd/users, and the cgroup2 hierarchy
# mounted on /sys/fs/cgroup (in this namespace only), where a session's
# processes sit in .../user-UID.slice/session-ID.scope: the cgroup that
# sd_pid_get_session() reads from /proc/PID/cgroup.  The real daemon in
# the lab; the tools installed setgid as in 043.
#   - openhost in tqlg1's session opens the session's remote host (set,
#     traffic), Enter closes it
#   - tqlg2 in tqlg1's session (as after su) is refused and cannot move
#     into it himself; outside any session, in a closing session or a
#     local one, refused
#   - openfw without arguments opens the room of the teacher's session host
#   - cut off, the message reaches the terminal of the user's session,
#     not that of a closing one
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_mount_ns "$@"
# shellcheck source=tests/lib/lab.sh
. "$TQ_ROOT/tests/lib/lab.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tqd.sh
. "$TQ_ROOT/tests/lib/tqd.sh"
# shellcheck source=tests/lib/tools.sh
. "$TQ_ROOT/tests/lib/tools.sh"
tq_init 103-logind

CG=/sys/fs/cgroup
CGTOP=$CG/tq103-$(tq_rand).slice
D=$TQ_TMP/pty

cg_empty() { [ -z "$(cat "$1/cgroup.procs" 2>/dev/null)" ]; }
# cg_clean: end the processes left in our cgroups, then remove them (they
# are the machine's hierarchy: nothing may stay behind).
cg_clean() {
	local d
	[ -d "$CGTOP" ] || return 0
	find "$CGTOP" -depth -type d | while read -r d; do
		[ -e "$d/cgroup.kill" ] && echo 1 >"$d/cgroup.kill"
		xargs -r kill -KILL <"$d/cgroup.procs" 2>/dev/null
		wait_for 5 cg_empty "$d"
		rmdir "$d"
	done
}

setup() {
	tq_overlay /etc /run || return 1
	rm -f /run/utmp
	mkdir -p /run/systemd/system /run/systemd/sessions \
		/run/systemd/users || return 1
	mount -t tmpfs -o mode=0755 tmpfs /run/systemd/sessions &&
		at_exit "umount -l /run/systemd/sessions" || return 1
	mount -t tmpfs -o mode=0755 tmpfs /run/systemd/users &&
		at_exit "umount -l /run/systemd/users" || return 1
	mount -t cgroup2 cgroup2 "$CG" && at_exit "umount -l $CG" || return 1
	mkdir "$CGTOP" && at_exit cg_clean || return 1
	groupadd tqtools && groupadd tqadm || return 1
	useradd -M -N -g users -s /bin/sh -d /nonexistent tqlg1 &&
	useradd -M -N -g users -s /bin/sh -d /nonexistent tqlg2 &&
	useradd -M -N -g users -G tqadm -s /bin/sh -d /nonexistent tqlgt ||
		return 1
	at_exit "userdel tqlg1; userdel tqlg2; userdel tqlgt;" \
		"groupdel tqtools; groupdel tqadm"
	tqd_setup || return 1

	# The daemon's file; the tools read theirs from /etc/tcpquota (a
	# setgid tool takes no --config) with their own credentials.
	local tool_pw admin_pw
	tqd_write
	sed -i "s/^\(\s*min_quota = .*\)$/\1\n\tadmin_group = \"tqadm\";/" \
		"$TQD_DIR/tcpquota.conf"
	echo "groups = { room1 = [ \"$LAB_LAN4\", \"$LAB_LAN6\" ]; };" \
		>>"$TQD_DIR/tcpquota.conf"
	tool_pw=$(sed -n 's/^\s*tool_password_file = "\(.*\)";/\1/p' \
		"$TQD_DIR/tcpquota.conf")
	admin_pw=$(sed -n 's/^\s*admin_password_file = "\(.*\)";/\1/p' \
		"$TQD_DIR/tcpquota.conf")
	mkdir -p /etc/tcpquota
	install -m 0640 -o root -g tqtools "$tool_pw" /etc/tcpquota/tool.secret
	install -m 0640 -o root -g tqadm "$admin_pw" \
		/etc/tcpquota/admin.secret
	sed -e "s|^\(\s*tool_password_file = \).*|\1\"/etc/tcpquota/tool.secret\";|" \
	    -e "s|^\(\s*admin_password_file = \).*|\1\"/etc/tcpquota/admin.secret\";|" \
	    -e "/^\s*password_file = /d" \
		"$TQD_DIR/tcpquota.conf" >/etc/tcpquota/tcpquota.conf
	chmod 0644 /etc/tcpquota/tcpquota.conf
	TOOLS_CONF=$TQD_DIR/tcpquota.conf
	BIN=$TQ_TMP/bin
	mkdir -p "$BIN" "$D" && chmod 1777 "$D"
	local p
	for p in openhost openfw; do
		install -m 2755 -o root -g tqtools "$TQ_BUILD/$p" "$BIN/$p"
	done
}
tq_require "overlays, logind's directories, cgroup2, users, lab, database" \
	setup

# lg_session ID USER STATE TTY [REMOTE_HOST]: logind's state file of a
# session (its session_save(): written aside, renamed into place), and
# the user's file listing their sessions (user_save()).
lg_session() {
	local id=$1 user=$2 state=$3 tty=$4 host=${5:-} f
	f=/run/systemd/sessions/$id
	{
		echo "# This is private data. Do not parse."
		echo "UID=$(id -u "$user")"
		echo "USER=$user"
		echo "ACTIVE=$([ "$state" = active ] && echo 1 || echo 0)"
		echo "IS_DISPLAY=0"
		echo "STATE=$state"
		echo "REMOTE=$([ -n "$host" ] && echo 1 || echo 0)"
		echo "TYPE=tty"
		echo "ORIGINAL_TYPE=tty"
		echo "CLASS=user"
		echo "SCOPE=session-$id.scope"
		echo "FIFO=/run/systemd/sessions/$id.ref"
		[ -z "$tty" ] || echo "TTY=$tty"
		[ -z "$host" ] || echo "REMOTE_HOST=$host"
		echo "SERVICE=sshd"
		echo "LEADER=$$"
		echo "REALTIME=$(date +%s)000000"
		echo "MONOTONIC=1000000"
	} >"$f.tmp" && mv "$f.tmp" "$f"
	lg_user "$user"
}

# lg_user USER: /run/systemd/users/UID from the session files.
lg_user() {
	local uid all='' online='' active='' f id st
	uid=$(id -u "$1")
	for f in /run/systemd/sessions/*; do
		grep -qsx "UID=$uid" "$f" || continue
		id=${f##*/}
		st=$(sed -n 's/^STATE=//p' "$f")
		all="$all${all:+ }$id"
		[ "$st" = closing ] || online="$online${online:+ }$id"
		[ "$st" = active ] && active="$active${active:+ }$id"
	done
	printf '%s\n' "# This is private data. Do not parse." "NAME=$1" \
		"STATE=active" "STOPPING=no" "RUNTIME=/run/user/$uid" \
		"SERVICE=user@$uid.service" "SLICE=user-$uid.slice" \
		"SESSIONS=$all" "SEATS=" "ACTIVE_SESSIONS=$active" \
		"ONLINE_SESSIONS=$online" "ACTIVE_SEATS=" "ONLINE_SEATS=" \
		>"/run/systemd/users/$uid.tmp" &&
		mv "/run/systemd/users/$uid.tmp" "/run/systemd/users/$uid"
}

# scope ID USER: the cgroup of session ID (created), as systemd names it.
scope() {
	local s
	s=$CGTOP/user.slice/user-$(id -u "$2").slice/session-$1.scope
	mkdir -p "$s" && echo "$s"
}

# in_cg DIR CMD...: CMD (and all it starts) in cgroup DIR.
in_cg() {
	local dir=$1; shift
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$dir" "$@"
}
# in_cg_as DIR USER CMD...: the same with USER's ids and a plain env (as).
in_cg_as() {
	local dir=$1 u=$2; shift 2
	in_cg "$dir" setpriv --reuid="$u" --regid="$(id -g "$u")" \
		--init-groups env -i PATH=/usr/bin:/bin TERM=xterm "$@"
}

# pane NAME USER SESSION CMD: a tmux window of USER in SESSION's cgroup
# (a tmux server of its own starts there, so the window is in it too)
# whose shell records its tty and pid, waits for $D/NAME.go, runs CMD and
# records its exit status.  Sets PTY_LINE.
pane() {
	local n=$1 u=$2 sid=$3 cmd=$4 s
	s=$(scope "$sid" "$u") || return 1
	echo "$u" >"$D/$n.user"
	in_cg_as "$s" "$u" tmux -S "$D/$n.sock" new-session -d -s "$n" \
		-x 160 -y 12 \
		"tty >$D/$n.tty; echo \$\$ >$D/$n.pid;
		 while [ ! -e $D/$n.go ]; do sleep 0.05; done;
		 $cmd; echo \$? >$D/$n.rc; sleep 600" || return 1
	at_exit "as $u tmux -S $D/$n.sock kill-server 2>/dev/null"
	wait_for 5 test -s "$D/$n.pid" || return 1
	PTY_LINE=$(sed 's|^/dev/||' "$D/$n.tty")
}
go() { touch "$D/$1.go"; }
tmx() { as "$(cat "$D/$1.user")" tmux -S "$D/$1.sock" "${@:2}"; }
screen() { tmx "$1" capture-pane -p -t "$1"; }
on_screen() { screen "$1" | grep -q -- "$2"; }
rc_of() { cat "$D/$1.rc" 2>/dev/null; }
reaches() { lab_try "$LAB_LAN" "$LAB_SRV4" >/dev/null 2>&1; }
no_utmp() { [ ! -e /run/utmp ] && [ ! -e /var/run/utmp ]; }

tq_require "tcpquotad starts" tqd_start
tq "allow tqlg1 tqlg2; set tqlg1 600; set tqlg2 600" >/dev/null
check "no utmp file, as on Debian 13" no_utmp

# --- tqlg1 logs in over ssh from the LAN host: session c71 -----------------
tq_require "tqlg1's terminal in session c71" \
	pane a1 tqlg1 c71 "$BIN/openhost"
lg_session c71 tqlg1 active "$PTY_LINE" "$LAB_LAN4"
expect_eq "the terminal's shell is in session c71's cgroup" \
	"0::${CGTOP#"$CG"}/user.slice/user-$(id -u tqlg1).slice/session-c71.scope" \
	"$(grep '^0::' "/proc/$(cat "$D/a1.pid")/cgroup")"
go a1
check "openhost opens the host of tqlg1's logind session" \
	wait_for 10 on_screen a1 "^$LAB_LAN4 opened for tqlg1.$"
check "  the status line" wait_for 5 on_screen a1 \
	"^balance 600 s (1.00 SEK)  charged 0 polls  0 connections  \[Enter closes\]"
check "  the host is in the firewall set" tqd_has_host "$LAB_LAN4"
check "  traffic passes" wait_for 5 reaches
expect_eq "  the row is tqlg1's" "tqlg1 1 0" \
	"$(tqd_q "SELECT name, open, free FROM masq WHERE host = '$LAB_LAN4'")"
check "  still no utmp file" no_utmp
tmx a1 send-keys -t a1 Enter
check "Enter closes" wait_for 10 test -s "$D/a1.rc"
expect_eq "  exit 0" 0 "$(rc_of a1)"
check "  says closed" on_screen a1 "^$LAB_LAN4 closed$"
expect_eq "  row removed" "" "$(tqd_q "SELECT host FROM masq")"

# --- tqlg2 may not use tqlg1's session ----------------------------------------
S71=$(scope c71 tqlg1)
OUT=$(in_cg_as "$S71" tqlg2 "$BIN/openhost" </dev/null 2>&1)
RC=$?
expect_eq "tqlg2 in tqlg1's session (as after su): refused" \
	"1 openhost: the login on session c71 belongs to tqlg1, not to you" \
	"$RC $OUT"
check_not "tqlg2 cannot move into tqlg1's session himself" \
	as tqlg2 sh -c "echo \$\$ >$S71/cgroup.procs" 2>/dev/null
OTHER=$CGTOP/tq103-other.scope
mkdir -p "$OTHER"
OUT=$(in_cg_as "$OTHER" tqlg2 "$BIN/openhost" </dev/null 2>&1)
RC=$?
check "tqlg2 in no session: refused, exit 1" [ "$RC" = 1 ]
check "  no login record" grep -Eqx \
	"openhost: no login record for process [0-9]+: you are not logged in over the network" \
	<<<"$OUT"
lg_session c72 tqlg2 closing pts/0 198.18.1.11
OUT=$(in_cg_as "$(scope c72 tqlg2)" tqlg2 "$BIN/openhost" </dev/null 2>&1)
RC=$?
expect_eq "tqlg2's session closing (logged out): refused" \
	"1 openhost: no login record for session c72: you are not logged in over the network" \
	"$RC $OUT"
lg_session c73 tqlg2 active tty1
OUT=$(in_cg_as "$(scope c73 tqlg2)" tqlg2 "$BIN/openhost" </dev/null 2>&1)
RC=$?
expect_eq "tqlg2 on the console (no remote host): refused" \
	"1 openhost: you are not logged in over the network (session c73 is a local session)" \
	"$RC $OUT"
expect_eq "no row from the refused attempts" "" \
	"$(tqd_q "SELECT host FROM masq")"

# --- openfw: the room of the teacher's session host ----------------------------
lg_session c75 tqlgt active pts/0 "$LAB_LAN6"
OUT=$(in_cg_as "$(scope c75 tqlgt)" tqlgt "$BIN/openfw" </dev/null 2>&1)
RC=$?
check "openfw (no argument) in the teacher's session: exit 0" [ "$RC" = 0 ]
check "  opens the room of the session's host (room1)" \
	grep -q "^opening group room1 for free access" <<<"$OUT"
expect_eq "  all of it" "$LAB_LAN4 $LAB_LAN6" \
	"$(tqd_q "SELECT host FROM masq WHERE free = 1 AND open = 1 ORDER BY host" |
	   tr '\n' ' ' | sed 's/ $//')"
OUT=$(in_cg_as "$(scope c75 tqlgt)" tqlgt "$BIN/openfw" </dev/null 2>&1)
check "  a second run closes it" grep -q "^closing group room1" <<<"$OUT"
expect_eq "  no rows left" "" "$(tqd_q "SELECT host FROM masq")"

# --- cut off: the message on the session's terminal ------------------------------
# tqlg1 is logged in twice: session c76 (this terminal) and c77, logged
# out but still there (closing, another terminal).  The raw bytes each
# terminal receives are recorded.
tq_require "tqlg1's terminal in session c76" pane m1 tqlg1 c76 "sleep 600"
M1=$PTY_LINE
tq_require "tqlg1's terminal in session c77" pane m2 tqlg1 c77 "sleep 600"
M2=$PTY_LINE
tmx m1 pipe-pane -o -t m1 "cat >>$D/m1.raw"
tmx m2 pipe-pane -o -t m2 "cat >>$D/m2.raw"
lg_session c76 tqlg1 active "$M1" "$LAB_LAN4"
lg_session c77 tqlg1 closing "$M2" "$LAB_LAN4"
expect_eq "tqlg1's sessions as logind lists them" \
	"SESSIONS=c71 c76 c77 ONLINE_SESSIONS=c71 c76" \
	"$(grep -E '^(ONLINE_)?SESSIONS=' "/run/systemd/users/$(id -u tqlg1)" |
	   tr '\n' ' ' | sed 's/ $//')"
# Session c71 has ended: logind removes its file.
rm -f /run/systemd/sessions/c71
lg_user tqlg1
tqd_q "UPDATE tcptab SET quota = 1 WHERE name = 'tqlg1'" >/dev/null
ip netns exec "$LAB_GW" setpriv --reuid=tqlg1 --regid="$(id -g tqlg1)" \
	--init-groups "$TQ_BUILD/tests/tqd-talker" "$LAB_SRV4" "$LAB_PORT" \
	200 100000 >"$TQ_TMP/talk" 2>&1 &
TALK=$!
at_exit "kill $TALK 2>/dev/null"
check "tqlg1's connection from the gateway is up" \
	wait_for 3 grep -q connected "$TQ_TMP/talk"
check "cut off: no quota" \
	tqd_wait_log "info: cut off tqlg1: no quota \(balance -?[0-9]+\)$" 5
check "told on one terminal" tqd_wait_log "info: told tqlg1 on 1 terminal$" 2
printf '\r\n*** tcpquota: your Internet access has been closed (no quota left or not allowed). ***\r\n*** Ask an administrator for more quota. ***\r\n' |
	sed 's/$/\r/' >"$TQ_TMP/expect"
raw_size_ge() { [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ]; }
wait_for 3 raw_size_ge "$D/m1.raw" "$(stat -c %s "$TQ_TMP/expect")"
check "the session's terminal got exactly the message" \
	cmp -s "$TQ_TMP/expect" "$D/m1.raw"
check "  on the screen" grep -qxF \
	"*** tcpquota: your Internet access has been closed (no quota left or not allowed). ***" \
	<<<"$(screen m1)"
expect_eq "the closing session's terminal got nothing" 0 \
	"$(stat -c %s "$D/m2.raw" 2>/dev/null || echo 0)"
check "no utmp file was read or made" no_utmp
kill "$TALK" 2>/dev/null
wait "$TALK" 2>/dev/null
tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
