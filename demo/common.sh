# shellcheck shell=bash
# common.sh - what demo.sh and lab.sh share: setting up the database, the
# lab and the daemon, and small helpers that print evidence.  Needs
# lib.sh, lab.sh and mariadb.sh sourced and tq_init called first.
# The variables set here are read by the scripts that source it.
# shellcheck disable=SC2034

# The tests' tools helpers, for utmp_add (a login record); the run()
# defined there is replaced by the demo's below.
# shellcheck source=tests/lib/tools.sh
. "$TQ_ROOT/tests/lib/tools.sh"

PERIOD=${DEMO_PERIOD:-1}	# seconds between polls (DEMO_PERIOD=5 to watch slowly)
RATE=2				# rates.default
MINQ=0				# quota.min_quota
GWID=demo			# daemon.gateway
TABLE=tcpquota			# network.table
ALICE_IP=198.18.1.10		# = LAB_LAN4, the lab's first LAN host
BOB_IP=198.18.1.11
ROOM_A=198.18.1.20
ROOM_B=198.18.1.21
PHONE_IP=198.18.1.30		# bob's phone (demo.sh, step 9)
DAEMON_PID=
DAEMON_RC=
DEMO_DB=			# the database section, if not mdb_conf's
DEMO_PORTAL=			# 1: a portal section (demo.sh; not make lab)
PORTAL_PID=
PORTAL_RC=

if [ -t 1 ]; then
	_B=$(printf '\033[1m') _N=$(printf '\033[0m')
else
	_B='' _N=''
fi

step() { printf '\n%s== %s%s\n' "$_B" "$*" "$_N"; }
say() { printf '   %s\n' "$*"; }
indent() { sed 's/^/     /'; }

# Later steps build on the earlier ones: after a failure, stop here
# rather than wait for things that cannot happen.
stop_if_failed() {
	[ "$TQ_FAILED" -eq 0 ] && return 0
	say "a step above failed; stopping the demo here (log: $LOGFILE)"
	tail -n 15 "$LOGFILE" 2>/dev/null | indent
	tq_done
	exit 1
}

# polls SECONDS: a time limit that also covers a few polls of a slow
# DEMO_PERIOD.
polls() { echo $(($1 + 4 * PERIOD)); }

# The floor(period * rate / n) + 1 charge of each of n users.
charge() { echo $((PERIOD * RATE / $1 + 1)); }

# run TOOL ARGS...: a tool on the gateway as root, shown as the admin
# types it (the installed copy if there is one); a non-zero exit is a
# failed step.
run() {
	local tool=$1 rc
	shift
	printf '   # %s %s\n' "$tool" "$*"
	lab_gw "${BIN:-$TQ_BUILD}/$tool" --config "$CONF" "$@" 2>&1 | indent
	rc=${PIPESTATUS[0]}
	if [ "$rc" -eq 0 ]; then
		ok "$tool $*"
	else
		fail "$tool $* exited $rc"
	fi
	return "$rc"
}

show_sql() {
	printf '   sql> %s;\n' "$1"
	mariadb --no-defaults -S "$MDB_SOCKET" -uroot -t tcpquota -e "$1" |
		indent
}

# show_nft TITLE [SET]: the daemon's table, or one of its sets.
show_nft() {
	say "$1"
	if [ -n "${2:-}" ]; then
		say "# nft list set inet $TABLE $2"
		lab_gw nft list set inet "$TABLE" "$2" | indent
	else
		say "# nft list table inet $TABLE"
		lab_gw nft list table inet "$TABLE" | indent
	fi
}

balance() { mdb_sql "SELECT quota FROM tcptab WHERE name = '$1'"; }
masq_is() {
	[ "$(mdb_sql "SELECT open FROM masq WHERE host = '$1'")" = "$2" ]
}
row_gone() {
	[ -z "$(mdb_sql "SELECT host FROM masq WHERE host = '$1'")" ]
}
counter_ge() {
	local c
	c=$(mdb_sql "SELECT counter FROM masq WHERE host = '$1'")
	[ -n "$c" ] && [ "$c" -ge "$2" ]
}
# qc HOST [HOST2]: "quota counter" of the user of each host, read in one
# statement so that no poll falls between the numbers.
qc() {
	if [ $# -eq 1 ]; then
		mdb_sql "SELECT t.quota, m.counter FROM tcptab t
			 JOIN masq m ON m.name = t.name WHERE m.host = '$1'"
	else
		mdb_sql "SELECT a.quota, ma.counter, b.quota, mb.counter
			 FROM tcptab a JOIN masq ma ON ma.name = a.name,
			      tcptab b JOIN masq mb ON mb.name = b.name
			 WHERE ma.host = '$1' AND mb.host = '$2'"
	fi
}
room_open() {
	[ "$(mdb_sql "SELECT COUNT(*) FROM masq WHERE host IN
		('$ROOM_A', '$ROOM_B') AND open = 1 AND free = 1")" = 2 ]
}
table_exists() { lab_gw nft list table inet "$TABLE" >/dev/null 2>&1; }

# ---- the gateway's users (demo.sh only) ----
#
# alice and bob log in to the gateway and run openhost there themselves,
# as on a real gateway.  All of it lives in the demo's private mount
# namespace (demo.sh re-executes itself under unshare -m): /etc and /run
# are overlays whose upper layers are in $TQ_TMP, so the users, the group,
# /etc/tcpquota and /run/utmp never reach the host.

GROUP=tcpquota			# the tools' group (and the wake-up socket's)
BIN=				# the setgid copies of the tools

# users_setup: the overlays, group tcpquota, users alice and bob, an
# empty /run/utmp.
users_setup() {
	local ov=$TQ_TMP/ov u
	mkdir -p "$ov/etc" "$ov/etcw" "$ov/run" "$ov/runw" || return 1
	# Registered first, so they run last, after the lab (whose names
	# live in the /run overlay) is gone; lazily, in case something
	# still has a file open there.
	at_exit "umount -l /etc 2>/dev/null"
	mount -t overlay overlay \
		-o "lowerdir=/etc,upperdir=$ov/etc,workdir=$ov/etcw" /etc ||
		return 1
	at_exit "umount -l /run 2>/dev/null"
	mount -t overlay overlay \
		-o "lowerdir=/run,upperdir=$ov/run,workdir=$ov/runw" /run ||
		return 1
	getent group "$GROUP" >/dev/null || groupadd "$GROUP" || return 1
	for u in alice bob; do
		id -u "$u" >/dev/null 2>&1 && continue
		useradd -M -N -g users -s /bin/sh -d /nonexistent "$u" ||
			return 1
	done
	# Readable by everyone, written by root only (here: the demo, as
	# sshd).  Not 0664 root:utmp as on Debian: tmux would add a record
	# of its own for each pane (through the setgid utempter), a second
	# login on the same terminal.
	: >/run/utmp
	chmod 0644 /run/utmp
	# The demo's logins are these utmp records, also on a machine
	# systemd booted (where openhost would ask logind instead).
	utmp_only
}

# tools_install: what a package installs.  Copies of openhost, openfw and
# tcpquota setgid tcpquota in $BIN; in /etc/tcpquota the tools' password
# file 0640 root:tcpquota (their group may read it, the users may not),
# the daemon's and the admin's 0600 root (the admin here is root), and
# the configuration, the one path the setgid tools accept.  Sets CONF
# and DEMO_DB, the database section write_conf puts in it.
tools_install() {
	local d=/etc/tcpquota p
	mkdir -p "$d" || return 1
	install -m 0600 -o root -g root "$MDB_SECRET" "$d/db.secret" &&
	install -m 0640 -o root -g "$GROUP" "$MDB_TOOL_SECRET" \
		"$d/tool.secret" &&
	install -m 0600 -o root -g root "$MDB_ADMIN_SECRET" \
		"$d/admin.secret" || return 1
	DEMO_DB=$(MDB_SECRET=$d/db.secret MDB_TOOL_SECRET=$d/tool.secret \
		MDB_ADMIN_SECRET=$d/admin.secret mdb_conf)
	CONF=$d/tcpquota.conf
	BIN=$TQ_TMP/bin
	mkdir -p "$BIN" || return 1
	for p in openhost openfw tcpquota; do
		install -m 2755 -o root -g "$GROUP" "$TQ_BUILD/$p" "$BIN/$p" ||
			return 1
	done
}

# ---- the web portal and bob's phone (demo.sh only) ----

PORTAL_URL=http://198.18.1.1/	# = LAB_GW_LAN4, portal_section's listen
BOB_PW=Bob-phone-1		# bob's password on the gateway

# phone_setup: what installing the portal does on a gateway (its user,
# its PAM service), a password for bob (pam_unix checks it against
# /etc/shadow, here the overlay's), and his phone on the LAN: NS_PHONE.
phone_setup() {
	id -u tcpquota-portal >/dev/null 2>&1 ||
		useradd -r -M -N -g nogroup -d /nonexistent \
			-s /usr/sbin/nologin tcpquota-portal || return 1
	printf 'bob:%s\n' "$BOB_PW" | chpasswd || return 1
	install -D -m 0644 "$TQ_ROOT/init/tcpquota-portal.pam" \
		/etc/pam.d/tcpquota-portal || return 1
	lab_add_lan PHONE "$PHONE_IP" 2001:db8:1::30 || return 1
	NS_PHONE=$LAB_NS_PHONE
}

portal_started() {
	grep -q 'tcpquota-portal .* started' "$TQ_TMP/portal.log" 2>/dev/null
}

# portal_up: tcpquota-portal on the gateway, as root (it drops to its
# user); waits for its "started" line.
portal_up() {
	ip netns exec "$LAB_GW" "$TQ_BUILD/tcpquota-portal" --config "$CONF" \
		</dev/null >>"$TQ_TMP/portal.err" 2>&1 &
	PORTAL_PID=$!
	at_exit portal_down
	if ! wait_for 10 portal_started; then
		echo "tcpquota-portal did not start:" >&2
		tail -n 20 "$TQ_TMP/portal.err" "$TQ_TMP/portal.log" >&2
		return 1
	fi
}

portal_down() { stop_child PORTAL; }

# phone_browse: the phone's browser (demo/phone.py) in its namespace;
# its lines in $TQ_TMP/phone.out, the screenshot at $PHONE_SHOT.
phone_browse() {
	PHONE_SHOT=$TQ_BUILD/artefacts/demo/phone.png
	mkdir -p "${PHONE_SHOT%/*}" "$TQ_TMP/chrome" || return 1
	rm -f "$PHONE_SHOT"
	ip netns exec "$NS_PHONE" env START_URL="http://$LAB_SRV4/" \
		USER_NAME=bob USER_PW="$BOB_PW" SERVER="$LAB_SRV4:$LAB_PORT" \
		SHOT="$PHONE_SHOT" CHROME_PROFILE="$TQ_TMP/chrome" \
		HOME="$TQ_TMP" timeout 120 /usr/bin/python3 \
		"$TQ_ROOT/demo/phone.py" >"$TQ_TMP/phone.out" 2>&1
}
phone_said() { sed -n "s/^$1: //p" "$TQ_TMP/phone.out"; }

# ---- terminals: tmux as the user, a real pseudo-terminal on the gateway ----

# tm USER ARGS...: USER's own tmux server (one session, named USER).
tm() { tmux -S "$TQ_TMP/pty/$1.sock" "${@:2}"; }

# login_start USER HOST: USER logs in to the gateway from HOST as over
# ssh.  Her shell runs with her uid, groups and a clean environment in a
# tmux pane on the gateway; once it has a terminal, the login record sshd
# would write goes into /run/utmp (USER_PROCESS, the pane's line and the
# shell's pid, ut_host and ut_addr_v6 = HOST).  The shell then shows
# who am i, id and that the tools' credentials are not hers to read, and
# runs openhost with no arguments.  Sets LOGIN_LINE, LOGIN_PID.
login_start() {
	local u=$1 host=$2 d=$TQ_TMP/pty
	mkdir -p "$d" && chmod 1777 "$d" || return 1
	[ -f "$d/login.sh" ] || cat >"$d/login.sh" <<'LOGIN'
# login.sh DIR USER: the user's session in the pane
d=$1 u=$2
tty >"$d/$u.tty"
echo $$ >"$d/$u.pid"
while [ ! -e "$d/$u.go" ]; do sleep 0.05; done
cmd() { printf '%s@gateway:~$ %s\n' "$u" "$*"; "$@"; }
cmd who am i
cmd id
cmd cat /etc/tcpquota/tool.secret
cmd openhost
echo "[exit status $?]"
sleep 3600
LOGIN
	rm -f "$d/$u".*
	ip netns exec "$LAB_GW" setpriv --reuid="$u" --regid="$(id -g "$u")" \
		--init-groups env -i PATH="$BIN:/usr/bin:/bin" HOME=/ \
		TERM=xterm USER="$u" LOGNAME="$u" \
		tmux -S "$d/$u.sock" new-session -d -s "$u" -x 160 -y 20 \
		"exec bash $d/login.sh $d $u" || return 1
	at_exit "tmux -S $d/$u.sock kill-server 2>/dev/null"
	wait_for 5 test -s "$d/$u.pid" || return 1
	LOGIN_LINE=$(sed 's|^/dev/||' "$d/$u.tty")
	LOGIN_PID=$(cat "$d/$u.pid")
	utmp_add /run/utmp 7 "$LOGIN_PID" "$u" "$LOGIN_LINE" "$host" "$host"
	touch "$d/$u.go"
}
# login_record USER: USER's record in /run/utmp, as utmpdump shows it.
login_record() {
	utmpdump /run/utmp 2>/dev/null | grep -F "[$1 "
}
pane_text() { tm "$1" capture-pane -p -t "$1" 2>/dev/null; }
# pane_show USER TITLE [since]: USER's screen, or with "since" only from
# the openhost command on (what changed since it was shown whole).
pane_show() {
	local from=1
	[ "${3:-}" = since ] && from='/\$ openhost$/'
	say "$2"
	pane_text "$1" | sed -n "$from,\$p" |
		sed '/^[[:space:]]*$/d; s/^/     | /'
}
on_screen() { pane_text "$1" | grep -q -- "$2"; }
pane_exited() { pane_text "$1" | grep -q '^\[exit status'; }
pane_failed() { pane_text "$1" | grep -q '^\[exit status [1-9]'; }
pane_succeeded() { pane_text "$1" | grep -q '^\[exit status 0\]'; }

# ---- traffic: a long-lived connection sending a line every 0.3 s ----

# traffic_start NAME NS: the server echoes every line back into
# $TQ_TMP/traffic-NAME.out, which grows while the connection lives.  The
# lines come through a fifo from a loop of builtins only (read -t waits
# on a second fifo that never has data), so that stopping its two
# processes leaves no sleep behind.
traffic_start() {
	local name=$1 ns=$2 f=$TQ_TMP/traffic-$1 pids
	: >"$f.out"
	mkfifo "$f.in" "$f.idle" || return 1
	ip netns exec "$ns" socat - \
		"TCP:$LAB_SRV4:$LAB_PORT,connect-timeout=2" \
		<"$f.in" >"$f.out" 2>/dev/null &
	pids=$!
	(while echo "tick"; do read -r -t 0.3 <>"$f.idle"; done) \
		>"$f.in" 2>/dev/null &
	pids="$pids $!"
	printf -v "TRAFFIC_$name" '%s' "$pids"
	at_exit traffic_stop "$name"
}
traffic_stop() {
	local v="TRAFFIC_$1" pids
	read -ra pids <<<"${!v:-}"
	if [ "${#pids[@]}" -gt 0 ]; then
		kill "${pids[@]}" 2>/dev/null
		wait "${pids[@]}" 2>/dev/null
	fi
	printf -v "$v" '%s' ""
}
# True if the connection's echo output did not grow for a second.
traffic_stopped() {
	local f="$TQ_TMP/traffic-$1.out" s1 s2
	s1=$(stat -c %s "$f")
	sleep 1
	s2=$(stat -c %s "$f")
	[ "$s1" = "$s2" ]
}

# ---- the whole set-up ----

write_conf() {
	cat >"$CONF" <<CONF
# tcpquota.conf of the demo lab (written by demo/common.sh)
daemon = {
	period = $PERIOD;
	heartbeat_tics = 10;
	gateway = "$GWID";
	pidfile = "$TQ_TMP/tcpquotad.pid";
	logfile = "$LOGFILE";
	journal = "$TQ_TMP/journal";
	wakeup = "$TQ_TMP/wakeup.sock";
};
${DEMO_DB:-$(mdb_conf)}
$(lab_conf)
quota = {
	min_quota = $MINQ;
	min_uid = 1000;
	free_users = [ "free" ];
	message_file = "";
};
rates = {
	default = $RATE;
	money_unit = "SEK";
	money_per_minute = 0.1;
};
groups = {
	room1 = [ "$ROOM_A", "$ROOM_B" ];
};
${DEMO_PORTAL:+$(portal_section)}
CONF
}

# The web portal on the gateway's LAN address, plain HTTP; with this
# section the daemon also sends plain HTTP of LAN hosts not opened to it
# (the captive redirect).
portal_section() {
	cat <<PORTAL
portal = {
	listen = [ "$LAB_GW_LAN4" ];
	port = 80;
	logfile = "$TQ_TMP/portal.log";
};
PORTAL
}

# daemon_start foreground|fork: tcpquotad on the gateway, in the
# foreground (-f, a child of this shell, so its exit status can be read)
# or daemonized as an init script would start it.
daemon_start() {
	if [ "$1" = fork ]; then
		ip netns exec "$LAB_GW" "$TQ_BUILD/tcpquotad" --config "$CONF" \
			</dev/null >>"$TQ_TMP/daemon.err" 2>&1 || return 1
		DAEMON_PID=$(cat "$TQ_TMP/tcpquotad.pid")
	else
		ip netns exec "$LAB_GW" "$TQ_BUILD/tcpquotad" -f \
			--config "$CONF" </dev/null >>"$TQ_TMP/daemon.err" 2>&1 &
		DAEMON_PID=$!
		at_exit daemon_stop
	fi
	if ! wait_for 10 table_exists; then
		echo "tcpquotad did not create its table; its log:" >&2
		tail -n 20 "$LOGFILE" "$TQ_TMP/daemon.err" >&2
		return 1
	fi
}

# stop_child NAME: SIGTERM the child whose pid is in NAME_PID and wait
# for it; NAME_RC = its exit status, NAME_PID emptied.
stop_child() {
	local pid=${1}_PID rc
	[ -n "${!pid}" ] || return 0
	kill -TERM "${!pid}" 2>/dev/null
	wait "${!pid}" 2>/dev/null
	rc=$?
	printf -v "${1}_RC" '%s' "$rc"
	printf -v "$pid" '%s' ""
}

daemon_stop() { stop_child DAEMON; }

# demo_setup foreground|fork [CMD]: CMD (tools_install) runs once the
# database is up, before the configuration is written.
demo_setup() {
	CONF=$TQ_TMP/tcpquota.conf
	LOGFILE=$TQ_TMP/tcpquotad.log
	mdb_start || return 1
	[ -z "${2:-}" ] || "$2" || return 1
	lab_create || return 1
	NS_ALICE=$LAB_LAN
	lab_add_lan BOB "$BOB_IP" 2001:db8:1::11 || return 1
	lab_add_lan ROOMA "$ROOM_A" 2001:db8:1::20 || return 1
	lab_add_lan ROOMB "$ROOM_B" 2001:db8:1::21 || return 1
	NS_BOB=$LAB_NS_BOB
	NS_ROOM_A=$LAB_NS_ROOMA
	NS_ROOM_B=$LAB_NS_ROOMB
	write_conf
	daemon_start "$1"
}
