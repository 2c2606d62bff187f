#!/bin/sh
# Install the Debian packages named as arguments when any is missing.
# Quick and silent when all are present (one dpkg-query call).
set -eu
# One line "NAME STATUS" per known package (unknown ones only make
# dpkg-query complain and exit 1); the names without an "ii" line are
# missing.
status=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" \
	2>/dev/null || true)
missing=$(printf '%s\n' "$status" | awk -v want="$*" '
	BEGIN { n = split(want, w, " ") }
	$2 ~ /^ii/ { ok[$1] = 1 }
	END { for (i = 1; i <= n; i++) if (!(w[i] in ok)) printf " %s", w[i] }')
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing; run 'make deps' as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Never let a package's maintainer script start a system service here.
rc=/usr/sbin/policy-rc.d
made_rc=0
if [ ! -e "$rc" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$rc"; chmod 755 "$rc"; made_rc=1
fi
trap '[ $made_rc -eq 1 ] && rm -f "$rc"' EXIT
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
