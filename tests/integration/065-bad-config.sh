#!/bin/bash
# 065-bad-config.sh - every kind of malformed configuration file is refused
# by `tcpquotad -n` and by a real start in the lab's gateway namespace:
# exit status 1, one line on stderr naming the file, the line and (where
# there is one) the setting, and nothing started: no nft table, no pid
# file, no log file, no process left in the namespace.  A file cut at any
# byte is refused unless the cut falls just after a complete top-level
# section (then it is a valid, shorter file).
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
. "$TQ_ROOT/tests/lib/badconf.sh"
tq_init tqd-bad-config

tq_require "lab and database set up" tqd_setup
badconf_init
tqd_write "$BASE"


# --- control: the unmodified file starts for real and is seen to
check "-n accepts the base file" "$TQD" -n --config "$BASE"
ip netns exec "$LAB_GW" "$TQD" -f --config "$BASE" >"$TQD_DIR/control.out" \
	2>&1 &
CPID=$!
at_exit "kill $CPID 2>/dev/null"
check "control: a valid file creates the table" wait_for 10 badconf_table
check "control: ... and the pid file" wait_for 5 [ -s "$PIDFILE" ]
kill -TERM "$CPID"
wait "$CPID"
expect_eq "control: TERM, exit status 0" 0 "$?"
check_not "control: table removed at exit" badconf_table
check_not "control: pid file removed at exit" [ -e "$PIDFILE" ]
rm -rf "$LOGFILE" "$LOGFILE.stderr" "$TQD_DIR/journal" "$TQD_DIR/wakeup.sock"

# refused NAME WANT: $C/NAME.conf refused by -n and by a real start,
# exactly "tcpquotad: WANT" (@F@ = the file), nothing started.
refused() { badconf_refused "$@"; }

# mk NAME SED: a case from the base file edited by sed.
mk() { sed "$2" "$BASE" >"$C/$1.conf"; }

# --- syntax
mk unclosed 's/gateway = "gw1";/gateway = "gw1;/'
refused unclosed "@F@:5: syntax error; check the quotes, '=', ';' and brackets on or before this line"
mk nobrace '9d'
refused nobrace "@F@:44: syntax error; check the quotes, '=', ';' and brackets on or before this line"
mk dup 's/period = 1;/period = 1; period = 2;/'
refused dup "@F@:2: duplicate setting; give each setting once"
mk include '1i @include "/etc/passwd"'
refused include "@F@:1: @include: not supported; put every setting in this one file"
{ cat "$BASE"; printf 'groups = { g = '; printf '[%.0s' $(seq 40); } >"$C/nest.conf"
refused nest "@F@:45: nested too deeply; use at most 32 levels of brackets"

# --- wrong types
mk t_period_str 's/period = 1;/period = "1";/'
refused t_period_str "@F@:2: daemon.period: is a string; use an integer in 1..3600"
mk t_period_float 's/period = 1;/period = 1.5;/'
refused t_period_float "@F@:2: daemon.period: is a floating-point number; use an integer in 1..3600"
mk t_bool_str 's/check_local = true;/check_local = "yes";/'
refused t_bool_str "@F@:27: network.check_local: is a string; use true or false"
mk t_list_str 's/lan = \[ "lan0" \];/lan = "lan0";/'
refused t_list_str "@F@:22: network.lan: is a string; use an array [ interface, e.g. \"eth1\", ... ]"
mk t_rate_str 's/default = 2;/default = "two";/'
refused t_rate_str "@F@:37: rates.default: is a string; use a number in 0..1000"
mk t_time_int 's/to = "00:00";/to = 1200;/'
refused t_time_int "@F@:43: free_access.to: is an integer; use a string in double quotes"
mk t_section_int 's/^quota = {/quota = 5; q = {/'
refused t_section_int "@F@:29: quota: is an integer; use a group { ... }"

# --- networks
net_err='is not a network; use ADDRESS/PREFIX with the host bits zero, e.g. "192.168.0.0/16" or "fd00::/8"'
mk cidr_len 's|198.18.1.0/24|198.18.1.0/33|'
refused cidr_len "@F@:24: network.local_networks[0]: \"198.18.1.0/33\" $net_err"
mk cidr_octet 's|198.18.1.0/24|198.18.1.300/24|'
refused cidr_octet "@F@:24: network.local_networks[0]: \"198.18.1.300/24\" $net_err"
mk cidr_hostbits 's|198.18.1.0/24|198.18.1.5/24|'
refused cidr_hostbits "@F@:24: network.local_networks[0]: \"198.18.1.5/24\" $net_err"
mk cidr_word 's|198.18.1.0/24|lan|'
refused cidr_word "@F@:24: network.local_networks[0]: \"lan\" $net_err"
mk cidr_v6 's|2001:db8:1::/64|2001:db8:1::/129|'
refused cidr_v6 "@F@:24: network.local_networks[1]: \"2001:db8:1::/129\" $net_err"
mk cidr_zone 's|2001:db8:1::/64|fe80::%lan0/64|'
refused cidr_zone "@F@:24: network.local_networks[1]: \"fe80::%lan0/64\" $net_err"

# --- times and days
time_err='is not a time; use "HH:MM" in 00:00..24:00, e.g. "08:00"'
mk time_short 's/from = "00:00";/from = "8:00";/'
refused time_short "@F@:42: free_access.from: \"8:00\" $time_err"
mk time_2430 's/from = "00:00";/from = "24:30";/'
refused time_2430 "@F@:42: free_access.from: \"24:30\" $time_err"
mk time_1260 's/to = "00:00";/to = "12:60";/'
refused time_1260 "@F@:43: free_access.to: \"12:60\" $time_err"
mk time_ampm 's/to = "00:00";/to = "6pm";/'
refused time_ampm "@F@:43: free_access.to: \"6pm\" $time_err"
day_err='is not a list of days; use e.g. "mon-fri", "sat,sun", "fri-mon" or "daily"'
mk day_typo 's/days = "daily";/days = "mon-fry";/'
refused day_typo "@F@:41: free_access.days: \"mon-fry\" $day_err"
mk day_empty 's/days = "daily";/days = "";/'
refused day_empty "@F@:41: free_access.days: \"\" $day_err"
mk day_comma 's/days = "daily";/days = "mon,,tue";/'
refused day_comma "@F@:41: free_access.days: \"mon,,tue\" $day_err"
mk tariff_norate 's/tariffs = (  );/tariffs = ( { days = "mon-fri"; from = "08:00"; to = "18:00"; } );/'
refused tariff_norate "@F@:38: rates.tariffs[0]: no rate; add e.g. rate = 4;"
mk tariff_days 's/tariffs = (  );/tariffs = ( { days = "weekdays"; from = "08:00"; to = "18:00"; rate = 4; } );/'
refused tariff_days "@F@:38: rates.tariffs[0].days: \"weekdays\" $day_err"

# --- huge and out-of-range values
mk r_period_0 's/period = 1;/period = 0;/'
refused r_period_0 "@F@:2: daemon.period: 0 is out of range; use 1..3600"
mk r_period_huge 's/period = 1;/period = 99999999999;/'
refused r_period_huge "@F@:2: daemon.period: 99999999999 is out of range; use 1..3600"
mk r_period_wrap 's/period = 1;/period = 4294967297;/'
refused r_period_wrap "@F@:2: daemon.period: 4294967297 is out of range; use 1..3600"
mk r_tics_neg 's/heartbeat_tics = 30;/heartbeat_tics = -1;/'
refused r_tics_neg "@F@:3: daemon.heartbeat_tics: -1 is out of range; use 1..1000000"
mk r_uid 's/min_uid = 1000;/min_uid = 4294967296;/'
refused r_uid "@F@:31: quota.min_uid: 4294967296 is out of range; use 0..4294967294"
mk r_rate_inf 's/default = 2;/default = 1e400;/'
refused r_rate_inf "@F@:37: rates.default: inf is out of range; use 0..1000"
mk r_rate_neg 's/default = 2;/default = -2;/'
refused r_rate_neg "@F@:37: rates.default: -2 is out of range; use 0..1000"
mk r_timeout 's/timeout = 2;/timeout = 0;/'
refused r_timeout "@F@:19: database.timeout: 0 is out of range; use 1..300"
# Beyond 64 bits: the pre-scan refuses the literal.  The setting must be
# named as everywhere else.
mk r_int_64 's/min_quota = 0;/min_quota = 99999999999999999999;/'
refused r_int_64 "@F@:30: quota.min_quota: integer 99999999999999999999 is too large; use -9223372036854775808..9223372036854775807"
{ cat "$BASE"; printf 'groups = { big = [ "%s" ]; };\n' "$(head -c 5000 /dev/zero | tr '\0' a)"; } >"$C/r_string.conf"
refused r_string "@F@:45: groups.big[0]: is longer than 4096 characters; shorten it"

# --- unknown keys and typos
mk typo_key 's/period = 1;/perod = 1;/'
refused typo_key "@F@:2: daemon.perod: unknown setting; check the spelling (known here: period, heartbeat_tics, gateway, pidfile, logfile, journal, wakeup, tools_group)"
mk typo_section 's/^quota = {/qouta = {/'
refused typo_section "@F@:29: qouta: unknown section; check the spelling (sections: daemon, database, network, quota, rates, free_access, groups, portal)"
mk unknown_key 's/timeout = 2;/timeout = 2; retries = 3;/'
refused unknown_key "@F@:19: database.retries: unknown setting; check the spelling (known here: socket, host, port, name, user, password_file, timeout, tool_user, tool_password_file, admin_user, admin_password_file)"
mk typo_case 's/period = 1;/Period = 1;/'
refused typo_case "@F@:2: daemon.Period: unknown setting; check the spelling (known here: period, heartbeat_tics, gateway, pidfile, logfile, journal, wakeup, tools_group)"

# --- bad strings
mk s_gateway 's/gateway = "gw1";/gateway = "gw 1";/'
refused s_gateway "@F@:4: daemon.gateway: \"gw 1\" is not a gateway id; use 1..32 characters of A-Z a-z 0-9 . _ -"
mk s_table 's/table = "tcpquota";/table = "tcp;quota";/'
refused s_table "@F@:26: network.table: \"tcp;quota\" is not a table name; use 1..32 characters of A-Z a-z 0-9 _ -"
mk s_ifname 's/lan = \[ "lan0" \];/lan = [ "a-very-long-interface-name" ];/'
refused s_ifname "@F@:22: network.lan[0]: \"a-very-long-interface-name\" is not an interface name; use 1..15 characters without '/', ':' or spaces, e.g. \"eth0\""
mk s_pidfile_ctl 's|pidfile = "[^"]*";|pidfile = "/tmp/a\\nb";|'
refused s_pidfile_ctl "@F@:5: daemon.pidfile: \"/tmp/a?b\" contains control characters; give a plain file name"

# --- not a configuration file at all
head -c 4000 /dev/urandom | tr -d '\000' >"$C/garbage.conf"
out=$("$TQD" -n --config "$C/garbage.conf" 2>&1 >/dev/null)
rc=$?
expect_eq "random bytes: -n exit status" 1 "$rc"
check "random bytes: 'FILE:LINE: syntax error' ($out)" \
	grep -Eq "^tcpquotad: $C/garbage.conf:[0-9]+: (syntax error|string never closed|integer .* is too large|nested too deeply)" <<<"$out"
printf '\x01\x02\x7f\xff\xfe\n' >"$C/binary.conf"
refused binary "@F@:1: syntax error; check the quotes, '=', ';' and brackets on or before this line"
{ head -n 20 "$BASE"; printf 'x\0y\n'; tail -n +21 "$BASE"; } >"$C/nul.conf"
refused nul "@F@:21: contains a NUL byte; this is not a text file"
{ cat "$BASE"; head -c 1100000 /dev/zero | tr '\0' '#'; } >"$C/toobig.conf"
refused toobig "@F@: larger than 1048576 bytes; this is not a tcpquota configuration file"
rm -f "$C/missing.conf"
refused missing "@F@: cannot read: No such file or directory"
mkdir -p "$C/dir.conf"
refused dir "@F@: cannot read: Is a directory"
mkfifo "$C/fifo.conf"
refused fifo "@F@: cannot read: not a regular file"

# --- an empty file is a valid one (every setting defaulted): -n only,
# since a real start would use the system's paths and database.  In the
# gateway's namespace, which forwards: no forwarding warning (100).  The
# defaults name the system's groups and password files: each this
# machine lacks is warned about, exactly as 088 shows (the file is
# accepted all the same).
: >"$C/empty.conf"
E=$C/empty.conf
# pw_why FILE: what conf_sanity says of a password file, "" if fine.
pw_why() {
	if [ ! -e "$1" ]; then echo "No such file or directory"
	elif [ ! -f "$1" ]; then echo "not a regular file"
	elif [ ! -r "$1" ]; then echo "Permission denied"
	elif [ -z "$(head -c 16 "$1" | head -n 1 | sed 's/\r$//')" ]; then
		echo empty
	fi
}
fix="run tcpquota-setup-db, or name the file it wrote"
want=()
getent group tcpquota-admin >/dev/null ||
	want+=("tcpquotad: warning: $E: quota.admin_group: group \"tcpquota-admin\" does not exist; only root can use the admin commands of tcpquota and openfw: create it (tcpquota-setup-db does) or name an existing group")
getent group tcpquota >/dev/null ||
	want+=("tcpquotad: warning: $E: daemon.tools_group: group \"tcpquota\" does not exist; the setgid tools cannot read their database password and the wake-up socket is open to everyone: create it (tcpquota-setup-db does) or name the tools' group")
for k in "password_file db.secret the daemon cannot log in to the database (it runs on and holds its debits until it can)" \
	"tool_password_file tool.secret openhost and the users' commands cannot log in to the database" \
	"admin_password_file admin.secret the admin commands cannot log in to the database"; do
	read -r key file who <<<"$k"
	why=$(pw_why "/etc/tcpquota/$file")
	[ -z "$why" ] ||
		want+=("tcpquotad: warning: $E: database.$key: \"/etc/tcpquota/$file\": $why; $who: $fix")
done
want+=("tcpquotad: $E: configuration OK")
expect_eq "empty file: -n accepts it (with the system's warnings)" \
	"$(printf '%s\n' "${want[@]}")" \
	"$(ip netns exec "$LAB_GW" "$TQD" -n --config "$E" 2>&1)"

# --- the file cut at every byte (in-process, conf_load_string of each
# prefix: 900 starts of the binary would take half a minute): refused
# with a line inside the cut file, unless the cut falls just after a
# top-level "};" or "}" (a complete, shorter file).  A few cuts through
# the real binary too.
size=$(stat -c %s "$BASE")
want_ok=$(awk -v size="$size" '
	{ off += length($0) + 1 }
	/^};$/ {
		# after "}", after "};", after "};\n" (the last one is the
		# whole file, not a cut)
		print off - 2; print off - 1; if (off < size) print off
	}' "$BASE" | sort -n | tr '\n' ' ')
"$TQ_BUILD/tests/confcut" "$BASE" >"$C/cuts.out"
expect_eq "every length from 1 to size-1 tried" $((size - 1)) \
	"$(wc -l <"$C/cuts.out")"
expect_eq "cuts accepted exactly after complete sections" "$want_ok" \
	"$(awk '$2 == "ok" { print $1 }' "$C/cuts.out" | tr '\n' ' ')"
expect_eq "every refused cut names the file and a line in it" "" \
	"$(grep ' bad ' "$C/cuts.out" | head -n 3)"
# cut_mid LINE: the base file cut in the middle of LINE.
cut_mid() {
	head -c "$(awk -v l="$1" 'NR < l { o += length($0) + 1 }
		NR == l { print o + int(length($0) / 2); exit }' "$BASE")" "$BASE"
}
cut_mid 11 >"$C/cut_socket.conf"	# inside database.socket's string
refused cut_socket "@F@:11: string never closed; add the missing '\"'"
cut_mid 5 >"$C/cut_pidfile.conf"	# inside daemon.pidfile's string
refused cut_pidfile "@F@:5: string never closed; add the missing '\"'"
head -n 27 "$BASE" >"$C/cut27l.conf"	# network's "};" missing
refused cut27l "@F@:28: syntax error; check the quotes, '=', ';' and brackets on or before this line"

check "no process left in the gateway namespace" [ "$(badconf_procs)" -eq 0 ]
tq_done
