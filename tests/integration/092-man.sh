#!/bin/bash
# 092-man.sh - the manual pages: all there, with the sections a reader
# looks for, silent under "groff -man -ww -z" and "mandoc -Tlint", and in
# step with the programs (every long option --help lists is documented).
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_init man
cd "$TQ_ROOT" || exit 1

pages="man/tcpquotad.8 man/tcpquota.conf.5 man/openhost.1 man/openfw.8
man/tcpquota.8 man/tcpquota-setup-db.8 man/tcpquota-health.8
man/tcpquota-portal.8"
for p in $pages; do
	check "$p exists" [ -f "$p" ]
done

for p in man/*.[1-8]; do
	out=$(groff -man -ww -z "$p" 2>&1)
	expect_eq "groff -man -ww -z $p is silent" "" "$out"
	out=$(mandoc -Tlint "$p" 2>&1)
	expect_eq "mandoc -Tlint $p is silent" "" "$out"
	for s in NAME SYNOPSIS DESCRIPTION FILES "SEE ALSO"; do
		check "$p has section $s" grep -q "^\.SH \"\?$s\"\?$" "$p"
	done
	case "$p" in
	*.5) ;;
	*)
		check "$p has section EXIT STATUS" \
			grep -q '^\.SH "\?EXIT STATUS"\?$' "$p"
		check "$p has section EXAMPLES" grep -q '^\.SH EXAMPLES$' "$p"
		;;
	esac
done

# TCPQuota 1.6's example queries are in tcpquotad(8), as they still work.
check "tcpquotad(8) has the original free-balance query" \
	grep -qF "SELECT quota FROM tcptab WHERE name LIKE 'free';" \
	man/tcpquotad.8
check "tcpquotad(8) has the original masq/tcptab query" \
	grep -qF "SELECT masq.host, tcptab.name, tcptab.quota FROM tcptab, masq" \
	man/tcpquotad.8
for sig in SIGHUP SIGTERM SIGINT SIGQUIT SIGUSR1 SIGUSR2; do
	check "tcpquotad(8) documents $sig" grep -q "$sig" man/tcpquotad.8
done

# Every long option a program's --help lists is in its page.
for prog in tcpquotad:man/tcpquotad.8 openhost:man/openhost.1 \
	openfw:man/openfw.8 tcpquota:man/tcpquota.8 \
	tcpquota-portal:man/tcpquota-portal.8; do
	bin=$TQ_BUILD/${prog%%:*}
	page=${prog#*:}
	if [ ! -x "$bin" ]; then
		fail "$bin is not built"
		continue
	fi
	opts=$("$bin" --help 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u)
	check "${prog%%:*} --help lists options" [ -n "$opts" ]
	for o in $opts; do
		check "$page documents ${prog%%:*} $o" \
			grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$page"
	done
done
tq_done
