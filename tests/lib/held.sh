# shellcheck shell=bash
# held.sh - what the daemon's log and journal say about charged and held
# polls, for the tests of database faults (08x).  Needs tqd.sh and
# mariadb.sh; reads $TQD_LOG and $TQD_DIR.
#
#   held_charges [USER [FROM [TO]]]  sum and number of the "charged" lines
#                       (one per period) for USER (any), log lines FROM..TO
#   held_ids FROM       ids of the polls logged as held in the journal from
#                       log line FROM on
#   held_in_db IDS...   every id is in poll_applied (gateway gw1) once
#   held_journal_empty  the journal is back to its 8-byte header
#   held_lines          lines in the log so far
#   held_count PATTERN [FROM]  log lines from line FROM matching PATTERN
#   held_count_ge PATTERN N [FROM]  at least N of them

held_charges() {
	sed -n "${2:-1},${3:-\$}p" "$TQD_LOG" |
		awk -v u="${1:-[a-z]+}" '$0 ~ " debug: charged " u " [0-9]+$" {
			s += $NF; n++ } END { print s + 0, n + 0 }'
}

held_ids() {
	sed -n "$1,\$p" "$TQD_LOG" |
		sed -n 's/.* poll \([0-9a-f]\{16\}\) held in the journal$/\1/p'
}

held_in_db() {
	local id n
	for id in "$@"; do
		n=$(mdb_sql "SELECT COUNT(*) FROM poll_applied WHERE
			gateway = 'gw1' AND id = CONV('$id', 16, 10)")
		[ "$n" = 1 ] || return 1
	done
}

held_journal_empty() {
	[ "$(stat -c %s "$TQD_DIR/journal/journal" 2>/dev/null)" = 8 ]
}

held_lines() { wc -l <"$TQD_LOG"; }

held_count() {
	sed -n "${2:-1},\$p" "$TQD_LOG" | grep -cE -- "$1" || true
}

held_count_ge() { [ "$(held_count "$1" "${3:-1}")" -ge "$2" ]; }
