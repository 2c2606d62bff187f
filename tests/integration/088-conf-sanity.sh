#!/bin/bash
# 088-conf-sanity.sh - what `tcpquotad -n` and a start check beyond the
# syntax (issue 20, item 10), in the style of 065-bad-config.sh:
#   refused (exit 1, exactly one line "tcpquotad: FILE:LINE: SETTING:
#   reason; what to do", nothing started): an interface in both
#   network.lan and network.wan (equal, one of several, a pattern);
#   network.local_networks covering the Internet (0.0.0.0/0, ::/0, /1
#   halves, 2000::/3, a /7);
#   warned (-n exits 0 and says "configuration OK", the warnings exact on
#   stderr): quota.admin_group and daemon.tools_group naming no group,
#   password files missing, empty, not a file; a start runs and logs the
#   one about its own password file, not the tools' ones.
. "$(dirname "$0")/../lib/lib.sh"
. "$TQ_ROOT/tests/lib/lab.sh"
. "$TQ_ROOT/tests/lib/mariadb.sh"
. "$TQ_ROOT/tests/lib/tqd.sh"
. "$TQ_ROOT/tests/lib/badconf.sh"
tq_init tqd-conf-sanity

tq_require "lab and database set up" tqd_setup
badconf_init
# The lab's file, with groups this system has (so the base says nothing).
tqd_conf | sed 's|wakeup = \(.*\);|wakeup = \1; tools_group = "root";|
	s/min_quota = 0;/min_quota = 0; admin_group = "root";/' >"$BASE"

badconf_table() { lab_gw nft list table inet tcpquota >/dev/null 2>&1; }
line_of() { grep -n -- "$1" "$BASE" | head -n 1 | cut -d: -f1; }

# -n in the gateway's namespace (it forwards: no forwarding warning).
n_check() { ip netns exec "$LAB_GW" "$TQD" -n --config "$1"; }

out=$(n_check "$BASE" 2>&1)
expect_eq "the base file: -n says only that it is OK" \
	"tcpquotad: $BASE: configuration OK" "$out"

BADCONF_NS=$LAB_GW
# refused NAME WANT: $C/NAME.conf refused by -n (in the gateway) and by a
# real start, exactly "tcpquotad: WANT" (@F@ = the file), nothing started.
refused() { badconf_refused "$@"; }
mk() { sed "$2" "$BASE" >"$C/$1.conf"; }

# --- an interface on both sides
L=$(line_of 'wan = ')
side="an interface is the LAN's (the users' side, lan) or the Internet's (wan), never both: name each in one list"
mk lan_is_wan 's/wan = \[ "wan0" \];/wan = [ "lan0" ];/'
refused lan_is_wan "@F@:$L: network.wan[0]: \"lan0\" is also in network.lan; $side"
mk lan_in_wan 's/wan = \[ "wan0" \];/wan = [ "wan0", "lan0" ];/'
refused lan_in_wan "@F@:$L: network.wan[1]: \"lan0\" is also in network.lan; $side"
mk lan_pattern 's/lan = \[ "lan0" \];/lan = [ "lan*" ];/; s/wan = \[ "wan0" \];/wan = [ "wan0", "lan1" ];/'
refused lan_pattern "@F@:$L: network.wan[1]: \"lan1\" is also in network.lan (as \"lan*\"); $side"

# --- local networks that cover the Internet: nothing would be charged
L=$(line_of 'local_networks = ')
site='so traffic to it is never charged; list only the networks of your own site, e.g.'
for c in "0 0.0.0.0/0 the_whole IPv4 192.168.0.0/16" \
	"1 ::/0 the_whole IPv6 fd00::/8" \
	"1 0.0.0.0/1 half_of_the IPv4 192.168.0.0/16" \
	"0 128.0.0.0/1 half_of_the IPv4 192.168.0.0/16" \
	"1 2000::/3 the_whole IPv6 fd00::/8" \
	"0 8.0.0.0/7 1/128_of_the IPv4 192.168.0.0/16"; do
	read -r i net share fam eg <<<"$c"
	name=local_${net//[\/:.]/_}
	if [ "$i" = 0 ]; then
		mk "$name" "s|\"198.18.1.0/24\"|\"$net\"|"
	else
		mk "$name" "s|\"2001:db8:1::/64\"|\"$net\"|"
	fi
	refused "$name" "@F@:$L: network.local_networks[$i]: \"$net\" covers ${share//_/ } $fam Internet, $site \"$eg\""
done
# what is a site's own is accepted
mk local_ok 's|"198.18.1.0/24", "2001:db8:1::/64"|"10.0.0.0/8", "fc00::/7", "224.0.0.0/4", "198.18.0.0/15"|'
expect_eq "a site's own networks (10/8, fc00::/7, 224/4): accepted" \
	"tcpquotad: $C/local_ok.conf: configuration OK" "$(n_check "$C/local_ok.conf" 2>&1)"

# --- warnings: -n accepts the file and says what to fix
mkdir -p "$TQ_TMP/pw"
: >"$TQ_TMP/pw/empty"
mk warn 's/tools_group = "root";/tools_group = "tq-none-tools";/
	s/admin_group = "root";/admin_group = "tq-none-admins";/
	s|admin_password_file = ".*";|admin_password_file = "'"$TQ_TMP/pw"'";|
	s|tool_password_file = ".*";|tool_password_file = "'"$TQ_TMP/pw/empty"'";|'
fix="run tcpquota-setup-db, or name the file it wrote"
W="tcpquotad: warning: $C/warn.conf"
WANT="$W:$(line_of 'admin_group = ' ): quota.admin_group: group \"tq-none-admins\" does not exist; only root can use the admin commands of tcpquota and openfw: create it (tcpquota-setup-db does) or name an existing group
$W:$(line_of 'tools_group = '): daemon.tools_group: group \"tq-none-tools\" does not exist; the setgid tools cannot read their database password and the wake-up socket is open to everyone: create it (tcpquota-setup-db does) or name the tools' group
$W:$(line_of 'tool_password_file = '): database.tool_password_file: \"$TQ_TMP/pw/empty\": empty; openhost and the users' commands cannot log in to the database: $fix
$W:$(line_of 'admin_password_file = '): database.admin_password_file: \"$TQ_TMP/pw\": not a regular file; the admin commands cannot log in to the database: $fix"
out=$(n_check "$C/warn.conf" 2>"$TQ_TMP/err")
expect_eq "warnings: -n exit status 0" 0 "$?"
expect_eq "warnings: -n says OK" "tcpquotad: $C/warn.conf: configuration OK" "$out"
expect_eq "warnings: exactly these, on stderr" "$WANT" "$(cat "$TQ_TMP/err")"

# the daemon's own password file missing: it still starts, says so, and
# runs without the database
mk nopw 's|password_file = "'"$MDB_SECRET"'";|password_file = "'"$TQ_TMP/none.secret"'";|'
out=$(n_check "$C/nopw.conf" 2>&1)
expect_eq "missing password file: -n warns and accepts" \
	"tcpquotad: warning: $C/nopw.conf:$(line_of "	password_file = "): database.password_file: \"$TQ_TMP/none.secret\": No such file or directory; the daemon cannot log in to the database (it runs on and holds its debits until it can): $fix
tcpquotad: $C/nopw.conf: configuration OK" "$out"
rm -f "$LOGFILE"
tq_require "a start with the warnings" tqd_start "$LAB_GW" "$C/nopw.conf"
check "... logs the warning about its password file" grep -qF "warning: $C/nopw.conf:$(line_of "	password_file = "): database.password_file: \"$TQ_TMP/none.secret\": No such file or directory;" "$LOGFILE"
check "... and runs without the database" \
	tqd_wait_log "database unavailable: cannot read password file $TQ_TMP/none.secret" 5
check "... with its table" badconf_table
tqd_stop
expect_eq "... and stops cleanly" 0 "$TQD_RC"

# the tools' warnings are -n's: a start does not log them
rm -f "$LOGFILE"
tq_require "a start with the tools' warnings" tqd_start "$LAB_GW" "$C/warn.conf"
check_not "... logs none of them" grep -q "warning: $C/warn.conf" "$LOGFILE"
tqd_stop
expect_eq "... and stops cleanly" 0 "$TQD_RC"
tq_done
