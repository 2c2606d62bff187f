#!/bin/bash
# 050-portal.sh - tcpquota-portal end to end: the real daemon, MariaDB,
# PAM (pam_unix against users made in a private mount namespace) and a
# real browser (headless Chromium driven by Selenium from the LAN host's
# namespace; tests/lib/portal_browser.py):
#   - a wrong password is refused; log in; open; the device reaches the
#     lab server masqueraded; with traffic its balance on the page drops
#     by exactly what the daemon charged; time left = balance / cost;
#     CSRF without a token refused; /api/captive exact (open and
#     closed); close; log out; screenshots of the login and status pages
#     kept under $TQ_BUILD/artefacts/050-portal (path printed)
#   - a second LAN host (bob): cannot close alice's device, nor use her
#     session cookie; its own /api/captive says captive
#   - the low-balance banner below portal.warn_seconds of time left
#   - brute force: 5 failed logins a minute per address and per user,
#     the 6th waits (429, Retry-After), also with the right password;
#     the log names user and address, never the password
#   - the portal runs as its own user (not root), its PAM helper too
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_mount_ns "$@"
# shellcheck source=tests/lib/portal.sh
. "$TQ_ROOT/tests/lib/portal.sh"
tq_init 050-portal

tq_require "lab, database and users set up" portal_setup
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000),
	('bob', 100000), ('mallory', 100000);
	INSERT INTO allowed (name) VALUES ('alice'), ('bob'), ('mallory');"
BOB4=198.18.1.20
tq_require "second LAN host" lab_add_lan BOB "$BOB4" 2001:db8:1::20
portal_conf >"$TQ_TMP/tcpquota.conf"
tq_require -l "$TQ_TMP/tcpquotad.log" "tcpquotad started" tqd_start
tq_require "tcpquota-portal started" portal_start

L() { ip netns exec "$LAB_LAN" "$@"; }
B() { ip netns exec "$LAB_NS_BOB" "$@"; }

# ---- who runs ----
owner() { ps -o user= -p "$1" | tr -d ' '; }
expect_eq "the portal runs as its own user" tcpquota-portal \
	"$(owner "$PORTAL_PID")"
helper=$(pgrep -P "$PORTAL_PID" | head -n 1)
expect_eq "... and so does its PAM helper" tcpquota-portal \
	"$(owner "$helper")"
check "... the helper has group shadow, the server not" \
	[ "$(ps -o supgrp= -p "$helper" | tr -d ' ')" = shadow ] &&
	! ps -o supgrp= -p "$PORTAL_PID" | grep -qw shadow

# ---- the browser ----
portal_artefacts 050-portal
USER_NAME=alice USER_PW=$PORTAL_PW_alice SERVER=$LAB_SRV4:$LAB_PORT \
	SERVER_SEES=$LAB_GW_WAN4 CHARGE=3 DEVICE=$LAB_LAN4
export USER_NAME USER_PW SERVER SERVER_SEES CHARGE DEVICE
portal_browse "$LAB_LAN" "$TQ_ROOT/tests/lib/portal_browser.py"
brc=$?
expect_eq "the browser run ended well" 0 "$brc"
check "screenshots of the login and status pages" \
	[ -s "$ART/login.png" ] && [ -s "$ART/status.png" ]

# (get, post, csrf, flash, curl_login: tests/lib/portal.sh)

# ---- a second LAN host ----
JA=$TQ_TMP/alice.jar
JB=$TQ_TMP/bob.jar
expect_eq "alice logs in again (curl)" 303 \
	"$(curl_login "$LAB_LAN" "$JA" alice "$PORTAL_PW_alice")"
get "$LAB_LAN" "$JA" / >/dev/null
expect_eq "... and opens her device" 303 \
	"$(post "$LAB_LAN" "$JA" /open "csrf=$(csrf)")"
tq_require "alice's device is open" tqd_open_is "$LAB_LAN4" 1
expect_eq "bob logs in from his own host" 303 \
	"$(curl_login "$LAB_NS_BOB" "$JB" bob "$PORTAL_PW_bob")"
get "$LAB_NS_BOB" "$JB" / >/dev/null
expect_eq "bob's page: his own device, closed" "$BOB4 closed" \
	"$(sed -n 's/.*id="host">\([^<]*\)<.*id="state">\([^<]*\)<.*/\1 \2/p' \
	   "$TQ_TMP/page")"
expect_eq "bob's close: 303" 303 \
	"$(post "$LAB_NS_BOB" "$JB" /close "csrf=$(csrf)")"
get "$LAB_NS_BOB" "$JB" / >/dev/null
expect_eq "... 'not open for you'" "this device is not open for you" \
	"$(flash)"
expect_eq "... alice's device stays open" 1 \
	"$(mdb_sql "SELECT open FROM masq WHERE host = '$LAB_LAN4'")"
# Alice's session cookie carried to bob's host is no login there.
cp "$JA" "$TQ_TMP/stolen.jar"
get "$LAB_NS_BOB" "$TQ_TMP/stolen.jar" / >/dev/null
check "alice's cookie on bob's host: the login page" \
	grep -q '<title>Log in' "$TQ_TMP/page"
expect_eq "... /api/status refuses it" 401 \
	"$(get "$LAB_NS_BOB" "$TQ_TMP/stolen.jar" /api/status)"
expect_eq "bob's /api/captive: captive" \
	"{\"captive\":true,\"user-portal-url\":\"$PORTAL_URL\"}" \
	"$(B curl -sS "${PORTAL_URL}api/captive")"
expect_eq "a request for another host is sent to the portal" \
	"302 $PORTAL_URL" \
	"$(B curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' \
	   -H 'Host: example.com' "${PORTAL_URL}generate_204")"
expect_eq "alice closes her own device" 303 \
	"$(get "$LAB_LAN" "$JA" / >/dev/null
	   post "$LAB_LAN" "$JA" /close "csrf=$(csrf)")"
check "... its row is gone" tqd_open_is "$LAB_LAN4" ""

# ---- the low-balance banner (portal.warn_seconds = 300) ----
get "$LAB_LAN" "$JA" / >/dev/null
check_not "alice's page (100000 s): no low-balance banner" \
	grep -q 'id="low"' "$TQ_TMP/page"
mdb_sql "UPDATE tcptab SET quota = 450 WHERE name = 'bob'"
get "$LAB_NS_BOB" "$JB" / >/dev/null
check "bob's page (450 s): the banner" grep -qF \
	'<p class="banner warn" id="low" role="alert">Less than 0:05:00 left at the current rate.</p>' \
	"$TQ_TMP/page"
get "$LAB_NS_BOB" "$JB" /api/status >/dev/null
cost=$(jq -r .cost "$TQ_TMP/page")
expect_eq "... /api/status: warn, and the time left it is about" \
	"true $((450 / cost))" \
	"$(jq -r '"\(.warn) \(.["seconds-left"])"' "$TQ_TMP/page")"

# ---- brute force, from bob's host against mallory ----
JM=$TQ_TMP/mallory.jar
codes=
for i in 1 2 3 4 5 6; do
	codes="$codes $(curl_login "$LAB_NS_BOB" "$JM" mallory "guess$i")"
done
expect_eq "5 wrong passwords refused, the 6th held back" \
	" 403 403 403 403 403 429" "$codes"
check "... with Retry-After" grep -qi '^Retry-After: [1-9]' \
	"$TQ_TMP/headers"
expect_eq "... the right password waits too (per address)" 429 \
	"$(curl_login "$LAB_NS_BOB" "$TQ_TMP/b2.jar" bob "$PORTAL_PW_bob")"
expect_eq "... and from another host (per user)" 429 \
	"$(curl_login "$LAB_LAN" "$JM" mallory guess7)"
expect_eq "... while other users on other hosts log in" 303 \
	"$(curl_login "$LAB_LAN" "$TQ_TMP/a2.jar" alice "$PORTAL_PW_alice")"
check "failed logins are logged with user and address" \
	grep -q "failed login of mallory from $BOB4" "$TQ_TMP/portal.log"
check_not "... never with the password" \
	grep -q 'guess\|Al1ce\|B0b-pw' "$TQ_TMP/portal.log"

# ---- shutdown ----
portal_stop
expect_eq "SIGTERM: the portal exits 0" 0 "$PORTAL_RC"
tq_done
