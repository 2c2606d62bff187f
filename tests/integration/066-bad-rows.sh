#!/bin/bash
# 066-bad-rows.sh - masq rows the daemon did not write, inserted with SQL
# while it runs: garbage hosts, zones, prefixes, unknown open and free
# codes, odd tics, hostile names, rows changed or deleted behind its back.
# The daemon logs them, deletes or skips them, never opens an invalid
# address, keeps running, and still opens the valid rows that came in
# the same statement.  What the schema refuses (NULLs, values too long or
# out of range) is shown refused.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
tq_init tqd-bad-rows

tq_require "lab and database set up" tqd_setup
# SQL-looking user names, one of them a real, allowed user.
SQLUSER="x'); DROP TABLE masq; --"
SQLUSER_Q="x''); DROP TABLE masq; --"
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000),
	('bob', 100000), ('$SQLUSER_Q', 100000);
	INSERT INTO allowed (name) VALUES ('alice'), ('bob'), ('$SQLUSER_Q');
	INSERT INTO masq (host, name, tic, open, free, gateway) VALUES
	('garbage', 'alice', 30, 2, 0, 'gw2')"
tqd_write
tq_require "daemon starts" tqd_start
ok "daemon starts and polls"

# sqlerr SQL: the server's error number for SQL as the root client runs
# it (strict mode, the server's default), "" if it succeeded.
sqlerr() {
	mdb_sql "$1" 2>&1 >/dev/null | sed -n 's/^ERROR \([0-9]*\).*/\1/p'
}

# --- what the schema itself refuses
R="INSERT INTO masq (host, name, tic, open, free, gateway) VALUES"
expect_eq "NULL host refused (1048)" 1048 \
	"$(sqlerr "$R (NULL, 'alice', 30, 2, 0, 'gw1')")"
expect_eq "NULL name refused (1048)" 1048 \
	"$(sqlerr "$R ('198.18.1.60', NULL, 30, 2, 0, 'gw1')")"
expect_eq "NULL open refused (1048)" 1048 \
	"$(sqlerr "$R ('198.18.1.60', 'alice', 30, NULL, 0, 'gw1')")"
expect_eq "NULL tic refused (1048)" 1048 \
	"$(sqlerr "$R ('198.18.1.60', 'alice', NULL, 2, 0, 'gw1')")"
expect_eq "NULL gateway refused (1048)" 1048 \
	"$(sqlerr "$R ('198.18.1.60', 'alice', 30, 2, 0, NULL)")"
expect_eq "name of 65 characters refused (1406)" 1406 \
	"$(sqlerr "$R ('198.18.1.60', REPEAT('n', 65), 30, 2, 0, 'gw1')")"
expect_eq "host of 64 characters refused (1406)" 1406 \
	"$(sqlerr "$R (CONCAT('198.18.1.60', REPEAT('x', 53)), 'alice', 30, 2, 0, 'gw1')")"
expect_eq "tic beyond INT refused (1264)" 1264 \
	"$(sqlerr "$R ('198.18.1.60', 'alice', 2147483648, 2, 0, 'gw1')")"
expect_eq "open beyond TINYINT refused (1264)" 1264 \
	"$(sqlerr "$R ('198.18.1.60', 'alice', 30, 128, 0, 'gw1')")"
expect_eq "tcptab name of 65 characters refused (1406)" 1406 \
	"$(sqlerr "INSERT INTO tcptab (name, quota) VALUES (REPEAT('n', 65), 1)")"
expect_eq "invalid UTF-8 in a name refused (1366)" 1366 \
	"$(sqlerr "$R ('198.18.1.60', CONVERT(0xC3 USING binary), 30, 2, 0, 'gw1')")"
expect_eq "nothing of that reached the table" 1 \
	"$(mdb_sql "SELECT COUNT(*) FROM masq")"

# gone HOST: no row for HOST and HOST in no set.
gone() { ! tqd_has_host "$1" && [ -z "$(mdb_sql "SELECT host FROM masq WHERE host = '$1'")" ]; }

# --- one statement: valid requests and every kind of bad row
P="30, 2, 0, 'gw1'"
mdb_sql "$R
	('$LAB_LAN4', 'alice', $P),
	('$LAB_LAN6', 'alice', $P),
	('198.18.1.39', '$SQLUSER_Q', $P),
	('::ffff:198.18.1.40', 'alice', $P),
	('2001:DB8:1:0:0:0:0:41', 'bob', $P),
	('198.18.1.36', 'bob', 2147483647, 2, 0, 'gw1'),
	('not-an-address', 'alice', $P),
	('', 'alice', $P),
	('fe80::1%eth0', 'alice', $P),
	('2001:db8:1::20%lan0', 'alice', $P),
	('198.18.1.0/24', 'alice', $P),
	('2001:db8:1::/64', 'alice', $P),
	('198.18.1.300', 'alice', $P),
	(' 198.18.1.21', 'alice', $P),
	('198.18.1.22 ', 'alice', $P),
	('198.018.1.23', 'alice', $P),
	('198.18.1', 'alice', $P),
	('0x7f.1', 'alice', $P),
	('198.18.1.24; DROP TABLE masq', 'alice', $P),
	(CONCAT('198.18.1.25', CHAR(10), 'x'), 'alice', $P),
	('198.18.1.30', 'alice', 30, 7, 0, 'gw1'),
	('198.18.1.31', 'alice', 30, -1, 0, 'gw1'),
	('198.18.1.32', 'alice', 30, 127, 0, 'gw1'),
	('198.18.1.33', 'alice', 30, 2, 9, 'gw1'),
	('198.18.1.34', '', $P),
	('198.18.1.35', 'alice', -5, 1, 0, 'gw1'),
	('198.18.1.37', 'alice', -2147483648, 1, 0, 'gw1'),
	('198.18.1.38', 'a%', $P),
	('198.18.1.42', 'x'' OR ''1''=''1', $P),
	('198.18.1.43', 'mallory', 100, 1, 0, 'gw1'),
	('198.18.1.44', CONVERT(REPEAT(0xF09F9880, 64) USING utf8mb4), $P),
	('198.18.1.45', CONCAT('m', CHAR(10),
		'2026-01-01 00:00:00.000 tcpquotad[1] info: opened 198.18.1.99'),
		$P)"

VALID=("$LAB_LAN4" "$LAB_LAN6" 198.18.1.39 ::ffff:198.18.1.40
	2001:DB8:1:0:0:0:0:41 198.18.1.36)
valid_acked() {
	[ "$(mdb_sql "SELECT COUNT(*) FROM masq WHERE gateway = 'gw1'
		AND open = 1")" = 6 ]
}
check "the 6 valid requests acknowledged" wait_for 10 valid_acked
tqd_wait_polls 3
expect_eq "after 3 polls: only the valid rows are left" \
	"$(printf '%s\n' "${VALID[@]}" | sort)" \
	"$(mdb_sql "SELECT host FROM masq WHERE gateway = 'gw1'" | sort)"
expect_eq "... all open" "1 1 1 1 1 1" \
	"$(mdb_sql "SELECT open FROM masq WHERE gateway = 'gw1'" | tr '\n' ' ' | sed 's/ $//')"
WANTSET=$(printf '%s\n' "$LAB_LAN4" "$LAB_LAN6" 198.18.1.39 198.18.1.40 \
	2001:db8:1::41 198.18.1.36 | sort)
expect_eq "firewall sets = the valid hosts, canonical" "$WANTSET" "$(tqd_set)"
expect_eq "::ffff:198.18.1.40 is opened as IPv4" 198.18.1.40 \
	"$(_tqd_elems "$LAB_GW" hosts4 | grep -x 198.18.1.40)"
expect_eq "every address ever opened is a valid one" "$WANTSET" \
	"$(sed -n 's/.* info: opened \([^ ]*\) for .*/\1/p' "$TQD_LOG" | sort -u)"
expect_eq "the valid host reaches the server" "$LAB_GW_WAN4" \
	"$(lab_try "$LAB_LAN" "$LAB_SRV4")"
expect_eq "the SQL-looking user's host opened for that user" \
	"$SQLUSER" \
	"$(mdb_sql "SELECT name FROM masq WHERE host = '198.18.1.39'")"
expect_eq "huge tic (INT_MAX) counts down, no overflow" 1 \
	"$(mdb_sql "SELECT tic < 2147483647 AND tic > 2147483600 FROM masq WHERE host = '198.18.1.36'")"
expect_eq "tables intact (masq, tcptab)" "6 3" \
	"$(tqd_q "SELECT (SELECT COUNT(*) FROM masq WHERE gateway = 'gw1'),
		(SELECT COUNT(*) FROM tcptab)")"
expect_eq "another gateway's garbage row left alone" garbage \
	"$(mdb_sql "SELECT host FROM masq WHERE gateway = 'gw2'")"

# Each bad row: one log line naming it and why.
logged() {
	grep -qF -- "info: deleted masq row $1 of $2 ($3)" "$TQD_LOG"
}
for h in not-an-address fe80::1%eth0 2001:db8:1::20%lan0 198.18.1.0/24 \
	2001:db8:1::/64 198.18.1.300 " 198.18.1.21" "198.18.1.22 " \
	198.018.1.23 198.18.1 0x7f.1 "198.18.1.24; DROP TABLE masq"; do
	check "logged: '$h' deleted (bad host)" logged "$h" alice "bad host"
done
check "logged: empty host deleted" logged "" alice "bad host"
check "logged: open 7 (bad open code)" logged 198.18.1.30 alice "bad open code"
check "logged: open -1 (bad open code)" logged 198.18.1.31 alice "bad open code"
check "logged: open 127 (bad open code)" logged 198.18.1.32 alice "bad open code"
check "logged: free 9 (bad free code)" logged 198.18.1.33 alice "bad free code"
check "logged: empty name (bad name)" logged 198.18.1.34 "?" "bad name"
check "logged: tic -5 (tic expired)" logged 198.18.1.35 alice "tic expired"
check "logged: tic INT_MIN (tic expired)" logged 198.18.1.37 alice "tic expired"
check "logged: 'a%' is nobody (not allowed)" logged 198.18.1.38 "a%" \
	"refused: not allowed"
check "logged: SQL-looking stranger refused" logged 198.18.1.42 \
	"x' OR '1'='1" "refused: not allowed"
check "logged: 64 emoji, nobody (not allowed)" logged 198.18.1.44 \
	"$(printf '\xf0\x9f\x98\x80%.0s' $(seq 64))" "refused: not allowed"
check "logged: the warning counts" grep -q 'warning: deleting [0-9]* malformed masq rows' "$TQD_LOG"
check_not "mallory's open=1 row never opened" \
	grep -q 'opened 198.18.1.43 ' "$TQD_LOG"
check "logged: a newline in a host shown as \\x0a" logged \
	'198.18.1.25\x0ax' alice "bad host"
check "logged: a newline in a name shown as \\x0a" logged 198.18.1.45 \
	'm\x0a2026-01-01 00:00:00.000 tcpquotad[1] info: opened 198.18.1.99' \
	"refused: not allowed"
expect_eq "a name with a newline forges no log line" 0 \
	"$(grep -c '^2026-01-01 00:00:00.000 tcpquotad\[1\]' "$TQD_LOG")"
check "every log line starts with a time stamp (no forged lines)" \
	[ "$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ tcpquotad\[[0-9]+\] (debug|info|warning|fatal): ' "$TQD_LOG")" -eq 0 ]

# --- addresses that parse but are no LAN host: unspecified, broadcast,
# multicast, loopback.  Refused (row deleted), never in a set; a valid
# request in the same statement is opened.
mdb_sql "$R ('198.18.1.46', 'bob', $P),
	('0.0.0.0', 'alice', $P), ('255.255.255.255', 'alice', $P),
	('224.0.0.1', 'alice', $P), ('127.0.0.1', 'alice', $P),
	('::', 'alice', $P), ('::1', 'alice', $P), ('ff02::1', 'alice', $P)"
check "valid request beside them acknowledged" \
	tqd_wait_ms 3000 tqd_open_is 198.18.1.46 1
tqd_wait_polls 2
for h in 0.0.0.0 255.255.255.255 224.0.0.1 127.0.0.1 :: ::1 ff02::1; do
	check "no LAN host address: $h refused, row deleted, not in a set" \
		gone "$h"
	check "logged: $h deleted (not a LAN host address)" logged "$h" \
		alice "not a LAN host address"
done
expect_eq "still, every address ever opened is a valid one" \
	"$(printf '%s\n' "$WANTSET" 198.18.1.46 | sort)" \
	"$(sed -n 's/.* info: opened \([^ ]*\) for .*/\1/p' "$TQD_LOG" | sort -u)"
# (If they were opened, close them through the protocol, so the checks
# below are not about them.)
mdb_sql "UPDATE masq SET open = 3 WHERE host IN ('0.0.0.0',
	'255.255.255.255', '224.0.0.1', '127.0.0.1', '::', '::1', 'ff02::1')"
tqd_wait_polls 2
mdb_sql "DELETE FROM masq WHERE open = 0"
mdb_sql "UPDATE masq SET open = 3 WHERE host = '198.18.1.46'"
check "valid request closed again" tqd_wait_ms 3000 tqd_open_is 198.18.1.46 0
mdb_sql "DELETE FROM masq WHERE host = '198.18.1.46'"

# --- rows changed behind the daemon's back
# an opened row gets an unknown open code: closed and deleted
mdb_sql "UPDATE masq SET open = 5 WHERE host = '198.18.1.36'"
check "opened row set to open = 5: closed and deleted" wait_for 3 gone 198.18.1.36
# an opened row's tic set negative: expired, closed
mdb_sql "UPDATE masq SET tic = -100 WHERE host = '198.18.1.39'"
check "opened row set to tic = -100: closed and deleted" wait_for 3 gone 198.18.1.39
# an opened row's host overwritten with garbage: the address it held
# must not stay open with no row (and nobody) paying for it
mdb_sql "UPDATE masq SET host = 'overwritten' WHERE host = '2001:DB8:1:0:0:0:0:41'"
check "opened row's host overwritten: garbage row deleted" \
	wait_for 3 gone overwritten
check "... and 2001:db8:1::41 closed" wait_for 3 gone 2001:db8:1::41
check "logged: 2001:db8:1::41 closed, no row names it" \
	grep -qF 'info: closed 2001:db8:1::41: no masq row names it any more' \
	"$TQD_LOG"
# an opened row deleted by hand: its host closed
mdb_sql "DELETE FROM masq WHERE host = '::ffff:198.18.1.40'"
check "opened row deleted by hand: 198.18.1.40 closed" \
	wait_for 3 gone 198.18.1.40
expect_eq "left open: alice's two lab hosts" \
	"$(printf '%s\n' "$LAB_LAN4" "$LAB_LAN6" | sort)" "$(tqd_set)"

tqd_wait_polls 3
check "daemon alive after all of it" tqd_alive "$TQD_PID"
expect_eq "the valid host still reaches the server" "$LAB_GW_WAN4" \
	"$(lab_try "$LAB_LAN" "$LAB_SRV4")"
tqd_stop
expect_eq "SIGTERM: exit status 0" 0 "$TQD_RC"
tq_done
