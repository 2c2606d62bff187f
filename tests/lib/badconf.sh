# shellcheck shell=bash
# badconf.sh - configuration files tcpquotad must refuse (065, 088).
# Needs lib.sh, lab.sh and tqd.sh (the lab up).
#
#   badconf_init        sets TQD (the tcpquotad binary), BASE (a file to
#                       build cases from, not written), C (the directory
#                       of the cases, $C/NAME.conf, made), PIDFILE and
#                       LOGFILE (the pid file and log the cases name)
#   badconf_table       true while the daemon's nft table exists
#   badconf_procs       how many processes the gateway's namespace has
#   badconf_refused NAME WANT   $C/NAME.conf is refused by `tcpquotad -n`
#                       (run in namespace BADCONF_NS if set) and by a
#                       real start in the lab's gateway, each with exit
#                       status 1 and exactly the message "tcpquotad: WANT"
#                       (@F@ stands for the file), and nothing started:
#                       no nft table, pid file, log, journal ($TQD_DIR/
#                       journal) or process in the gateway's namespace.

# The callers use what badconf_init sets.
# shellcheck disable=SC2034
badconf_init() {
	TQD=$TQ_BUILD/tcpquotad
	BASE=$TQD_DIR/tcpquota.conf
	PIDFILE=$TQD_DIR/tcpquotad.pid
	LOGFILE=$TQD_DIR/tcpquotad.log
	C=$TQD_DIR/cases
	mkdir -p "$C"
}

badconf_table() { lab_gw nft list table inet tcpquota >/dev/null 2>&1; }
badconf_procs() { ip netns pids "$LAB_GW" 2>/dev/null | wc -l; }

badconf_refused() {
	local name=$1 f=$C/$1.conf want out rc n
	local ns=(${BADCONF_NS:+ip netns exec "$BADCONF_NS"})
	want="tcpquotad: ${2//@F@/$f}"

	out=$("${ns[@]}" "$TQD" -n --config "$f" 2>&1 >/dev/null)
	rc=$?
	expect_eq "$name: -n exit status" 1 "$rc"
	expect_eq "$name: -n message" "$want" "$out"

	rm -f "$PIDFILE"
	out=$(timeout 10 ip netns exec "$LAB_GW" "$TQD" -f --config "$f" \
		2>&1 >/dev/null)
	rc=$?
	expect_eq "$name: start exit status" 1 "$rc"
	expect_eq "$name: start message" "$want" "$out"
	n=0
	badconf_table && {
		n=$((n + 1))
		lab_gw nft delete table inet tcpquota
	}
	[ -e "$PIDFILE" ] && n=$((n + 2))
	[ -e "$LOGFILE" ] && n=$((n + 4))
	[ -e "$TQD_DIR/journal" ] && n=$((n + 8))
	[ "$(badconf_procs)" -ne 0 ] && n=$((n + 16))
	expect_eq "$name: nothing started (table, pid file, log, journal, process)" \
		0 "$n"
}
