#!/bin/bash
# 053-portal-room.sh - the teacher's room page opens and closes a room as
# openfw does (one code path: rq_room()), with the real daemon, MariaDB,
# PAM and a real browser (tests/lib/portal_room_browser.py):
#   - the teacher (group tcpquota-admin) at her own host logs in, follows
#     the Rooms link and opens room1 (the LAN host's IPv4 and IPv6
#     addresses): the page says so, free rows in masq, one row in
#     logging_openfw naming her and the portal;
#   - a host of the room reaches the lab server (masqueraded) and over
#     IPv6, and its traffic charges no user: only the free pseudo-user's
#     balance records it;
#   - she closes the room from the page: rows gone, server out of reach,
#     logged;
#   - a member a user has opened is left as it is, and said so;
#   - a non-teacher gets 403 on GET and POST /room and changes nothing;
#     CSRF, an unknown room, an unknown action refused; closing a closed
#     room says there is nothing to close.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_mount_ns "$@"
# shellcheck source=tests/lib/portal.sh
. "$TQ_ROOT/tests/lib/portal.sh"
tq_init 053-portal-room

tq_require "lab, database and users set up" portal_setup
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000),
	('teach', 100000);
	INSERT INTO allowed (name) VALUES ('alice'), ('teach');"
DESK4=198.18.1.20
tq_require "the teacher's host" lab_add_lan DESK "$DESK4" 2001:db8:1::20
DESK=$LAB_NS_DESK
{
	portal_conf
	echo "groups = { room1 = [ \"$LAB_LAN4\", \"$LAB_LAN6\" ]; };"
} >"$TQ_TMP/tcpquota.conf"
tq_require -l "$TQ_TMP/tcpquotad.log" "tcpquotad started" tqd_start
tq_require "tcpquota-portal started" portal_start

rows() { tqd_q "SELECT host, name, open, free FROM masq ORDER BY host"; }
fwlog() { tqd_q "SELECT user, action FROM logging_openfw ORDER BY \`when\`"; }
balances() { tqd_q "SELECT name, quota FROM tcptab WHERE name <> 'free'
	ORDER BY name" | tr '\n' ' '; }
reaches() { [ "$(lab_try "$LAB_LAN" "$1")" = "$2" ]; }
# (IPv6 is not masqueraded: the server sees the host's own address.)
SEEN6=$(printf '[%s]' "$(/usr/bin/python3 -c 'import ipaddress, sys
print(ipaddress.ip_address(sys.argv[1]).exploded)' "$LAB_LAN6")")
NOTE="(portal, from $DESK4)"

# ---- the teacher opens room1 in the browser ----
portal_artefacts 053-portal-room
USER_NAME=teach USER_PW=$PORTAL_PW_teach ROOM=room1 \
	ROOM_HOSTS="$LAB_LAN4 $LAB_LAN6"
export USER_NAME USER_PW ROOM ROOM_HOSTS
portal_browse "$DESK" "$TQ_ROOT/tests/lib/portal_room_browser.py" open
expect_eq "the browser's open run ended well" 0 "$?"
expect_eq "free rows for both addresses, acknowledged" \
"$LAB_LAN4 free 1 1
$LAB_LAN6 free 1 1" "$(rows)"
expect_eq "no MAC, not a portal row (the keeper leaves them alone)" \
	"0 0" "$(tqd_q "SELECT COUNT(mac), COUNT(via) FROM masq")"
expect_eq "logging_openfw: who, what, from where" \
	"teach open group room1: $LAB_LAN4 $LAB_LAN6 $NOTE" "$(fwlog)"
check "a host of the room reaches the server, masqueraded" \
	wait_for 5 reaches "$LAB_SRV4" "$LAB_GW_WAN4"
check "... and over IPv6" wait_for 5 reaches "$LAB_SRV6" "$SEEN6"

# Traffic for a few polls: no user is charged, the free pseudo-user's
# balance records it.
b0=$(balances)
ip netns exec "$LAB_LAN" "$TQ_BUILD/tests/tqd-talker" "$LAB_SRV4" \
	"$LAB_PORT" 200 >"$TQ_TMP/talker.out" 2>&1 &
TALK=$!
at_exit "kill $TALK 2>/dev/null"
counter_ge() { [ "$(tqd_q "SELECT counter FROM masq
	WHERE host = '$LAB_LAN4'")" -ge "$1" ]; }
check "the room's traffic is counted (3 polls)" wait_for 20 counter_ge 3
kill "$TALK"
wait "$TALK" 2>/dev/null
expect_eq "no user's balance moved" "$b0" "$(balances)"
expect_eq "... only free was debited" free \
	"$(tqd_q "SELECT DISTINCT name FROM debits")"
expect_eq "... its balance is minus its debits" \
	"$(tqd_q "SELECT -SUM(seconds) FROM debits WHERE name = 'free'")" \
	"$(tqd_q "SELECT quota FROM tcptab WHERE name = 'free'")"
check "... which is below 0" \
	[ "$(tqd_q "SELECT quota FROM tcptab WHERE name = 'free'")" -lt 0 ]

# ---- a non-teacher: 403, nothing changes ----
JA=$TQ_TMP/alice.jar
expect_eq "alice (not a teacher) logs in" 303 \
	"$(curl_login "$LAB_LAN" "$JA" alice "$PORTAL_PW_alice")"
get "$LAB_LAN" "$JA" / >/dev/null
check_not "... her status page has no Rooms link" \
	grep -q 'id="room-link"' "$TQ_TMP/page"
AC=$(csrf)
expect_eq "GET /room: 403" 403 "$(get "$LAB_LAN" "$JA" /room)"
expect_eq "POST /room (her own valid CSRF token): 403" 403 \
	"$(post "$LAB_LAN" "$JA" /room "csrf=$AC" room=room1 do=close)"
check "... saying why" grep -qF "Rooms are opened and closed by members \
of the administrators&#39; group only." "$TQ_TMP/page"
expect_eq "... room1 stays open" "$LAB_LAN4 free 1 1
$LAB_LAN6 free 1 1" "$(rows)"
expect_eq "... nothing logged" 1 \
	"$(tqd_q "SELECT COUNT(*) FROM logging_openfw")"
check "... the portal's log names her" grep -q \
	"room action of alice from $LAB_LAN4 refused: not in group tcpquota-admin" \
	"$TQ_TMP/portal.log"

# ---- the teacher, by curl: bad requests ----
JT=$TQ_TMP/teach.jar
expect_eq "teach logs in (curl)" 303 \
	"$(curl_login "$DESK" "$JT" teach "$PORTAL_PW_teach")"
expect_eq "her room page: 200" 200 "$(get "$DESK" "$JT" /room)"
TC=$(csrf)
expect_eq "POST /room without a CSRF token: 403" 403 \
	"$(post "$DESK" "$JT" /room room=room1 do=close)"
expect_eq "an unknown room: 400" 400 \
	"$(post "$DESK" "$JT" /room "csrf=$TC" room=room9 do=close)"
expect_eq "an unknown action: 400" 400 \
	"$(post "$DESK" "$JT" /room "csrf=$TC" room=room1 do=toggle)"
expect_eq "... room1 untouched" 2 "$(tqd_q "SELECT COUNT(*) FROM masq")"

# ---- the teacher closes room1 in the browser ----
portal_browse "$DESK" "$TQ_ROOT/tests/lib/portal_room_browser.py" close
expect_eq "the browser's close run ended well" 0 "$?"
expect_eq "the rows are gone" "" "$(rows)"
check_not "the host no longer reaches the server" \
	lab_try "$LAB_LAN" "$LAB_SRV4"
expect_eq "logging_openfw: the close too" \
	"teach open group room1: $LAB_LAN4 $LAB_LAN6 $NOTE
teach close group room1: $LAB_LAN4 $LAB_LAN6 $NOTE" "$(fwlog)"
check "screenshots of the room page, open and closed" \
	[ -s "$ART/room-open.png" ] && [ -s "$ART/room-closed.png" ]

# room_do open|close: the teacher's POST /room for room1; its status code
# and then, on the room page it leads to, the flash line.
room_do() {
	post "$DESK" "$JT" /room "csrf=$TC" room=room1 "do=$1"
	get "$DESK" "$JT" /room >/dev/null
	echo " $(flash)"
}
expect_eq "closing a closed room: nothing to close" \
	"303 Room room1: no host to close." "$(room_do close)"

# ---- a member a user has opened is left as it is ----
get "$LAB_LAN" "$JA" / >/dev/null
expect_eq "alice opens her device (the room's IPv4 address)" 303 \
	"$(post "$LAB_LAN" "$JA" /open "csrf=$(csrf)")"
tq_require "alice's device is open" tqd_open_is "$LAB_LAN4" 1
# The daemon opened the device's IPv6 address too (same MAC, no row).
expect_eq "teach opens room1: alice's host left as it is, the other opened" \
	"303 Room room1 opened for free access: 1 host opened. 1 held by users, left as it is ($LAB_LAN4 (alice))." \
	"$(room_do open)"
expect_eq "... the page: open (as openfw counts: a held host aside)" open \
	"$(sed -n 's/.*id="state-room1">\([^<]*\)<.*/\1/p' "$TQ_TMP/page")"
expect_eq "... alice's row untouched, a free row for the other" \
"$LAB_LAN4 alice 1 0
$LAB_LAN6 free 1 1" "$(rows)"
expect_eq "teach closes room1: only the free row closed" \
	"303 Room room1 closed: 1 host closed. 1 held by users, left as it is ($LAB_LAN4 (alice))." \
	"$(room_do close)"
expect_eq "... alice's row stays" "$LAB_LAN4 alice 1 0" "$(rows)"

portal_stop
expect_eq "SIGTERM: the portal exits 0" 0 "$PORTAL_RC"
tq_done
