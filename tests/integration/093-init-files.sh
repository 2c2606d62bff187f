#!/bin/bash
# 093-init-files.sh - the systemd unit has the ordering, reload and
# hardening it promises; the SysV script has its LSB header and answers
# the LSB way when the daemon is absent; the logrotate snippet parses.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_init init-files
cd "$TQ_ROOT" || exit 1

U=init/tcpquotad.service
# key=value lines of the unit, comments dropped
unit_has() { grep -qxF -- "$1" "$U"; }
for line in \
	"Type=notify" \
	"NotifyAccess=main" \
	"WatchdogSec=30s" \
	"ExecReload=@SBINDIR@/tcpquotad -n" \
	"ExecStart=@SBINDIR@/tcpquotad -f" \
	"ExecReload=/bin/kill -HUP \$MAINPID" \
	"After=network-online.target mariadb.service" \
	"Wants=network-online.target mariadb.service" \
	"CapabilityBoundingSet=CAP_NET_ADMIN CAP_CHOWN" \
	"NoNewPrivileges=yes" \
	"ProtectSystem=strict" \
	"ProtectHome=yes" \
	"PrivateTmp=yes" \
	"ReadWritePaths=/var/log /run" \
	"StateDirectory=tcpquota" \
	"RestrictAddressFamilies=AF_NETLINK AF_UNIX AF_INET AF_INET6" \
	"WantedBy=multi-user.target"; do
	check "unit: $line" unit_has "$line"
done
# reload: the check first, then the signal (systemd runs them in order
# and stops at the first that fails)
expect_eq "unit: ExecReload checks the file, then signals" \
	"ExecReload=@SBINDIR@/tcpquotad -n
ExecReload=/bin/kill -HUP \$MAINPID" "$(grep '^ExecReload=' "$U")"
check "unit: no Type=simple left" bash -c "! grep -q '^Type=simple' $U"
check "unit: CAP_KILL only as a documented option" \
	grep -q '^#.*CAP_KILL' "$U"
check_not "unit: CAP_KILL not granted by default" \
	grep -q '^CapabilityBoundingSet=.*CAP_KILL' "$U"

S=init/tcpquotad.init
lsb_has() {
	sed -n '/^### BEGIN INIT INFO/,/^### END INIT INFO/p' "$S" |
		grep -q "^# $1:"
}
for k in Provides Required-Start Required-Stop Default-Start Default-Stop \
	Short-Description; do
	check "SysV script LSB header has $k" lsb_has "$k"
done
# With nothing running: status 3, stop 0, reload 7, unknown verb 3.
env_run() {
	env DAEMON=/bin/true PIDFILE="$TQ_TMP/none.pid" \
		RUNDIR="$TQ_TMP/run" TQ_DEFAULTS="$TQ_TMP/absent" sh "$S" "$@" \
		>/dev/null 2>&1
	echo $?
}
expect_eq "status of a stopped daemon is 3" 3 "$(env_run status)"
expect_eq "stop of a stopped daemon is 0" 0 "$(env_run stop)"
expect_eq "reload of a stopped daemon is 7" 7 "$(env_run reload)"
expect_eq "an unknown action is 3" 3 "$(env_run frobnicate)"
echo 999999 >"$TQ_TMP/stale.pid"
expect_eq "status with a stale pid file is 1" 1 \
	"$(env DAEMON=/bin/true PIDFILE="$TQ_TMP/stale.pid" \
		TQ_DEFAULTS="$TQ_TMP/absent" sh "$S" status >/dev/null 2>&1; echo $?)"

# Cron script: nothing to do without a log file, and it defers to
# logrotate where the snippet is installed and logrotate exists.
C=init/tcpquotad.cron.weekly
TQ_LOGFILE=$TQ_TMP/none.log TQ_PIDFILE=$TQ_TMP/none.pid \
	TQ_LOGROTATE="$TQ_TMP/absent" sh "$C"
check "cron script: no log file, exit 0" [ $? -eq 0 ]
check "cron script: no log file created" [ ! -e "$TQ_TMP/none.log" ]

L=init/tcpquotad.logrotate
if command -v logrotate >/dev/null; then
	sed "s|/var/log/tcpquotad.log|$TQ_TMP/lr.log|" "$L" >"$TQ_TMP/lr.conf"
	echo hello >"$TQ_TMP/lr.log"
	if out=$(logrotate -d -s "$TQ_TMP/lr.state" "$TQ_TMP/lr.conf" 2>&1) &&
		! grep -qi error <<<"$out"; then
		ok "logrotate -d accepts the snippet"
	else
		fail "logrotate -d: $out"
	fi
	: >"$TQ_TMP/lr.marker"
	echo data >"$TQ_TMP/x.log"
	TQ_LOGFILE=$TQ_TMP/x.log TQ_LOGROTATE=$TQ_TMP/lr.marker sh "$C"
	check "cron script leaves the job to logrotate" [ -s "$TQ_TMP/x.log" ]
else
	echo "note: logrotate not installed; snippet not parsed (not counted)"
fi
check "logrotate snippet keeps 4 compressed generations" \
	grep -qE '^\s+rotate 4$' "$L"
check "logrotate snippet sends HUP" grep -q 'kill -HUP' "$L"
tq_done
