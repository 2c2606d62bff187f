#!/bin/bash
# 021-migrate.sh - upgrades of a database that holds data, and the test
# server's own clean-up.  TOP is the repository's newest migration; the
# test's own are numbered after it (N1 = TOP + 1, N2 = TOP + 2).
#   - sql/migrate.sh --dir with a copy of sql/migrations plus a test-only
#     N1 (a column filled from the data, an index) on a database with
#     rows in every table: version TOP -> N1, every row as it was, the new
#     column filled, the daemon's queries work on the new schema; a second
#     run applies nothing and changes nothing
#   - a failing N2 stops the run unrecorded (version stays N1, the exact
#     message); once fixed it applies
#   - a database at version 1 holding rows is upgraded by the repository's
#     migrations: rows intact, and 002's audit triggers log a plain change
#     made afterwards
#   - an empty database goes through every migration and N1 in order
#   - tests/lib/mariadb.sh: a server that never answers is killed by pid
#     when the start times out, and when the test is interrupted during
#     the wait (a fake mariadbd that only sleeps stands in for it)
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
tq_init 021-migrate

# ---- the test server's clean-up (before a real server is started) ----
REAL_MARIADBD=$(command -v mariadbd)
FAKE=$TQ_TMP/fakebin
mkdir -p "$FAKE"
# --version as the real one (the data directory template is found by it);
# otherwise record the pid and sleep: a server that never answers.
cat >"$FAKE/mariadbd" <<EOF
#!/bin/sh
[ "\${1:-}" = --version ] && exec "$REAL_MARIADBD" --version
echo \$\$ >"\$FAKE_PIDFILE"
exec sleep 600
EOF
chmod 755 "$FAKE/mariadbd"

# The child: a test of its own (own TQ_TMP) that only calls mdb_start;
# prints its TQ_TMP and mdb_start's status.
cat >"$TQ_TMP/child.sh" <<'EOF'
. "$TQ_ROOT/tests/lib/lib.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
tq_init 021-child
echo "tmp $TQ_TMP"
mdb_start 2>/dev/null
echo "rc $?"
EOF
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
pid_in() { cat "$1" 2>/dev/null; }

export FAKE_PIDFILE=$TQ_TMP/fake1.pid
MDB_START_TIMEOUT=1 PATH=$FAKE:$PATH bash "$TQ_TMP/child.sh" \
	>"$TQ_TMP/child1.out"
fake=$(pid_in "$FAKE_PIDFILE")
check "the fake server was started" [ -n "$fake" ]
expect_eq "a server not up in MDB_START_TIMEOUT: mdb_start fails" "rc 1" \
	"$(grep '^rc' "$TQ_TMP/child1.out")"
check_not "... and that server is no longer running" alive "$fake"
ctmp=$(sed -n 's/^tmp //p' "$TQ_TMP/child1.out")
check "... and the test's directory is gone" [ -n "$ctmp" ] && [ ! -e "$ctmp" ]

export FAKE_PIDFILE=$TQ_TMP/fake2.pid
MDB_START_TIMEOUT=120 PATH=$FAKE:$PATH bash "$TQ_TMP/child.sh" \
	>"$TQ_TMP/child2.out" &
cpid=$!
check "an interrupted start: the fake server runs" \
	wait_for 20 test -s "$FAKE_PIDFILE"
fake=$(pid_in "$FAKE_PIDFILE")
kill -TERM "$cpid"
wait "$cpid"
expect_eq "the test interrupted during the wait exits 130" 130 "$?"
check_not "... and its server is no longer running" alive "$fake"
ctmp=$(sed -n 's/^tmp //p' "$TQ_TMP/child2.out")
check "... and its directory is gone" [ -n "$ctmp" ] && [ ! -e "$ctmp" ]
# Should one survive a regression, it must not outlive this test.
for f in "$TQ_TMP"/fake*.pid; do
	p=$(pid_in "$f")
	alive "$p" && kill "$p"
done
unset FAKE_PIDFILE

# ---- a database with data, upgraded ----
tq_require "private MariaDB did not start" mdb_start
migrate() {
	TQ_MARIADB="mariadb --no-defaults -S $MDB_SOCKET -uroot" \
		"$TQ_ROOT/sql/migrate.sh" "$@"
}
# (utf8mb4: the client's own default would not carry the emoji)
q() {
	mariadb --no-defaults --default-character-set=utf8mb4 \
		-S "$MDB_SOCKET" -uroot -N -B tcpquota -e "$1"
}

MIG=$TQ_TMP/migrations
mkdir -p "$MIG"
cp "$TQ_ROOT"/sql/migrations/*.sql "$MIG/"
REPO_MIGS=$(cd "$TQ_ROOT/sql/migrations" && ls [0-9]*.sql)
TOP=$(tail -n 1 <<<"$REPO_MIGS" | sed 's/-.*//; s/^0*//')
N1=$((TOP + 1))
N2=$((TOP + 2))
NOTE=$(printf '%03d-test-note.sql' "$N1")
BROKEN=$(printf '%03d-test-broken.sql' "$N2")
# Re-runnable, as migrations must be (DDL commits implicitly).
cat >"$MIG/$NOTE" <<'EOF'
-- NNN-test-note.sql - test only: a column filled from the data, an index.
ALTER TABLE tcptab ADD COLUMN IF NOT EXISTS note VARCHAR(40) NOT NULL
	DEFAULT '';
UPDATE tcptab SET note = CONCAT('q=', quota) WHERE note = '';
CREATE INDEX IF NOT EXISTS tcptab_quota ON tcptab (quota);
EOF

# (Loaded as the tools load rows: @tcpquota_logged keeps 002's audit
# triggers from adding rows of their own to logging.)
q "SET @tcpquota_logged = 1;
   INSERT INTO tcptab VALUES ('free', -1008888), ('alice', 1000),
	('bob', 0), ('Åsa 😀', -5), ('a ', 7);
   INSERT INTO allowed VALUES ('alice'), ('Åsa 😀'), ('dave');
   INSERT INTO masq (gateway, host, name, cnts, tic, counter, open, free,
	opened_at, updated_at) VALUES
	('gw1', '198.18.1.10', 'alice', 3, 9, 42, 1, 0,
	 '2026-03-29 01:59:59', '2026-03-29 03:00:00'),
	('gw2', '2001:db8:1::10', 'free', 0, 0, 7, 1, 1,
	 '2026-10-25 02:30:00', '2026-10-25 02:15:00');
   INSERT INTO periodtab (period, quota) VALUES ('2026-01-01 00:00:00', 123);
   INSERT INTO logging VALUES ('2026-02-03 04:05:06', 'root', 'set alice 1000');
   INSERT INTO logging_openfw VALUES ('2026-02-03 04:05:07', 'teach',
	'open room1');
   INSERT INTO debits VALUES ('alice', '2026-02-03', 99, 9);
   INSERT INTO poll_applied VALUES ('gw1', 18446744073709551615,
	'2026-02-03 04:05:08', 99)"
# Every row of every table, in key order (tcptab without the new column).
data() {
	q "SELECT name, quota FROM tcptab ORDER BY name;
	   SELECT * FROM allowed ORDER BY name;
	   SELECT * FROM masq ORDER BY gateway, host;
	   SELECT * FROM periodtab ORDER BY id;
	   SELECT * FROM logging ORDER BY \`when\`;
	   SELECT * FROM logging_openfw ORDER BY \`when\`;
	   SELECT * FROM debits ORDER BY name, day;
	   SELECT * FROM poll_applied ORDER BY gateway, id"
}
before=$(data)
expect_eq "rows before the upgrade (and set-up's first period)" 16 \
	"$(wc -l <<<"$before")"
expect_eq "version before" "$TOP" "$(migrate --version tcpquota)"

out=$(migrate --dir "$MIG" tcpquota 2>&1); rc=$?
expect_eq "migrate.sh --dir applies $NOTE only" \
	"0:migrate.sh: tcpquota: applied $NOTE" "$rc:$out"
expect_eq "version $N1 recorded after the repository's" "$(
	for f in $REPO_MIGS; do echo "$(sed 's/-.*//; s/^0*//' <<<"$f") $f"
	done)
$N1 $NOTE" \
	"$(q "SELECT version, name FROM schema_version ORDER BY version" |
	   tr '\t' ' ')"
expect_eq "migrate.sh --version" "$N1" "$(migrate --dir "$MIG" --version tcpquota)"
expect_eq "every row intact" "$before" "$(data)"
expect_eq "the new column filled from the data" \
	"a |q=7 alice|q=1000 bob|q=0 free|q=-1008888 Åsa 😀|q=-5" \
	"$(q "SELECT CONCAT(name, '|', note) FROM tcptab ORDER BY name" |
	   tr '\n' ' ' | sed 's/ $//')"
expect_eq "the new index" "tcptab_quota quota" \
	"$(q "SELECT index_name, column_name FROM information_schema.statistics
	      WHERE table_schema = 'tcpquota' AND table_name = 'tcptab'
	      AND index_name <> 'PRIMARY'" | tr '\t' ' ')"
schema=$(q "SHOW CREATE TABLE tcptab")

# The daemon's database layer on the upgraded schema.
CONF=$TQ_TMP/tcpquota.conf
{
	echo 'daemon = { gateway = "gw1"; };'
	mdb_conf
} >"$CONF"
DBTOOL=$TQ_BUILD/tests/dbtool
out=$("$DBTOOL" -c "$CONF" apply 7001 5 alice=5 2>&1)
expect_eq "a debit on the upgraded schema" applied "${out%% *}"
expect_eq "... applied" "995 q=1000" \
	"$(q "SELECT quota, note FROM tcptab WHERE name = 'alice'" |
	   tr '\t' ' ')"
expect_eq "... and, the daemon's, not in logging" 1 \
	"$(q "SELECT COUNT(*) FROM logging")"
q "SET @tcpquota_logged = 1;
   UPDATE tcptab SET quota = 1000 WHERE name = 'alice';
   DELETE FROM poll_applied WHERE id = 7001;
   UPDATE periodtab SET quota = quota - 5 ORDER BY id DESC LIMIT 1;
   DELETE FROM debits WHERE day <> '2026-02-03'"
expect_eq "(the debit undone)" "$before" "$(data)"

out=$(migrate --dir "$MIG" tcpquota 2>&1); rc=$?
expect_eq "running again: no error, nothing applied" "0:" "$rc:$out"
expect_eq "... version still N1, a row per migration" \
	"$N1 $(($(wc -l <<<"$REPO_MIGS") + 1))" \
	"$(q "SELECT MAX(version), COUNT(*) FROM schema_version" | tr '\t' ' ')"
expect_eq "... rows unchanged" "$before" "$(data)"
expect_eq "... table unchanged" "$schema" "$(q "SHOW CREATE TABLE tcptab")"
out=$(migrate tcpquota 2>&1); rc=$?
expect_eq "the repository's migrations on it: nothing to do" "0:" "$rc:$out"

# A failing migration stops the run, unrecorded.
printf 'ALTER TABLE tcptab ADD COLUMN;\n' >"$MIG/$BROKEN"
out=$(migrate --dir "$MIG" tcpquota 2>&1); rc=$?
check "a failing $BROKEN: exit 1" [ "$rc" -eq 1 ]
expect_eq "... named, the version kept" \
	"migrate.sh: $BROKEN failed; tcpquota stays at version $N1" \
	"$(tail -n 1 <<<"$out")"
expect_eq "... not recorded" "$N1" "$(migrate --dir "$MIG" --version tcpquota)"
expect_eq "... rows unchanged" "$before" "$(data)"
printf 'CREATE INDEX IF NOT EXISTS tcptab_note ON tcptab (note);\n' \
	>"$MIG/$BROKEN"
out=$(migrate --dir "$MIG" tcpquota 2>&1); rc=$?
expect_eq "fixed, $BROKEN applies" \
	"0:migrate.sh: tcpquota: applied $BROKEN" "$rc:$out"
expect_eq "... version $N2" "$N2" "$(migrate --version tcpquota)"
expect_eq "... rows unchanged" "$before" "$(data)"

# A database at version 1 holding rows (before 002's audit triggers),
# upgraded by the repository's migrations: rows intact; from then on a
# change made with plain SQL is in logging.
OLD=$TQ_TMP/old
mkdir -p "$OLD"
cp "$TQ_ROOT/sql/migrations/001-initial.sql" "$OLD/"
q "CREATE DATABASE tq_old"
qo() {
	mariadb --no-defaults --default-character-set=utf8mb4 \
		-S "$MDB_SOCKET" -uroot -N -B tq_old -e "$1"
}
out=$(migrate --dir "$OLD" tq_old 2>&1); rc=$?
expect_eq "version 1 of an old database" \
	"0:migrate.sh: tq_old: applied 001-initial.sql" "$rc:$out"
qo "INSERT INTO tcptab VALUES ('alice', 1000), ('Åsa 😀', -5);
    INSERT INTO allowed VALUES ('alice');
    INSERT INTO logging VALUES ('2026-02-03 04:05:06', 'root',
	'set alice 1000')"
old_data() {
	qo "SELECT * FROM tcptab ORDER BY name; SELECT * FROM allowed;
	    SELECT * FROM logging"
}
old_before=$(old_data)
out=$(migrate tq_old 2>&1); rc=$?
expect_eq "the repository's migrations upgrade it" \
	"0:$(for f in $REPO_MIGS; do [ "$f" = 001-initial.sql ] ||
		echo "migrate.sh: tq_old: applied $f"; done)" "$rc:$out"
expect_eq "... every row intact" "$old_before" "$(old_data)"
qo "UPDATE tcptab SET quota = 900 WHERE name = 'alice';
    DELETE FROM allowed WHERE name = 'alice'"
expect_eq "... a plain change after it is in logging" \
	"root|set alice 1000
root@localhost|set alice 900 (was 1000) by SQL
root@localhost|deny alice by SQL" \
	"$(qo "SELECT CONCAT(user, '|', action) FROM logging")"
q "DROP DATABASE tq_old"

# An empty database: every migration, in order.
q "CREATE DATABASE tq_fresh"
rm "$MIG/$BROKEN"
out=$(migrate --dir "$MIG" tq_fresh 2>&1); rc=$?
expect_eq "an empty database: every migration, then $NOTE" \
	"0:$(for f in $REPO_MIGS $NOTE; do
		echo "migrate.sh: tq_fresh: applied $f"; done)" "$rc:$out"
expect_eq "... the same tcptab as the upgraded one" \
	"$schema" \
	"$(mariadb --no-defaults --default-character-set=utf8mb4 \
	   -S "$MDB_SOCKET" -uroot -N -B tq_fresh \
	   -e "SHOW CREATE TABLE tcptab")"
q "DROP DATABASE tq_fresh"
expect_eq "--print --dir: the copy's migrations" \
	$(($(wc -l <<<"$REPO_MIGS") + 1)) \
	"$(migrate --dir "$MIG" --print |
	   grep -c '^INSERT INTO schema_version')"
out=$(migrate --dir "$TQ_TMP/none" tcpquota 2>&1); rc=$?
expect_eq "--dir of a missing directory" \
	"2:migrate.sh: no migrations directory $TQ_TMP/none" "$rc:$out"

tq_done
