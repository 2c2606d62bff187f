#!/bin/bash
# check-package.sh - the Debian package, built and tried as an admin would
# (make check-package, as root):
#   1. the commented sysctl.d snippet: every setting commented out, and
#      the forwarding ones, uncommented, are valid (applied in a network
#      namespace of their own);
#   2. per suite (TQ_PKG_SUITES, default Debian 12 and 13): a copy of the
#      tree is built with "dpkg-buildpackage -us -uc -b" on this machine
#      when it runs that suite, else in a fresh build tree of the suite
#      (each suite needs its own build: Debian 13 has libconfig11 where
#      12 has libconfig9); lintian (no error, no warning that
#      debian/tcpquota.lintian-overrides does not explain) and
#      hardening-check on every program in the package;
#   3. the package installed with apt into a fresh tree of the suite
#      holding only its dependencies: groups, setgid modes through
#      dpkg-statoverride, the portal's user, state directory, conffiles,
#      daemon and portal not enabled, tcpquotad -n on the installed
#      configuration (its forwarding warnings name the snippet and are
#      gone once its settings are applied) and on a broken one,
#      tcpquota-portal -n, each
#      program's --help, the setgid tools' also for a plain user; a
#      reinstall keeps an edited conffile and the admin's statoverride;
#      remove keeps the configuration; purge leaves nothing but the two
#      groups and the portal's user (README.Debian says why).
# Trees come from mmdebstrap (Debian packages, from the mirror this
# machine's apt uses) and are cached as tarballs in TQ_PKG_CACHE (default
# /var/cache/tcpquota-check), made again when their package list changes
# or after 30 days.  Everything in a tree runs in private mount, pid and
# network namespaces: nothing there reaches the network or this
# machine's firewall.  Ends with "N passed, N failed"; exit 1 on failure.
#
#   tests/package/check-package.sh              everything
#   tests/package/check-package.sh --host-deps  the Debian packages this
#                                               machine needs for it
# Environment: TQ_PKG_SUITES, TQ_PKG_CACHE, TQ_PKG_MIRROR (a Debian
# mirror URL instead of the one from apt's configuration), TQ_KEEP=1
# keeps the temporary directory.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"

SUITES=${TQ_PKG_SUITES:-bookworm trixie}
CACHE=${TQ_PKG_CACHE:-/var/cache/tcpquota-check}
SETGID_TOOLS="openhost openfw tcpquota"
CONF=/etc/tcpquota/tcpquota.conf
SYSCTL=/etc/sysctl.d/60-tcpquota-forwarding.conf

# The Build-Depends of debian/control, one name a line (first
# alternative, no versions or profiles, debhelper for debhelper-compat).
build_deps() {
	sed -n '/^Build-Depends:/,/^[^ ]/{s/^Build-Depends://;/^[^ ]/d;p;}' \
		"$1/debian/control" | tr ',' '\n' | sed 's/[(<[|].*//' |
		awk 'NF { print ($1 == "debhelper-compat") ? "debhelper" : $1 }'
}

# What building and checking the package needs besides the
# Build-Depends, here and in every build tree.
BUILD_TOOLS="build-essential dpkg-dev debhelper fakeroot lintian devscripts"

if [ "${1:-}" = --host-deps ]; then
	# shellcheck disable=SC2046,SC2086
	printf '%s\n' $BUILD_TOOLS mmdebstrap debian-archive-keyring \
		binutils procps util-linux $(build_deps "$TQ_ROOT") | sort -u
	exit 0
fi

tq_init package
T0=$SECONDS

finish() {
	wait	# a build tree still being made in the background
	echo "# check-package took $((SECONDS - T0)) s"
	echo "$TQ_PASSED passed, $TQ_FAILED failed"
	[ "$TQ_FAILED" -eq 0 ]
	exit
}

# need DESC CMD...: a step the rest cannot go without.
need() {
	local desc=$1; shift
	if ! "$@"; then
		fail "$desc"
		finish
	fi
}

# log_tail FILE: the end of a failed step's log, as comments.
log_tail() {
	tail -n 25 "$1" | sed 's/^/#   /'
}

# inroot ROOT CMD...: CMD in the tree ROOT, with a /proc of its own, no
# network and a clean environment (CI passed on: -Werror under CI).
inroot() {
	local r=$1; shift
	unshare --mount --pid --net --fork --mount-proc="$r/proc" \
		chroot "$r" /usr/bin/env -i \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive CI="${CI:-}" "$@"
}

# copy_tree DEST: the source tree as it is (tracked and new files, not
# the build directories), without touching the source tree.
copy_tree() {
	mkdir -p "$1"
	(
		cd "$TQ_ROOT" || exit 1
		if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
			git ls-files -z -co --exclude-standard
		else
			find . -type f ! -path './.git/*' -printf '%P\0'
		fi | while IFS= read -r -d '' f; do
			case $f in build/* | build-*/*) continue ;; esac
			[ -e "$f" ] && printf '%s\0' "$f"
		done | tar --null -T - -cf -
	) | tar -xf - -C "$1"
}

# os_release FIELD: a field of this machine's /etc/os-release.
os_release() {
	sed -n "s/^$1=//p" /etc/os-release | tr -d '"'
}

# The Debian mirror of this machine's apt configuration: the one serving
# its own suite's main component.
mirror() {
	local codename
	if [ -n "${TQ_PKG_MIRROR:-}" ]; then
		echo "$TQ_PKG_MIRROR"
		return
	fi
	codename=$(os_release VERSION_CODENAME)
	# shellcheck disable=SC2016
	apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' \
		'Identifier: Packages' 2>/dev/null |
		awk -v c="$codename" '$2 == c && $3 == "main" { print $1; exit }'
}

# tarball SUITE VARIANT PACKAGE...: a tarball of a fresh SUITE tree
# (mmdebstrap VARIANT) with PACKAGEs, from the cache or made now.
tarball() {
	local suite=$1 variant=$2 inc key tar t=$SECONDS
	shift 2
	inc=$(printf '%s\n' "$@" | sort -u | paste -sd, -)
	key=$(printf '%s %s %s\n' "$suite" "$variant" "$inc" | sha256sum |
		cut -c1-12)
	tar=$CACHE/$suite-$variant-$key.tar
	find "$CACHE" -maxdepth 1 -name "$suite-$variant-*.tar" -mtime +30 \
		-delete
	if [ -s "$tar" ]; then
		echo "# $suite $variant tree from the cache: $tar" >&2
		echo "$tar"
		return 0
	fi
	if ! mmdebstrap --quiet --mode=root --format=tar --variant="$variant" \
		--components=main --include="$inc" \
		--aptopt='Acquire::Retries "3"' \
		"$suite" "$tar.new" "$MIRROR" >"$TQ_TMP/mmdebstrap-$suite.log" \
		2>&1; then
		log_tail "$TQ_TMP/mmdebstrap-$suite.log" >&2
		rm -f "$tar.new"
		return 1
	fi
	# One tarball per suite and variant: the older ones go.
	find "$CACHE" -maxdepth 1 -name "$suite-$variant-*.tar" \
		! -name "${tar##*/}" -delete
	mv -f "$tar.new" "$tar"
	echo "# $suite $variant tree made in $((SECONDS - t)) s: $tar" >&2
	echo "$tar"
}

# unpack TAR DIR: a tree of its own from a cached tarball.
# shellcheck disable=SC2317
unpack() {
	mkdir -p "$2" && tar -C "$2" --numeric-owner -xpf "$1"
}

# build SUITE ROOT: build the package from a copy of the tree, on this
# machine (ROOT empty) or in the tree ROOT; lintian, hardening-check.
# Leaves the .deb files in $TQ_TMP/debs-SUITE.
build() {
	local suite=$1 r=$2 dir run=() out=$TQ_TMP/debs-$1 t=$SECONDS
	local log=$TQ_TMP/build-$1.log
	if [ -n "$r" ]; then
		run=(inroot "$r")
		dir=/build
	else
		dir=$TQ_TMP/build-$suite
	fi
	copy_tree "$r$dir/tcpquota"
	if "${run[@]}" sh -c "cd $dir/tcpquota && dpkg-buildpackage -us -uc -b" \
		>"$log" 2>&1; then
		ok "$suite: dpkg-buildpackage -us -uc -b ($((SECONDS - t)) s)"
	else
		# The compiler's errors and the failed unit assertions, then
		# the end of the log.
		grep -E '(error|warning): |^ *[0-9]+\. [^ ]+:[0-9]+ |FAILED' \
			"$log" | head -n 30 | sed 's/^/#   /'
		log_tail "$log"
		fail "$suite: dpkg-buildpackage -us -uc -b"
		return 1
	fi
	# dh_auto_test ran the unit tests.
	grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | sed 's/^/# unit: /'
	mkdir -p "$out"
	cp "$r$dir"/*.deb "$r$dir"/*.changes "$out"/
	[ -n "$r" ] && cp "$out"/*.changes "$r$dir"/

	# (Not --show-overrides: with it, lintian 2.116 fails on overridden
	# warnings too.)
	if "${run[@]}" sh -c "cd $dir && lintian --fail-on error,warning \
		--display-info *.changes" \
		>"$TQ_TMP/lintian-$suite.log" 2>&1; then
		ok "$suite: lintian: no error, no unexplained warning"
	else
		fail "$suite: lintian"
	fi
	grep -v 'running with root privileges' "$TQ_TMP/lintian-$suite.log" |
		sed 's/^/# lintian: /'

	hardening "$suite" "$r" "$dir"
}

# hardening SUITE ROOT DIR: hardening-check on every ELF file of the
# package built in DIR (in ROOT).
hardening() {
	local suite=$1 r=$2 dir=$3 run=() x f opt=() probe names=()
	[ -n "$r" ] && run=(inroot "$r")
	x=$dir/unpacked
	"${run[@]}" sh -c "dpkg-deb -x $dir/tcpquota_*.deb $x"
	# Control-flow protection shows only if every object linked, glibc's
	# crt files too, has the IBT/SHSTK note: a program built with the
	# suite's own flags tells whether it can be there at all.
	# shellcheck disable=SC2016
	probe=$(
		"${run[@]}" sh -c 'cd /tmp &&
			printf "int main(void){return 0;}\n" >cfp.c &&
			DEB_BUILD_MAINT_OPTIONS=hardening=+all \
			cc $(dpkg-buildflags --get CFLAGS) \
			$(dpkg-buildflags --get LDFLAGS) -o cfp cfp.c &&
			readelf -n cfp; rm -f cfp cfp.c' 2>&1
	)
	if ! grep -q 'x86 feature: IBT, SHSTK' <<<"$probe"; then
		opt+=(--nocfprotection)
		echo "# $suite: control-flow integrity (x86 IBT/SHSTK) not" \
			"checked: no program built here carries its note (the C" \
			"library's start files lack it)"
	fi
	# Debian 13's hardening-check also asks for AArch64's BTI/PAC.
	if "${run[@]}" grep -q nobranchprotection /usr/bin/hardening-check &&
		! grep -q 'AArch64 feature: BTI, PAC' <<<"$probe"; then
		opt+=(--nobranchprotection)
		echo "# $suite: branch protection (AArch64 BTI/PAC) not" \
			"checked: no program built here carries its note"
	fi
	while IFS= read -r f; do
		[ -n "$f" ] || continue
		names+=("${f##*/}")
		if "${run[@]}" hardening-check "${opt[@]}" "$f" \
			>"$TQ_TMP/hc.log" 2>&1; then
			ok "$suite: hardening-check ${f#"$x"}"
		else
			fail "$suite: hardening-check ${f#"$x"}"
		fi
		grep '^ ' "$TQ_TMP/hc.log" | sed 's/^ /#   /'
	done < <(find "$r$x" -type f -perm -u+x -exec sh -c \
		'printf "\177ELF" | cmp -s -n 4 - "$1"' sh {} \; -print |
		sed "s|^$r||")
	for f in tcpquotad $SETGID_TOOLS; do
		check "$suite: hardening-check saw $f" \
			grep -qx "$f" < <(printf '%s\n' "${names[@]}")
	done
}

# The deb's Depends and Pre-Depends, one name a line (first alternative).
runtime_deps() {
	dpkg-deb -f "$1" Pre-Depends Depends | sed 's/^[A-Za-z-]*://' |
		tr ',' '\n' | sed 's/[(|].*//' | awk 'NF { print $1 }'
}

# in_tree DESC CMD...: check, with CMD run in the tree $R.
in_tree() {
	local desc=$1; shift
	check "$SUITE: $desc" inroot "$R" "$@"
}

# Every path of the tree $R but those that installing and purging a
# package changes by nature (dpkg's and apt's records, logs, caches,
# the group files and their backups, adduser's lock file in /run).
tree_paths() {
	(cd "$R" && find . -xdev ! -path ./proc ! -path './tmp/*' \
		! -path './var/lib/dpkg/*' ! -path './var/lib/apt/*' \
		! -path './var/cache/*' ! -path './var/log/*' \
		! -path './etc/group*' ! -path './etc/gshadow*' \
		! -path './etc/passwd-' ! -path './etc/shadow-' \
		! -path './etc/ld.so.cache' ! -path ./run/adduser | sort)
}

# try SUITE: install, use, reinstall, remove and purge the package in a
# fresh tree of SUITE with only its dependencies.
try() {
	local deb tar out rc mode t g f k w
	SUITE=$1
	deb=$(ls "$TQ_TMP/debs-$SUITE"/tcpquota_*.deb)
	# shellcheck disable=SC2046
	if ! tar=$(tarball "$SUITE" apt $(runtime_deps "$deb")); then
		fail "$SUITE: a fresh tree with the package's dependencies"
		return 1
	fi
	R=$TQ_TMP/root-$SUITE
	need "$SUITE: unpack the tree" unpack "$tar" "$R"
	# As deps.sh does: no maintainer script may start a service.
	printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
	chmod 755 "$R/usr/sbin/policy-rc.d"
	cp "$deb" "$R/tmp/"
	tree_paths >"$TQ_TMP/before-$SUITE"

	t=$SECONDS
	if inroot "$R" apt-get install -y --no-install-recommends \
		"/tmp/${deb##*/}" >"$TQ_TMP/apt-$SUITE.log" 2>&1; then
		ok "$SUITE: apt-get install ./${deb##*/} ($((SECONDS - t)) s)"
	else
		log_tail "$TQ_TMP/apt-$SUITE.log"
		fail "$SUITE: apt-get install ./${deb##*/}"
		return 1
	fi
	# shellcheck disable=SC2016
	in_tree "installed" sh -c \
		'dpkg-query -W -f="\${db:Status-Abbrev}" tcpquota | grep -q "^ii"'

	for g in tcpquota tcpquota-admin; do
		in_tree "postinst made the system group $g" sh -c \
			"getent group $g | awk -F: '\$3 < 1000 { ok = 1 } END { exit !ok }'"
	done
	in_tree "postinst made the system user tcpquota-portal, no login" \
		sh -c "getent passwd tcpquota-portal | awk -F: '\$3 < 1000 &&
			\$6 == \"/nonexistent\" && \$7 ~ /nologin\$/ { ok = 1 }
			END { exit !ok }'"
	for f in $SETGID_TOOLS; do
		mode=$(inroot "$R" stat -c '%a %U:%G' "/usr/bin/$f")
		expect_eq "$SUITE: /usr/bin/$f mode and owner" \
			"2755 root:tcpquota" "$mode"
	done
	out=$(inroot "$R" dpkg-statoverride --list | sort)
	expect_eq "$SUITE: dpkg-statoverride --list" \
		"root tcpquota 2755 /usr/bin/openfw
root tcpquota 2755 /usr/bin/openhost
root tcpquota 2755 /usr/bin/tcpquota" "$out"
	expect_eq "$SUITE: /var/lib/tcpquota" "750 root:root" \
		"$(inroot "$R" stat -c '%a %U:%G' /var/lib/tcpquota)"
	# shellcheck disable=SC2016
	out=$(inroot "$R" dpkg-query -W -f='${Conffiles}\n' tcpquota |
		awk 'NF { print $1 }' | sort | paste -sd' ' -)
	expect_eq "$SUITE: conffiles" "$(printf '%s\n' "$CONF" "$SYSCTL" \
		/etc/tcpquota/tcpquota.conf.debug /etc/tcpquota/no-quota.txt \
		/etc/init.d/tcpquotad /etc/cron.weekly/tcpquotad \
		/etc/logrotate.d/tcpquotad /etc/init.d/tcpquota-portal \
		/etc/pam.d/tcpquota-portal | sort | paste -sd' ' -)" "$out"
	in_tree "$SYSCTL: every setting commented out" sh -c \
		"! grep -Ev '^[[:space:]]*(#|\$)' $SYSCTL"
	for f in tcpquotad tcpquota-portal; do
		in_tree "the unit $f.service is installed" sh -c \
			"[ -f /lib/systemd/system/$f.service ] ||
			 [ -f /usr/lib/systemd/system/$f.service ]"
		in_tree "$f is not enabled (README.Debian)" sh -c \
			"! ls /etc/systemd/system/*.wants/$f.service \
			    /etc/rc[2345].d/S*$f 2>/dev/null | grep -q ."
	done

	# The installed configuration passes the daemon's check; a broken
	# one is refused with file, line and setting.
	out=$(inroot "$R" tcpquotad -n 2>"$TQ_TMP/err")
	rc=$?
	expect_eq "$SUITE: tcpquotad -n: exit status" 0 "$rc"
	expect_eq "$SUITE: tcpquotad -n: output" \
		"tcpquotad: $CONF: configuration OK" "$out"
	sed 's/^/# tcpquotad -n: stderr: /' "$TQ_TMP/err"
	printf 'daemon = {\n\tperod = 5;\n};\n' >"$R/tmp/bad.conf"
	out=$(inroot "$R" tcpquotad -n --config /tmp/bad.conf 2>&1)
	rc=$?
	expect_eq "$SUITE: tcpquotad -n on a broken file: exit status" 1 "$rc"
	check "$SUITE: tcpquotad -n on a broken file names file, line, setting" \
		grep -q '^tcpquotad: /tmp/bad.conf:2: daemon.perod: unknown setting' \
		<<<"$out"

	# Forwarding is off in the tree's new network namespace: -n warns
	# for each family and names the shipped snippet; with the snippet's
	# two settings uncommented and applied there, it says nothing of
	# forwarding.  (Its other warnings: no set-up has been run.)
	out=$(grep -c 'forwarding is off' "$TQ_TMP/err")
	expect_eq "$SUITE: tcpquotad -n: two forwarding warnings" 2 "$out"
	for f in "IPv4 net.ipv4.ip_forward" \
		"IPv6 net.ipv6.conf.all.forwarding"; do
		k=${f#* }
		w="tcpquotad: warning: ${f%% *} forwarding is off ($k = 0):"
		w="$w LAN hosts cannot reach the Internet through this gateway;"
		w="$w set $k = 1 (uncomment it in $SYSCTL, or add it to a file"
		w="$w in /etc/sysctl.d/) and run \"sysctl --system\""
		check "$SUITE: tcpquotad -n: $k off, the warning names $SYSCTL" \
			grep -qxF "$w" "$TQ_TMP/err"
	done
	cat >"$R/tmp/forward-on.sh" <<EOF
# The snippet's two settings, uncommented and applied as "sysctl -p"
# would, in this namespace; then the daemon's check.
sed -n -e 's/^#\\(net\\.ipv4\\.ip_forward\\) = /\\1 /p' \\
	-e 's/^#\\(net\\.ipv6\\.conf\\.all\\.forwarding\\) = /\\1 /p' $SYSCTL |
while read -r k v; do
	echo "\$v" >"/proc/sys/\$(echo "\$k" | tr . /)" || exit 1
done || { echo "applying the snippet failed"; exit 1; }
tcpquotad -n 2>&1 >/dev/null | grep forwarding
EOF
	out=$(inroot "$R" sh /tmp/forward-on.sh)
	expect_eq "$SUITE: tcpquotad -n with the snippet's settings: forwarding" \
		"not mentioned" "${out:-not mentioned}"

	out=$(inroot "$R" tcpquota-portal -n 2>&1)
	rc=$?
	expect_eq "$SUITE: tcpquota-portal -n" "0 $CONF: OK" "$rc $out"

	# --help: as root, and the setgid tools as a plain user too.
	for f in tcpquotad tcpquota-portal tcpquota-setup-db $SETGID_TOOLS; do
		out=$(inroot "$R" "$f" --help 2>&1)
		rc=$?
		check "$SUITE: $f --help (exit $rc)" \
			grep -qi "^usage: $f" <<<"$out"
		[ "$rc" -eq 0 ] || fail "$SUITE: $f --help exits $rc"
	done
	for f in $SETGID_TOOLS; do
		out=$(inroot "$R" chroot --userspec=65534:65534 / "$f" --help 2>&1)
		rc=$?
		check "$SUITE: $f --help as nobody (setgid; exit $rc)" \
			grep -q "^usage: $f" <<<"$out"
	done
	# A Nagios plugin: usage is UNKNOWN (3).
	out=$(inroot "$R" tcpquota-health -h 2>&1)
	rc=$?
	expect_eq "$SUITE: tcpquota-health -h: exit status 3 (UNKNOWN)" 3 "$rc"
	check "$SUITE: tcpquota-health -h: usage" \
		grep -q '^TCPQUOTA UNKNOWN - usage: tcpquota-health' <<<"$out"

	# What a set-up and a running daemon leave for purge to remove.
	# shellcheck disable=SC2016
	inroot "$R" sh -c 'set -e
		for s in db tool admin; do echo pw >/etc/tcpquota/$s.secret; done
		echo x >/var/log/tcpquotad.log; echo x >/var/log/tcpquotad.log.1
		echo x >/var/lib/tcpquota/journal
		echo "# edited" >>/etc/tcpquota/tcpquota.conf
		dpkg-statoverride --remove /usr/bin/openfw
		dpkg-statoverride --update --add root tcpquota-admin 2750 \
			/usr/bin/openfw'

	# A reinstall (what an upgrade runs) keeps both.
	in_tree "reinstall (dpkg -i over itself)" sh -c \
		"dpkg -i /tmp/${deb##*/} >/tmp/reinstall.log 2>&1 ||
		 { cat /tmp/reinstall.log; exit 1; }"
	in_tree "reinstall keeps the edited $CONF" \
		grep -q '^# edited$' "$CONF"
	expect_eq "$SUITE: reinstall keeps the admin's statoverride" \
		"2750 root:tcpquota-admin" \
		"$(inroot "$R" stat -c '%a %U:%G' /usr/bin/openfw)"

	in_tree "dpkg --remove" sh -c \
		'dpkg --remove tcpquota >/tmp/remove.log 2>&1 ||
		 { cat /tmp/remove.log; exit 1; }'
	in_tree "remove: the programs are gone" sh -c \
		'! [ -e /usr/sbin/tcpquotad ] && ! [ -e /usr/bin/openhost ]'
	in_tree "remove: the configuration stays" grep -q '^# edited$' "$CONF"

	in_tree "dpkg --purge" sh -c \
		'dpkg --purge tcpquota >/tmp/purge.log 2>&1 ||
		 { cat /tmp/purge.log; exit 1; }'
	in_tree "purge: dpkg knows nothing of tcpquota (dpkg -L fails)" sh -c \
		'! dpkg -L tcpquota >/dev/null 2>&1'
	for f in /etc/tcpquota /var/lib/tcpquota /var/log/tcpquotad.log \
		/var/log/tcpquotad.log.1 "$SYSCTL" /etc/init.d/tcpquotad; do
		in_tree "purge: $f is gone" sh -c "! [ -e $f ]"
	done
	expect_eq "$SUITE: purge: no statoverride left" "" \
		"$(inroot "$R" dpkg-statoverride --list)"
	tree_paths >"$TQ_TMP/after-$SUITE"
	out=$(comm -13 "$TQ_TMP/before-$SUITE" "$TQ_TMP/after-$SUITE")
	expect_eq "$SUITE: purge: no file left that was not there before" \
		"" "$out"
	for g in tcpquota tcpquota-admin; do
		in_tree "purge keeps the group $g (README.Debian)" sh -c \
			"getent group $g >/dev/null"
	done
	in_tree "purge keeps the user tcpquota-portal (README.Debian)" sh -c \
		"getent passwd tcpquota-portal >/dev/null"
}

# ---- 1. the sysctl snippet ----
snippet=$TQ_ROOT/conf/tcpquota-forwarding.conf
check "sysctl snippet: every setting commented out" \
	sh -c "! grep -Ev '^[[:space:]]*(#|\$)' '$snippet'"
sed -nE 's/^#(net\.ipv4\.ip_forward|net\.ipv6\.conf\.all\.forwarding) = /\1 = /p' \
	"$snippet" >"$TQ_TMP/fwd.conf"
out=$(unshare --net sh -c "sysctl -q -p '$TQ_TMP/fwd.conf' &&
	sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding" 2>&1 |
	paste -sd' ' -)
expect_eq "sysctl snippet: uncommented, it turns forwarding on (own netns)" \
	"1 1" "$out"

# ---- 2. and 3. per suite ----
need "check-package runs as root (mmdebstrap, chroot)" [ "$(id -u)" -eq 0 ]
for c in mmdebstrap dpkg-buildpackage lintian hardening-check unshare; do
	need "$c is installed (make check-package installs it)" \
		command -v "$c" >/dev/null
done
MIRROR=$(mirror)
need "a Debian mirror in apt's configuration (or set TQ_PKG_MIRROR)" \
	[ -n "$MIRROR" ]
mkdir -p "$CACHE"
host=
[ "$(os_release ID)" = debian ] && host=$(os_release VERSION_CODENAME)
# shellcheck disable=SC2046,SC2086
build_pkgs=$(printf '%s\n' $BUILD_TOOLS $(build_deps "$TQ_ROOT") |
	sort -u)

# The build trees of the other suites are made (mostly downloading)
# while this machine builds its own.
declare -A maker
for SUITE in $SUITES; do
	[ "$SUITE" = "$host" ] && continue
	# shellcheck disable=SC2086
	tarball "$SUITE" buildd $build_pkgs >"$TQ_TMP/buildd-$SUITE" &
	maker[$SUITE]=$!
done

for SUITE in $SUITES; do
	t=$SECONDS
	if [ "$SUITE" = "$host" ]; then
		build "$SUITE" "" || continue
	else
		if ! wait "${maker[$SUITE]}"; then
			fail "$SUITE: a fresh build tree (mmdebstrap)"
			continue
		fi
		tar=$(cat "$TQ_TMP/buildd-$SUITE")
		need "$SUITE: unpack the build tree" \
			unpack "$tar" "$TQ_TMP/buildroot-$SUITE"
		build "$SUITE" "$TQ_TMP/buildroot-$SUITE" || continue
		rm -rf --one-file-system "$TQ_TMP/buildroot-$SUITE"
	fi
	try "$SUITE"
	rm -rf --one-file-system "$TQ_TMP/root-$SUITE"
	echo "# $SUITE took $((SECONDS - t)) s"
done
finish
