# shellcheck shell=bash
# polls.sh - which of the daemon's polls had traffic, exactly (071, 072).
# Needs tqd.sh (TQD_LOG).
#
#   polls_from          print the line number of the last poll logged so
#                       far ("debug: poll: "): judge from there
#   polls_field NAME LINE  one number of that line (charged, traffic, ...)
#   polls_judge FROM TIMES WHO
#                       compare the polls logged from line FROM on with
#                       TIMES, a file of wall-clock milliseconds at which
#                       WHO's packets passed; prints "charged=C traffic=E
#                       ambiguous=A wrong=W polls=N"
#   polls_expect LABEL FROM TIMES WHO
#                       polls_judge, then assert (lib.sh) that no poll
#                       was judged wrong, at least 4 were charged, and
#                       charged and with-traffic polls differ by at most
#                       1; sets POLLS_CHARGED to the polls charged
#
# The daemon logs each poll ("poll: ..." at time l, its charges "charged
# WHO N", then "poll took D us").  Poll j counts the packets that passed
# between the previous poll's read of the counters and its own, and each
# read happens inside its poll, in [l - D, l].  So a poll whose log
# interval (l[j-1], l[j]] holds a packet had traffic and must be charged,
# and one holding none must not be, except where a packet falls inside a
# poll's own read window [l - D - 2 ms, l] (2 ms: a clock read on the
# host after the gateway): it may belong to that poll or the next, and
# only that pair is allowed either way.  C: polls charged; E: polls whose
# interval held a packet; A: polls at such an ambiguous boundary; W:
# polls charged or left uncharged with no boundary to explain it.

polls_from() {
	grep -n ' debug: poll: ' "$TQD_LOG" | tail -n 1 | cut -d: -f1
}

polls_judge() {
	tail -n +"$1" "$TQD_LOG" | awk -v recv="$2" -v who="$3" '
	function ms(d, t,   a, b) {
		split(d, a, "-"); split(t, b, "[:.]")
		return mktime(a[1] " " a[2] " " a[3] " " b[1] " " b[2] " " \
			b[3]) * 1000 + b[4]
	}
	BEGIN { while ((getline line < recv) > 0) r[++nr] = line + 0 }
	/ debug: poll: / { l[++n] = ms($1, $2); ch[n] = 0; next }
	$5 == "charged" && $6 == who { if (n) ch[n] = 1; next }
	/ debug: poll took / { if (n) d[n] = int($(NF - 1) / 1000) + 2 }
	END {
		C = E = A = W = 0
		for (j = 2; j <= n; j++) {
			has = 0; amb = 0
			for (k = 1; k <= nr; k++) {
				if (r[k] > l[j - 1] && r[k] <= l[j]) {
					has = 1
					# read before it passed: the next poll
					if (r[k] >= l[j] - d[j]) amb = 1
				}
				# passed in the read window of the previous poll
				if (r[k] >= l[j - 1] - d[j - 1] &&
				    r[k] <= l[j - 1]) amb = 1
			}
			C += ch[j]; E += has; A += amb
			if (ch[j] != has && !amb) W++
		}
		printf "charged=%d traffic=%d ambiguous=%d wrong=%d polls=%d\n",
			C, E, A, W, n - 1
	}'
}

# polls_field NAME VERDICT: the number after NAME= in polls_judge's line
polls_field() {
	local v=${2#*"$1"=}
	echo "${v%% *}"
}

polls_expect() {
	local label=$1 v e
	v=$(polls_judge "$2" "$3" "$4")
	echo "# $label: $v"
	POLLS_CHARGED=$(polls_field charged "$v")
	e=$(polls_field traffic "$v")
	expect_eq "$label: no poll charged or left uncharged but at an ambiguous boundary" \
		0 "$(polls_field wrong "$v")"
	check "$label: charged in each poll with traffic ($POLLS_CHARGED charged, $e with traffic, ≥ 4)" \
		[ "$POLLS_CHARGED" -ge 4 ]
	check "$label: charged polls = polls with traffic, ± 1 at an ambiguous boundary" \
		polls_within1 "$POLLS_CHARGED" "$e"
}

# polls_within1 A B: A and B differ by at most 1
polls_within1() { [ $(($1 - $2)) -le 1 ] && [ $(($2 - $1)) -le 1 ]; }
