#!/bin/bash
# 036-message.sh - the cut-off message on a local user's terminals, with
# the real daemon: a user logged in on a real pseudo-terminal (tmux, a
# utmp record) opens a connection from the gateway; cut off, the exact
# built-in message reaches that terminal once, and after a restart with
# quota.message_file the file's text does.  The whole test runs in a
# private mount namespace with overlays on /etc and /run (as 043 does), so
# the throw-away user and /run/utmp never reach the host.
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
tq_init 036-message

# /run first: the lab's namespaces are mounted under /run/netns, which an
# overlay mounted later would hide.
setup() {
	tq_overlay /etc /run || return 1
	useradd -M -N -g users -s /bin/sh -d /nonexistent tqmsg || return 1
	: >/run/utmp
	utmp_only || return 1
	tqd_setup
}
tq_require "overlays, user, lab and database set up" setup
MUID=$(id -u tqmsg)

# --- tqmsg logs in: a tmux window of theirs, a utmp record for its tty
D=$TQ_TMP/pty
mkdir -p "$D" && chmod 1777 "$D"
SOCK=$D/tqmsg.sock
at_exit "as tqmsg tmux -S $SOCK kill-server 2>/dev/null"
as tqmsg tmux -S "$SOCK" new-session -d -s s1 -x 160 -y 12 \
	"tty >$D/tty; echo \$\$ >$D/pid; exec sleep 600"
wait_for 5 test -s "$D/pid" || fail "terminal session"
LINE=$(sed 's|^/dev/||' "$D/tty")
expect_eq "the terminal is the user's" tqmsg \
	"$(stat -c %U "/dev/$LINE" 2>/dev/null)"
# Raw bytes the terminal receives (after the line discipline: the
# message's \r\n arrive as \r\r\n with onlcr, as on any terminal).
as tqmsg tmux -S "$SOCK" pipe-pane -o -t s1 "cat >>$D/raw"
utmp_add /run/utmp 7 "$(cat "$D/pid")" tqmsg "$LINE" ""
# Login records of tqmsg naming what is no terminal, or a terminal only
# through a symbolic link: the daemon writes to none of them (and opens
# no device that is not a terminal: as root, /dev/watchdog would start
# the watchdog).  A tmpfs on /dev/shm, private to this mount namespace,
# holds a FIFO (its reader sees every write), a regular file, a link to
# the real pts and one to /dev/null.  The real pts gets the message once.
mount -t tmpfs -o mode=0755 tmpfs /dev/shm && at_exit "umount -l /dev/shm"
mkfifo /dev/shm/fifo
printf 'untouched\n' >/dev/shm/file
cp /dev/shm/file "$TQ_TMP/file.before"
ln -s "/dev/$LINE" /dev/shm/ttylink
ln -s /dev/null /dev/shm/nulllink
# A reader keeps the FIFO open, so a write would succeed and be seen.
cat /dev/shm/fifo >"$TQ_TMP/fifo.out" &
FIFO_R=$!
at_exit "kill $FIFO_R 2>/dev/null"
exec 7>/dev/shm/fifo	# the reader's open returns; held until the end
for l in null zero urandom full shm/fifo shm/file shm/ttylink \
	shm/nulllink fd/1 stdout; do
	utmp_add /run/utmp 7 "$(cat "$D/pid")" tqmsg "$l" ""
done
screen() { as tqmsg tmux -S "$SOCK" capture-pane -p -t s1; }
onlcr() { sed 's/$/\r/'; }
raw_is() { cmp -s "$1" "$D/raw"; }
raw_size_ge() { [ "$(stat -c %s "$D/raw" 2>/dev/null || echo 0)" -ge "$1" ]; }

# talk_as: a TCP connection of tqmsg from the gateway itself (a local
# user as the daemon sees one: traffic of its uid through the output
# chain).
talk_as() {
	ip netns exec "$LAB_GW" setpriv --reuid=tqmsg \
		--regid="$(id -g tqmsg)" --init-groups \
		"$TQ_BUILD/tests/tqd-talker" "$LAB_SRV4" "$LAB_PORT" 200 \
		100000 >"$TQ_TMP/talk.$1" 2>&1 &
	TALK=$!
	at_exit "kill $TALK 2>/dev/null"
	wait_for 3 grep -q connected "$TQ_TMP/talk.$1"
}

# --- out of quota: cut off, the built-in message on the terminal, once.
# (A user who is not allowed is refused from his first packet and so is
# never cut off; one whose balance is at or below min_quota at start is
# blocked from the start: each round here starts with 1 second left, and
# the first poll with traffic charges 3.)
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('tqmsg', 1);
	INSERT INTO allowed (name) VALUES ('tqmsg')"
tqd_write
tq_require "daemon starts" tqd_start
check "tqmsg's connection is up" talk_as 1
check "cut off: no quota" \
	tqd_wait_log "info: cut off tqmsg: no quota \(balance -2\)$" 5
check "told on one terminal" tqd_wait_log "info: told tqmsg on 1 terminal$" 2
printf '\r\n*** tcpquota: your Internet access has been closed (no quota left or not allowed). ***\r\n*** Ask an administrator for more quota. ***\r\n' |
	onlcr >"$TQ_TMP/expect.1"
wait_for 3 raw_size_ge "$(stat -c %s "$TQ_TMP/expect.1")"
check "the terminal got exactly the built-in message" raw_is "$TQ_TMP/expect.1"
check "the user sees it on the screen" \
	grep -qxF "*** tcpquota: your Internet access has been closed (no quota left or not allowed). ***" <<<"$(screen)"
check "... both lines" \
	grep -qxF "*** Ask an administrator for more quota. ***" <<<"$(screen)"
expect_eq "the uid is blocked" "$MUID" "$(tqd_uids)"
expect_eq "nothing written to the FIFO named as a login line" "" \
	"$(cat "$TQ_TMP/fifo.out")"
check "the regular file named as a login line untouched" \
	cmp -s "$TQ_TMP/file.before" /dev/shm/file
expect_eq "told on exactly one terminal, none of the other records" 0 \
	"$(grep 'told tqmsg on' "$TQD_LOG" | grep -vc 'on 1 terminal$')"
tqd_wait_polls 3
check "told once per cut-off" raw_is "$TQ_TMP/expect.1"
expect_eq "logged once" 1 "$(grep -c 'told tqmsg on' "$TQD_LOG")"
tqd_stop
kill "$TALK" 2>/dev/null
wait "$TALK" 2>/dev/null

# --- no quota left, with quota.message_file: the file's text
printf 'Dear tqmsg: your quota is used up.\nRoom 101 sells more.\n' \
	>"$TQD_DIR/no-quota.txt"
tqd_write
sed -i "s|^\(\s*message_file = \).*|\1\"$TQD_DIR/no-quota.txt\";|" \
	"$TQD_DIR/tcpquota.conf"
mdb_sql "UPDATE tcptab SET quota = 1 WHERE name = 'tqmsg'"
: >"$D/raw"
n0=$(grep -c 'told tqmsg on' "$TQD_LOG")
tq_require "daemon restarts" tqd_start
check "tqmsg's connection is up again" talk_as 2
check "cut off: no quota" \
	tqd_wait_log "info: cut off tqmsg: no quota \(balance -?[0-9]+\)$" 5
told2() { [ "$(grep -c 'told tqmsg on 1 terminal$' "$TQD_LOG")" -gt "$n0" ]; }
check "told on one terminal again" wait_for 2 told2
onlcr <"$TQD_DIR/no-quota.txt" >"$TQ_TMP/expect.2"
wait_for 3 raw_size_ge "$(stat -c %s "$TQ_TMP/expect.2")"
check "the terminal got exactly the message file" raw_is "$TQ_TMP/expect.2"
check "the user sees it on the screen" \
	grep -qxF "Dear tqmsg: your quota is used up." <<<"$(screen)"
check "... both lines" grep -qxF "Room 101 sells more." <<<"$(screen)"

# --- logged out (utmp record dead): cut off again, no terminal written
tqd_stop
kill "$TALK" 2>/dev/null
wait "$TALK" 2>/dev/null
# logout rewrites the record in place
: >/run/utmp
utmp_add /run/utmp 8 "$(cat "$D/pid")" tqmsg "$LINE" ""
mdb_sql "UPDATE tcptab SET quota = 1 WHERE name = 'tqmsg'"
: >"$D/raw"
n0=$(grep -c 'cut off tqmsg' "$TQD_LOG")
t0=$(grep -c 'told tqmsg on' "$TQD_LOG")
tq_require "daemon restarts" tqd_start
check "tqmsg's connection is up a third time" talk_as 3
cut3() { [ "$(grep -c 'cut off tqmsg' "$TQD_LOG")" -gt "$n0" ]; }
check "cut off while logged out" wait_for 5 cut3
tqd_wait_polls 1
expect_eq "nobody told" "$t0" "$(grep -c 'told tqmsg on' "$TQD_LOG")"
expect_eq "nothing written to the old terminal" 0 "$(stat -c %s "$D/raw")"
tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
