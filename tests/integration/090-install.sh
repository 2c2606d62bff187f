#!/bin/bash
# 090-install.sh - make install DESTDIR=...: the expected tree, modes and
# substituted paths; an existing configuration is kept; make uninstall
# leaves nothing but the configuration.  The root install creates a group:
# the test runs in a private mount namespace with an overlay on /etc, so
# groupadd writes the overlay's group and gshadow, never the host's.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_mount_ns "$@"
tq_init install
cd "$TQ_ROOT" || exit 1

D=$TQ_TMP/root
P=/usr/local
mk() {
	make --no-print-directory -s B="$B" DESTDIR="$D" PREFIX=$P \
		SYSCONFDIR=/etc "$@"
}

# mode_of PATH: octal mode as stat prints it (e.g. 755, 2755)
mode_of() { stat -c %a "$D$1" 2>/dev/null; }

tq_require -o "$TQ_TMP/install.log" "make install DESTDIR=$D" mk install
ok "make install DESTDIR=$D"

want=(
	"$P/sbin/tcpquotad 755"
	"$P/sbin/tcpquota-setup-db 755"
	"$P/sbin/tcpquota-health 755"
	"$P/bin/openhost 755"
	"$P/bin/openfw 755"
	"$P/bin/tcpquota 755"
	"$P/share/man/man8/tcpquotad.8 644"
	"$P/share/man/man5/tcpquota.conf.5 644"
	"$P/share/man/man1/openhost.1 644"
	"$P/share/man/man8/openfw.8 644"
	"$P/share/man/man8/tcpquota.8 644"
	"$P/lib/systemd/system/tcpquotad.service 644"
	"/etc/init.d/tcpquotad 755"
	"/etc/cron.weekly/tcpquotad 755"
	"/etc/logrotate.d/tcpquotad 644"
	"/etc/tcpquota/tcpquota.conf 644"
)
for w in "${want[@]}"; do
	expect_eq "mode of ${w% *}" "${w#* }" "$(mode_of "${w% *}")"
done
for f in sql/*; do
	[ -f "$f" ] || continue
	check "installed $P/share/tcpquota/$f" [ -f "$D$P/share/tcpquota/$f" ]
done
for f in conf/*.txt; do
	[ -f "$f" ] || continue
	expect_eq "mode of /etc/tcpquota/${f##*/}" 644 \
		"$(mode_of "/etc/tcpquota/${f##*/}")"
done
check "installed programs are the built ones" \
	cmp "$B/tcpquotad" "$D$P/sbin/tcpquotad"
check "the tools are not setgid in a DESTDIR tree" \
	[ ! -g "$D$P/bin/openhost" ]
check "install printed how to make the tools setgid" \
	grep -q 'chmod 2755' "$TQ_TMP/install.log"

# Paths filled in for this PREFIX; no @PLACEHOLDER@ left anywhere.
check "unit runs $P/sbin/tcpquotad -f" \
	grep -qx "ExecStart=$P/sbin/tcpquotad -f" \
	"$D$P/lib/systemd/system/tcpquotad.service"
check "SysV script defaults to $P/sbin/tcpquotad" \
	grep -q "DAEMON=\${DAEMON:-$P/sbin/tcpquotad}" "$D/etc/init.d/tcpquotad"
left=$(grep -rl '@[A-Z]*DIR@' "$D" 2>/dev/null)
expect_eq "no @...@ placeholders left" "" "$left"

# systemd-analyze verify on the installed unit, where systemd-analyze is.
if command -v systemd-analyze >/dev/null; then
	u=$TQ_TMP/unit/tcpquotad.service
	mkdir -p "${u%/*}"
	# ExecStart and ExecReload (tcpquotad -n) must exist for verify:
	# point them at the DESTDIR binary.
	sed "s#^\(ExecStart\|ExecReload\)=$P#\1=$D$P#" \
		"$D$P/lib/systemd/system/tcpquotad.service" >"$u"
	# Documentation=man:... is checked too: find the installed pages.
	if out=$(MANPATH=$D$P/share/man SYSTEMD_LOG_LEVEL=warning \
		systemd-analyze verify "$u" 2>&1) && [ -z "$out" ]; then
		ok "systemd-analyze verify tcpquotad.service"
	else
		fail "systemd-analyze verify tcpquotad.service: $out"
	fi
	# Its own exposure score (0 = locked down, 10 = none): "OK" is < 5.
	score=$(systemd-analyze security --offline=yes "$u" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	check "systemd-analyze security: exposure $score below 4.0" \
		awk -v s="$score" 'BEGIN { exit !(s != "" && s < 4.0) }'
else
	echo "note: systemd-analyze not installed, unit not verified (not counted)"
fi

# A second install keeps a configuration the admin changed.
echo "# changed by the admin" >>"$D/etc/tcpquota/tcpquota.conf"
sum=$(md5sum <"$D/etc/tcpquota/tcpquota.conf")
mk install >"$TQ_TMP/install2.log" 2>&1
check "reinstall succeeds" [ $? -eq 0 ]
expect_eq "reinstall keeps the changed tcpquota.conf" "$sum" \
	"$(md5sum <"$D/etc/tcpquota/tcpquota.conf")"
check "reinstall says so" grep -q 'keeping existing' "$TQ_TMP/install2.log"

# Uninstall: only the configuration directory's files stay.
mk uninstall >"$TQ_TMP/uninstall.log" 2>&1
check "make uninstall succeeds" [ $? -eq 0 ]
rest=$(cd "$D" && find . -type f | sort | grep -v '^\./etc/tcpquota/')
expect_eq "uninstall leaves only /etc/tcpquota" "" "$rest"
check "the configuration is kept" [ -f "$D/etc/tcpquota/tcpquota.conf" ]
check "the SQL directory is gone" [ ! -e "$D$P/share/tcpquota" ]

# As root without DESTDIR the tools become setgid to the group (created
# when missing).  Installed under a private PREFIX with a throw-away
# group name, and the group goes into the overlay on /etc (this mount
# namespace only), so the host's /usr/local and groups stay as they were.
if [ "$(id -u)" -eq 0 ]; then
	G=tqtest$(tq_rand | cut -c1-6)
	R=$TQ_TMP/prefix
	tq_require "overlay on /etc (the root install would change the host)" \
		tq_overlay /etc
	if make --no-print-directory -s B="$B" DESTDIR= PREFIX="$R" \
		SYSCONFDIR="$R/etc" TQ_GROUP="$G" install \
		>"$TQ_TMP/install3.log" 2>&1; then
		ok "make install as root into PREFIX=$R"
	else
		cat "$TQ_TMP/install3.log"
		fail "make install as root into PREFIX=$R"
	fi
	has_group() { getent group "$1" >/dev/null; }
	check "group $G was created" has_group "$G"
	for t in openhost openfw tcpquota; do
		expect_eq "$t is setgid $G, mode 2755" "2755 root $G" \
			"$(stat -c '%a %U %G' "$R/bin/$t" 2>/dev/null)"
	done
	expect_eq "tcpquotad itself is not setgid" 755 \
		"$(stat -c %a "$R/sbin/tcpquotad" 2>/dev/null)"
fi

tq_done
