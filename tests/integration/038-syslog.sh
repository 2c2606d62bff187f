#!/bin/bash
# 038-syslog.sh - daemon.logfile = "syslog": every line goes to syslog(3)
# as facility daemon with the message's priority and the daemon's pid, and
# nothing to a file.  /dev/log is a socat receiver of the test's own, in a
# private mount namespace whose /dev is a tmpfs of its own with the few
# nodes it needs made afresh, so the host's /dev (and any real syslog) is
# never touched.
#   - start, polls (--debug: priority debug), an open request (info)
#   - SIGHUP with a broken file: the rejection at priority warning
#   - USR2 ends debug lines, USR1 brings them back
#   - SIGTERM: clean-up lines, exit 0; no log file was created
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_mount_ns "$@"
# shellcheck source=tests/lib/lab.sh
. "$TQ_ROOT/tests/lib/lab.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tqd.sh
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-syslog

SYSLOG=$TQ_TMP/syslog.txt

# A /dev of our own: a tmpfs over /dev in this mount namespace with the
# few nodes the test needs made afresh (mknod), a new devpts instance, and
# /dev/log.  Nothing of the host's /dev is bound in, so nothing done here
# or at clean-up can reach it.
private_dev() {
	mount -t tmpfs -o mode=0755 tqdev /dev || return 1
	mknod -m 0666 /dev/null c 1 3 && mknod -m 0666 /dev/zero c 1 5 &&
		mknod -m 0666 /dev/full c 1 7 &&
		mknod -m 0666 /dev/random c 1 8 &&
		mknod -m 0666 /dev/urandom c 1 9 &&
		mknod -m 0666 /dev/tty c 5 0 || return 1
	mkdir -p /dev/pts /dev/shm &&
		mount -t devpts -o newinstance,ptmxmode=0666 tqpts /dev/pts &&
		ln -s pts/ptmx /dev/ptmx &&
		mount -t tmpfs -o mode=1777 tqshm /dev/shm || return 1
	ln -s /proc/self/fd /dev/fd
	ln -s /proc/self/fd/0 /dev/stdin
	ln -s /proc/self/fd/1 /dev/stdout
	ln -s /proc/self/fd/2 /dev/stderr
	: >"$SYSLOG"
	socat -u UNIX-RECV:/dev/log,mode=0666 \
		OPEN:"$SYSLOG",creat,append 2>/dev/null &
	SYSLOGD=$!
	at_exit "kill $SYSLOGD 2>/dev/null"
	wait_for 5 test -S /dev/log
}

setup() {
	private_dev || return 1
	tqd_setup || return 1
	mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000);
		INSERT INTO allowed (name) VALUES ('alice');" || return 1
	tqd_write || return 1
	sed -i 's|^\(\s*logfile = \).*|\1"syslog";|' "$TQD_DIR/tcpquota.conf"
	grep -q 'logfile = "syslog";' "$TQD_DIR/tcpquota.conf"
}
tq_require "private /dev with a /dev/log receiver, lab, database" setup

# The datagrams as lines (socat writes them as they come, one after the
# other; each begins with "<PRI>Mon DD").
lines() { sed 's/<[0-9]\{1,3\}>[A-Z][a-z][a-z] /\n&/g' "$SYSLOG" | sed '/^$/d'; }
# Lines of priority PRI (facility daemon = 3: 3 * 8 + severity) from pid.
prio_lines() { lines | grep -c "^<$1>.*tcpquotad\[$PID\]: $2"; }
syslog_has() { lines | grep -Eq "$1"; }
polls() { lines | grep -c "tcpquotad\[$PID\]: poll took"; }
polls_ge() { [ "$(polls)" -ge "$1" ]; }

ip netns exec "$LAB_GW" "$TQ_BUILD/tcpquotad" --debug \
	--config "$TQD_DIR/tcpquota.conf" >"$TQ_TMP/stderr" 2>&1 &
PID=$!
TQD_PIDS+=("$PID")
at_exit _tqd_kill_all
check "daemon starts and polls (lines in syslog)" wait_for 15 polls_ge 1
expect_eq "start line at priority info (<30>: daemon.info)" 1 \
	"$(prio_lines 30 "tcpquotad [0-9.]* starting (pid $PID, gateway gw1")"
check "poll lines at priority debug (<31>)" [ "$(prio_lines 31 'poll took')" -ge 1 ]
mdb_sql "INSERT INTO masq (host, name, tic, open, free, gateway)
	VALUES ('$LAB_LAN4', 'alice', 30, 2, 0, 'gw1')"
tqd_poke
check "open request: info line" wait_for 5 syslog_has \
	"^<30>.*tcpquotad\[$PID\]: opened $LAB_LAN4 for alice"

# --- a broken reload: warning
cp "$TQD_DIR/tcpquota.conf" "$TQ_TMP/good.conf"
sed -i 's/period = 1;/period = 0;/' "$TQD_DIR/tcpquota.conf"
kill -HUP "$PID"
check "broken reload rejected at priority warning (<28>)" wait_for 5 \
	syslog_has "^<28>.*tcpquotad\[$PID\]: .*reload.*tcpquota.conf:[0-9]+: daemon.period"
cp "$TQ_TMP/good.conf" "$TQD_DIR/tcpquota.conf"

# --- USR2 / USR1: debug lines off and on again
kill -USR2 "$PID"
# counted from the daemon's own word that it took the signal
wait_for 10 syslog_has "tcpquotad\[$PID\]: SIGUSR2: debug logging off"
n=$(polls)
sleep 2.2
expect_eq "USR2: no poll lines for 2 s" "$n" "$(polls)"
kill -USR1 "$PID"
check "USR1: poll lines again" wait_for 5 polls_ge $((n + 1))

# --- clean exit
kill -TERM "$PID"
wait "$PID"
expect_eq "SIGTERM: exit status 0" 0 "$?"
TQD_PIDS=()
check "clean-up lines at info" syslog_has \
	"^<30>.*tcpquotad\[$PID\]: table inet tcpquota deleted"
check "exiting at info" syslog_has "^<30>.*tcpquotad\[$PID\]: exiting"
check_not "no log file was written" [ -e "$TQD_DIR/tcpquotad.log" ]
check_not "nor a file named syslog" [ -e /syslog ]
expect_eq "nothing on stderr" "" "$(cat "$TQ_TMP/stderr")"
expect_eq "no warning but the reload's" 0 \
	"$(lines | grep '^<2[0-8]>' | grep -vc 'reload')"
tq_done
