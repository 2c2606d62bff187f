#!/bin/bash
# 067: the setgid tools in a hostile environment, run by unprivileged
# users (set-up as in 043: a private mount namespace with overlays on /etc
# and /run, throw-away users and groups, the tools installed setgid).
# What 043 asserts (--config refused, $TQ_CONFIG ignored, --user/--host and
# admin verbs refused) is not repeated here.
#   - LD_PRELOAD / LD_LIBRARY_PATH libraries are not loaded (a non-setgid
#     binary loads the same ones: the control)
#   - PATH full of fake mysql/mariadb/sh/nft/conntrack: never run
#   - MYSQL_HOST / MYSQL_UNIX_PORT / MYSQL_PWD do not redirect the tools
#   - TZ garbage: normal output and status
#   - a 128 kB name (the most one argument can be), 200 kB on stdin,
#     10,000 arguments: a clear error, nothing written
#   - /run/utmp missing, unreadable, a directory, garbage: openhost refuses
#   - SQL, '%', ';', invalid UTF-8, newlines and 65-character names:
#     refused with the exact reason or stored literally; tables intact
#   - the database password appears in no output
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_mount_ns "$@"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tools.sh
. "$TQ_ROOT/tests/lib/tools.sh"
tq_init 067-tools-hostile

setup() {
	tq_overlay /etc /run || return 1
	groupadd tqtools && groupadd tqadm || return 1
	useradd -M -N -g users -s /bin/sh -d /nonexistent tqalice &&
	useradd -M -N -g users -G tqadm -s /bin/sh -d /nonexistent tqteach ||
		return 1
	: >/run/utmp
	utmp_only || return 1

	mdb_start || return 1
	local db tool_pw admin_pw
	db=$(mdb_conf)
	tool_pw=$(sed -n 's/^\s*tool_password_file = "\(.*\)";/\1/p' <<<"$db")
	admin_pw=$(sed -n 's/^\s*admin_password_file = "\(.*\)";/\1/p' <<<"$db")
	if [ ! -f "$tool_pw" ] || [ ! -f "$admin_pw" ]; then
		echo "mdb_conf has no tool/admin password files" >&2
		return 1
	fi
	mkdir -p /etc/tcpquota
	install -m 0640 -o root -g tqtools "$tool_pw" /etc/tcpquota/tool.secret
	install -m 0640 -o root -g tqadm "$admin_pw" \
		/etc/tcpquota/admin.secret
	TOOL_SECRET=$(cat "$tool_pw")
	ADMIN_SECRET=$(cat "$admin_pw")
	db=$(sed -e "s|^\(\s*tool_password_file = \).*|\1\"/etc/tcpquota/tool.secret\";|" \
		 -e "s|^\(\s*admin_password_file = \).*|\1\"/etc/tcpquota/admin.secret\";|" \
		 -e "/^\s*password_file = /d" <<<"$db")
	TOOLS_ADMIN_GROUP=tqadm TOOLS_DB=$db tools_conf \
		>/etc/tcpquota/tcpquota.conf
	TOOLS_CONF=/etc/tcpquota/tcpquota.conf

	BIN=$TQ_TMP/bin
	mkdir -p "$BIN" "$TQ_TMP/plain"
	local p
	for p in openhost openfw tcpquota; do
		install -m 2755 -o root -g tqtools "$TQ_BUILD/$p" "$BIN/$p"
		install -m 0755 "$TQ_BUILD/$p" "$TQ_TMP/plain/$p"
	done
	# Markers are written by the test users.
	MARK=$TQ_TMP/mark
	mkdir -m 1777 "$MARK"
}
tq_require "set-up" setup
at_exit "userdel tqalice; userdel tqteach; groupdel tqtools; groupdel tqadm"

# on_pty USER CMD: CMD (a shell command line) on a new pseudo-terminal of
# USER, no input; output (CR removed) in $OUT, status in $RC.
on_pty() {
	local u=$1 cmd=$2
	OUT=$(as "$u" script -qefc "$cmd" /dev/null </dev/null 2>&1)
	RC=$?
	OUT=$(tr -d '\r' <<<"$OUT")
	printf '%s\n' "$OUT" >>"$ALL_OUT"
}
marks() { find "$MARK" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' '; }
counts() {
	q "SELECT (SELECT COUNT(*) FROM tcptab), (SELECT COUNT(*) FROM allowed),
	   (SELECT COUNT(*) FROM masq), (SELECT COUNT(*) FROM logging)"
}
# Every output of the test's tool runs, for the password check at the end.
ALL_OUT=$TQ_TMP/all.out
run() {
	OUT=$("$@" 2>&1)
	RC=$?
	printf '%s\n' "$OUT" >>"$ALL_OUT"
}

tq "allow tqalice tqbob; set tqalice 600; set tqbob 1200" >/dev/null
fake_start
STATUS="tqalice: 600 s (1.00 SEK), allowed"

# --- LD_PRELOAD, LD_LIBRARY_PATH ------------------------------------------------------
# A library whose constructor leaves a marker named after $MARKNAME, and a
# fake libconfig.so.9 (the tools need it) with the same constructor.
LIBS=$TQ_TMP/libs
mkdir -p "$LIBS"
cat >"$LIBS/evil.c" <<EOF
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((constructor)) static void evil(void)
{
	const char *n = getenv("MARKNAME");
	char p[512];
	int i = 0;
	const char *d = "$MARK/";

	while (*d && i < 400)
		p[i++] = *d++;
	while (n && *n && i < 500)
		p[i++] = *n++;
	p[i] = 0;
	close(open(p, O_WRONLY | O_CREAT, 0644));
}
EOF
if ! gcc -shared -fPIC -o "$LIBS/libevil.so" "$LIBS/evil.c" ||
   ! gcc -shared -fPIC -Wl,-soname,libconfig.so.9 \
	-o "$LIBS/libconfig.so.9" "$LIBS/evil.c"; then
	fail "building the libraries"
fi
chmod -R a+rX "$LIBS"

run as tqalice env MARKNAME=control-preload LD_PRELOAD="$LIBS/libevil.so" \
	/bin/true
expect_eq "control: a plain binary loads the LD_PRELOAD library" \
	"0 control-preload " "$RC $(marks)"
run as tqalice env MARKNAME=control-libpath LD_LIBRARY_PATH="$LIBS" \
	"$TQ_TMP/plain/tcpquota" status
expect_eq "control: a non-setgid tcpquota loads libconfig.so.9 from LD_LIBRARY_PATH" \
	"control-libpath control-preload " "$(marks)"
rm -f "$MARK"/*

for v in LD_PRELOAD="$LIBS/libevil.so" LD_PRELOAD=libevil.so \
	 LD_LIBRARY_PATH="$LIBS" LD_AUDIT="$LIBS/libevil.so"; do
	run as tqalice env MARKNAME=setgid LD_LIBRARY_PATH="$LIBS" "$v" \
		"$BIN/tcpquota" status
	want=$STATUS
	# ld.so's own warning for a bare name outside the system directories
	[ "$v" = LD_PRELOAD=libevil.so ] && want="ERROR: ld.so: object 'libevil.so' from LD_PRELOAD cannot be preloaded (cannot open shared object file): ignored.
$STATUS"
	expect_eq "setgid tcpquota with ${v%%=*}=${v#*=}: works" \
		"0 $want" "$RC $OUT"
	expect_eq "  and loaded nothing" "" "$(marks)"
done
run as tqteach env MARKNAME=setgid LD_LIBRARY_PATH="$LIBS" \
	LD_PRELOAD="$LIBS/libevil.so" "$BIN/openfw" lst
expect_eq "setgid openfw (admin) with LD_PRELOAD: works, loads nothing" \
	"0 " "$RC $(marks)"
run as tqalice env MARKNAME=setgid LD_LIBRARY_PATH="$LIBS" \
	LD_PRELOAD="$LIBS/libevil.so" "$BIN/openhost" </dev/null
expect_eq "setgid openhost with LD_PRELOAD: refuses as usual, loads nothing" \
	"1 openhost: standard input is not your login terminal; run openhost from the session you logged in with " \
	"$RC $OUT $(marks)"

# --- PATH -----------------------------------------------------------------------------
FAKE=$TQ_TMP/fakebin
mkdir -p "$FAKE"
for p in mysql mariadb sh bash nft conntrack ip iptables sendmail; do
	printf '#!/bin/sh\ntouch %s/path-%s\n' "$MARK" "$p" >"$FAKE/$p"
	chmod 755 "$FAKE/$p"
done
for c in "status" "--json status" "status tqalice"; do
	# shellcheck disable=SC2086
	run as tqalice env PATH="$FAKE" "$BIN/tcpquota" $c
	expect_eq "PATH=fakes: user: tcpquota $c runs, execs nothing" "0 " \
		"$RC $(marks)"
done
for c in "list" "add tqbob 1" "hosts" "log tqbob" "period list" \
	 "top --once"; do
	# shellcheck disable=SC2086
	run as tqteach env PATH="$FAKE" "$BIN/tcpquota" $c
	expect_eq "PATH=fakes: admin: tcpquota $c runs, execs nothing" "0 " \
		"$RC $(marks)"
done
run as tqteach env PATH="$FAKE" "$BIN/openfw" room2
run as tqteach env PATH="$FAKE" "$BIN/openfw" room2
expect_eq "PATH=fakes: openfw room2 twice (open, close): execs nothing" \
	"0 " "$RC $(marks)"
run as tqalice env PATH="$FAKE" "$BIN/openhost" </dev/null
expect_eq "PATH=fakes: openhost (no terminal) execs nothing" "1 " \
	"$RC $(marks)"
run as tqteach env PATH="$FAKE" "$BIN/openhost" --user tqalice \
	--host 198.18.1.10 </dev/null
expect_eq "PATH=fakes: openhost --user --host (admin, stdin at EOF): execs nothing" \
	"" "$(marks)"
expect_eq "  and left no row" "" "$(q "SELECT host FROM masq")"

# libmariadb reads these; a setgid tool must not let them redirect it.
run as tqalice env MYSQL_HOST=203.0.113.1 MYSQL_TCP_PORT=1 \
	MYSQL_UNIX_PORT=/nonexistent MYSQL_PWD=wrong MARIADB_PLUGIN_DIR="$LIBS" \
	LIBMYSQL_PLUGIN_DIR="$LIBS" "$BIN/tcpquota" status
expect_eq "MYSQL_* / plugin dir variables: ignored" "0 $STATUS" "$RC $OUT"

# --- TZ -------------------------------------------------------------------------------
run as tqteach "$BIN/tcpquota" period list
period_list=$OUT
long_tz=$(printf 'x%.0s' {1..5000})
for tz in ":/etc/passwd" "$long_tz" ":/dev/zero" "UTC+99999999999"; do
	run as tqalice env TZ="$tz" "$BIN/tcpquota" status
	expect_eq "TZ=${tz:0:20}: status as usual" "0 $STATUS" "$RC $OUT"
	run as tqteach env TZ="$tz" "$BIN/tcpquota" period list
	expect_eq "TZ=${tz:0:20}: admin period list as without TZ" \
		"0 $period_list" "$RC $OUT"
	# Not setgid (root): TZ reaches glibc.
	run env TZ="$tz" "$TQ_BUILD/tcpquota" --config "$TOOLS_CONF" \
		status tqalice
	expect_eq "TZ=${tz:0:20}: root (TZ honoured) status as usual" \
		"0 $STATUS" "$RC $OUT"
done

# --- huge argv ------------------------------------------------------------------------
# One argument can have at most 128 kB (MAX_ARG_STRLEN, with its NUL):
# the largest in argv, 200 kB through a script on stdin.
big=$(head -c 131071 /dev/zero | tr '\0' n)
huge=$(head -c 204800 /dev/zero | tr '\0' n)
# label VERB NAME: how the tools name a command (128 bytes with the NUL)
label() { local l="$1 $2"; printf '%s' "${l:0:127}"; }
before=$(counts)
run as tqalice "$BIN/tcpquota" status "$big"
expect_eq "128 kB name: user status: refused (name checked first)" \
	"1 tcpquota: $(label status "$big"): invalid user name: longer than 64 characters" \
	"$RC $OUT"
run as tqalice "$BIN/tcpquota" - <<<"status $huge"
expect_eq "200 kB name on stdin: user status: refused" \
	"1 tcpquota: $(label status "$huge"): invalid user name: longer than 64 characters" \
	"$RC $OUT"
run as tqteach "$BIN/tcpquota" add "$big" 10
expect_eq "128 kB name: admin add: refused" \
	"1 tcpquota: $(label add "$big"): invalid user name: longer than 64 characters" \
	"$RC $OUT"
run as tqteach "$BIN/tcpquota" - <<<"allow $huge"
expect_eq "200 kB name on stdin: admin allow: refused" \
	"1 tcpquota: $(label allow "$huge"): invalid user name: longer than 64 characters" \
	"$RC $OUT"
run as tqteach "$BIN/openhost" --user "$big" --host 198.18.1.10 </dev/null
expect_eq "128 kB name: admin openhost --user: refused" \
	"1 openhost: invalid user name: longer than 64 characters" "$RC $OUT"
run as tqteach "$BIN/openfw" log "$big"
expect_eq "128 kB name: admin openfw log: refused" \
	"1 openfw: log $big: invalid user name: longer than 64 characters" \
	"$RC $OUT"
mapfile -t many < <(seq -f 'u%g' 10000)
run as tqalice "$BIN/tcpquota" status "${many[@]}"
expect_eq "10,000 arguments: user status: usage error" \
	"2 tcpquota: status u1: usage: status [USER]" "$RC $OUT"
run as tqalice "$BIN/tcpquota" allow "${many[@]}"
expect_eq "10,000 arguments: user allow: permission denied" \
	"1 tcpquota: allow u1: permission denied (root and members of group tqadm only)" \
	"$RC $OUT"
run as tqteach "$BIN/tcpquota" allow "${many[@]}" $'bad\nname'
expect_eq "10,000 names and one bad one: admin allow: refused as a whole" \
	"1 tcpquota: allow u1: invalid user name: contains a control character" \
	"$RC $OUT"
run as tqteach "$BIN/openhost" "${many[@]}" </dev/null
expect_eq "10,000 arguments: openhost: unexpected argument, exit 2" \
	"2 openhost: unexpected argument" "$RC ${OUT%%$'\n'*}"
expect_eq "row counts of tcptab, allowed, masq, logging unchanged" \
	"$before" "$(counts)"

# --- utmp -----------------------------------------------------------------------------
UT=/var/run/utmp
oh_refused() {
	local desc=$1 want=$2
	on_pty tqalice "$BIN/openhost"
	expect_eq "$desc" "1 openhost: $want" "$RC $OUT"
}
rm -f /run/utmp
oh_refused "utmp missing: openhost refuses" \
	"cannot read the login records: $UT: No such file or directory"
install -m 0600 /dev/null /run/utmp
oh_refused "utmp unreadable (0600 root): openhost refuses" \
	"cannot read the login records: $UT: Permission denied"
rm -f /run/utmp
mkdir /run/utmp
oh_refused "utmp is a directory: openhost refuses" \
	"cannot read the login records: $UT: read error"
rmdir /run/utmp
head -c 100000 /dev/urandom | tr '\007' x >/run/utmp
chmod 644 /run/utmp
on_pty tqalice "$BIN/openhost"
expect_eq "utmp garbage (no USER_PROCESS type): openhost refuses, exit 1" 1 "$RC"
check "  no login record: not logged in over the network" grep -Eqx \
	"openhost: no login record for /dev/pts/[0-9]+: you are not logged in over the network" \
	<<<"$OUT"
# Garbage that looks like a login of tqalice on every line, with records
# cut short and unterminated fields.
utmp_add /run/utmp 7 1 tqalice pts/999 198.18.1.10 198.18.1.10
printf '\007\000\000\000' >>/run/utmp
on_pty tqalice "$BIN/openhost"
expect_eq "utmp with a truncated record: refused, no login record" 1 "$RC"
expect_eq "no masq row from any of it" "" "$(q "SELECT host FROM masq")"
: >/run/utmp

# --- names with SQL, wildcards, separators, bad UTF-8 ------------------------------------
before=$(counts)
tables=$(q "SHOW TABLES")
for n in "x' OR '1'='1" "a%" "tq%" ";DROP TABLE masq;--" "tqbob"; do
	run as tqalice "$BIN/tcpquota" status "$n"
	expect_eq "user: status '$n': permission denied" \
		"1 tcpquota: status $n: permission denied (root and members of group tqadm only)" \
		"$RC $OUT"
done
bad_utf8=$(printf 'ab\377c')
overlong=$(printf '\300\257')
surrogate=$(printf '\355\240\200')
n65=$(printf 'n%.0s' {1..65})
for x in "byte 0xff:$bad_utf8:not valid UTF-8" \
	 "overlong /:$overlong:not valid UTF-8" \
	 "surrogate:$surrogate:not valid UTF-8" \
	 "newline:$(printf 'a\nb'):contains a control character" \
	 "tab:$(printf 'a\tb'):contains a control character" \
	 "C1 NEL:$(printf 'a\302\205b'):contains a control character" \
	 "65 characters:$n65:longer than 64 characters"; do
	what=${x%%:*}
	n=${x#*:}
	n=${n%:*}
	why=${x##*:}
	run as tqalice "$BIN/tcpquota" status "$n"
	expect_eq "user: status <$what>: refused: $why" \
		"1 tcpquota: status $n: invalid user name: $why" "$RC $OUT"
	for c in "add:10" "allow:"; do
		# shellcheck disable=SC2086
		run as tqteach "$BIN/tcpquota" "${c%:*}" "$n" ${c#*:}
		expect_eq "admin: ${c%:*} <$what>: refused: $why" \
			"1 tcpquota: ${c%:*} $n: invalid user name: $why" \
			"$RC $OUT"
	done
done
run as tqteach "$BIN/tcpquota" allow ""
expect_eq "admin: allow '': refused" \
	"1 tcpquota: allow : invalid user name: empty name" "$RC $OUT"
# One argument is a script: ';' separates commands, and the script is
# checked as a whole before anything runs.
run as tqteach "$BIN/tcpquota" "allow evil;DROP TABLE masq;--"
expect_eq "admin: 'allow evil;DROP TABLE masq;--' (a script): refused" \
	"1 tcpquota: DROP: unknown command" "$RC $OUT"
run as tqteach "$BIN/tcpquota" "allow evil'"
expect_eq "admin: an unterminated quote in a script: refused" 1 "$RC"
expect_eq "nothing written by the refusals" "$before" "$(counts)"

n64=$(printf 'n%.0s' {1..64})
u64=$(printf '\303\251%.0s' {1..64})
odd=("x' OR '1'='1" "a%" "_" ";DROP TABLE masq;--" 'back\slash'
     '"q"' "$n64" "$u64" "Robert'); DROP TABLE allowed;--")
for n in "${odd[@]}"; do
	run as tqteach "$BIN/tcpquota" add "$n" 10
	expect_eq "admin: add '${n:0:20}' 10" 0 "$RC"
	run as tqteach "$BIN/tcpquota" allow "$n"
	expect_eq "admin: allow '${n:0:20}'" 0 "$RC"
	h=$(printf '%s' "$n" | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)
	expect_eq "  stored literally in allowed" "$h" \
		"$(mdb_sql "SELECT HEX(name) FROM allowed
			    WHERE BINARY name = UNHEX('$h')")"
	expect_eq "  and in tcptab with 10 s" "10" \
		"$(mdb_sql "SELECT quota FROM tcptab
			    WHERE BINARY name = UNHEX('$h')")"
done
expect_eq "allowed: exactly the two users and the odd names" \
	"$((2 + ${#odd[@]}))" "$(q "SELECT COUNT(*) FROM allowed")"
expect_eq "tcptab: likewise; the other balances untouched" \
	"$((2 + ${#odd[@]})) 600 1201" \
	"$(q "SELECT (SELECT COUNT(*) FROM tcptab),
	      (SELECT quota FROM tcptab WHERE name = 'tqalice'),
	      (SELECT quota FROM tcptab WHERE name = 'tqbob')")"
run as tqteach "$BIN/tcpquota" status "tq%"
expect_eq "admin: status 'tq%' is not a pattern" \
	"1 tcpquota: status tq%: unknown user" "$RC $OUT"
run as tqteach "$BIN/tcpquota" status "a%"
expect_eq "admin: status 'a%' finds the literal name" \
	"0 a%: 10 s (0.02 SEK), allowed" "$RC $OUT"
run as tqteach "$BIN/tcpquota" deny "_"
expect_eq "admin: deny '_' removes only '_'" \
	"0 $((1 + ${#odd[@]}))" "$RC $(q "SELECT COUNT(*) FROM allowed")"
expect_eq "the tables are all there" "$tables" "$(q "SHOW TABLES")"

# --- the password ---------------------------------------------------------------------
# A wrong password (root, a copy of the configuration): the server's
# refusal, without the password.
echo "Wr0ngSecret-067" >"$TQ_TMP/wrong.secret"
sed "s|/etc/tcpquota/[a-z]*.secret|$TQ_TMP/wrong.secret|" "$TOOLS_CONF" \
	>"$TQ_TMP/wrong.conf"
OUT=$("$TQ_BUILD/tcpquota" --config "$TQ_TMP/wrong.conf" status tqalice 2>&1 |
      tee -a "$ALL_OUT")
expect_eq "wrong password: the server's refusal, named" \
	"tcpquota: cannot connect to the database: connecting to database tcpquota as tcpquota_admin through socket $MDB_SOCKET: Access denied for user 'tcpquota_admin'@'localhost' (using password: YES)" \
	"$OUT"
check_not "  the wrong password is not shown" grep -qF Wr0ngSecret <<<"$OUT"
check_not "the tools' password appears in no output" \
	grep -qF "$TOOL_SECRET" "$ALL_OUT"
check_not "the admin password appears in no output" \
	grep -qF "$ADMIN_SECRET" "$ALL_OUT"

tq_done
