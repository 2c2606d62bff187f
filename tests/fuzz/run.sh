#!/bin/bash
# Run each libFuzzer target for SECONDS on a seed corpus built afresh from
# the real fixtures (tests/fixtures, conf/tcpquota.conf) in a temporary
# directory, so runs never write into the source tree.  Prints one RESULT
# line.
#   tests/fuzz/run.sh SECONDS TARGET...
set -u
secs=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d /tmp/tq-fuzz.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
passed=0 failed=0

# unhex: hex text (blanks and newlines ignored) on stdin to bytes (perl is
# essential on Debian; xxd is not).
unhex() {
	perl -e 'local $/; $_ = <STDIN>; s/\s+//g; print pack("H*", $_)'
}

# seed NAME DIR: the seed inputs of one target, in its input format.
seed() {
	local d=$2 f i=0 h n o t r
	case "$1" in
	fuzz_conf)	# a configuration file
		for f in "$root"/tests/fixtures/conf/*.conf \
			"$root"/conf/tcpquota.conf; do
			cp "$f" "$d/$(basename "$f")"
		done ;;
	fuzz_proc)	# selector byte (0 tcp, 1 tcp6, 2 nf_conntrack) + text
		for f in tcp tcp-broken tcp6 tcp6-broken nf_conntrack \
			nf_conntrack-broken; do
			case $f in tcp6*) i=1 ;; tcp*) i=0 ;; *) i=2 ;; esac
			{ printf '%b' "\\x0$i"
			  cat "$root/tests/fixtures/proc/$f"; } >"$d/$f"
		done ;;
	fuzz_ct)	# ctnetlink messages back to back, as one recv() gets
		# them: each real message of the capture alone, then all
		# of them in one buffer (a dump's answer)
		while read -r h; do
			i=$((i + 1))
			unhex <<<"$h" >"$d/msg$i"
		done <"$root/tests/fixtures/netlink/ct-states.hex"
		unhex <"$root/tests/fixtures/netlink/ct-states.hex" \
			>"$d/dump" ;;
	fuzz_rows)	# host, name, open, tic, free, NUL-separated
		while IFS=, read -r f h n o t r; do
			printf '%s\0%s\0%s\0%s\0%s' "$h" "$n" "$o" "$t" "$r" \
				>"$d/$f"
		done <<-EOF
		open4,198.18.1.10,alice,2,10,0
		open6,2001:db8:1::10,alice,2,10,0
		opened,198.18.1.11,bob,1,5,0
		close,198.18.1.12,alice,3,1,0
		free,198.18.1.13,free,2,10,1
		zone,fe80::1%lan0,alice,2,10,0
		bad,198.18.1.300,alice,7,-5,9
		EOF
		;;
	fuzz_http)	# selector byte (0 form, 1 Cookie, 2 Host, 3 URL,
		# 4 token) + what a browser sends
		printf '\0csrf=%064d&user=alice&password=s%%20e+cret%%21' 0 \
			>"$d/form"
		printf '\0user=%%zz&user=a%%00b&csrf' >"$d/form-bad"
		printf '\1tqp_login=%064d; tqp=%064d' 1 2 >"$d/cookie"
		printf '\2[2001:db8:1::1]:80' >"$d/host6"
		printf '\2198.18.1.1:8080' >"$d/host4"
		printf '\3https://portal.lan:8443/x?y' >"$d/url"
		printf '\3http://[2001:db8::1]' >"$d/url6"
		printf '\4%064x' 0 >"$d/token"
		;;
	esac
}
for t in "$@"; do
	name=$(basename "$t")
	mkdir -p "$work/$name"
	seed "$name" "$work/$name"
	echo "# $name: $(find "$work/$name" -type f | wc -l) seed inputs"
	if "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$work/" "$work/$name" >"$work/$name.log" 2>&1; then
		echo "ok - $name: $(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' \
			"$work/$name.log" | tail -n 1)s, coverage $(grep -Eo \
			'cov: [0-9]+' "$work/$name.log" | tail -n 1 | cut -d' ' -f2)"
		passed=$((passed + 1))
	else
		echo "FAIL - $name:"; tail -n 30 "$work/$name.log"
		mkdir -p fuzz-crashes && cp "$work"/crash-* "$work"/leak-* \
			"$work"/timeout-* fuzz-crashes/ 2>/dev/null
		failed=$((failed + 1))
	fi
done
echo "RESULT fuzz passed=$passed failed=$failed"
[ "$failed" -eq 0 ]
