#!/bin/bash
# 051-portal-captive.sh - the daemon's side of the portal (issue 16):
#   - a nat rule ahead of the set lookup redirects tcp/80 of a LAN host
#     that is not open to the portal (portal.port on the gateway);
#   - a closed host's other new connections are rejected (TCP reset /
#     ICMP admin-prohibited) at once instead of silently dropped;
#   - a device is its MAC: opening the address a request came from opens
#     its other addresses (IPv4 and IPv6) the gateway's neighbour table
#     shows for that MAC too, and closing closes them all.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_mount_ns "$@"
# shellcheck source=tests/lib/lab.sh
. "$TQ_ROOT/tests/lib/lab.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tqd.sh
. "$TQ_ROOT/tests/lib/tqd.sh"
# shellcheck source=tests/lib/portal.sh
. "$TQ_ROOT/tests/lib/portal.sh"
tq_init 051-portal-captive

tq_require "lab, database and users set up" portal_setup
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000);
	INSERT INTO allowed (name) VALUES ('alice');"
portal_conf >"$TQ_TMP/tcpquota.conf"
tq_require -l "$TQ_TMP/tcpquotad.log" "tcpquotad started" tqd_start
tq_require "tcpquota-portal started" portal_start
# The Internet server also speaks on port 80 (the redirect's port).
lab_service "$LAB_SRV" 80
srv80() { ip netns exec "$LAB_SRV" ss -Htln "sport = :80" | grep -q .; }
tq_require "the server listens on port 80" wait_for 5 srv80

L() { ip netns exec "$LAB_LAN" "$@"; }
ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- the portal's own part (holds today) ----
expect_eq "the portal redirects a request for another host" \
	"302 $PORTAL_URL" \
	"$(L curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' \
	   -H 'Host: example.com' "${PORTAL_URL}")"

# ---- the captive redirect ----
out=$(L curl -sS -m 5 -o /dev/null -w '%{http_code} %{redirect_url}' \
	"http://$LAB_SRV4/" 2>&1)
expect_eq "tcp/80 of a closed host lands on the portal (302)" \
	"302 $PORTAL_URL" "$out"
out=$(L curl -sS -m 5 -L "http://$LAB_SRV4/" 2>&1 | grep -o '<title>[^<]*')
expect_eq "... and, followed, on the login page" \
	"<title>Log in - tcpquota" "$out"
# The same in the browser: an OS or browser captive check that loads
# any http:// page is shown the login page.
# (The options and the time-outs of tests/lib/portal_browser.py: a cold
# renderer on a loaded 2-core machine takes its time.)
url=$(L env HOME="$TQ_TMP" timeout 150 /usr/bin/python3 - "$LAB_SRV4" \
	"$TQ_TMP/chrome" <<'PY' 2>"$TQ_TMP/browser.err"
import sys
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
o = webdriver.ChromeOptions()
o.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
          "--disable-dev-shm-usage", "--no-first-run",
          "--no-default-browser-check", "--disable-extensions",
          "--disable-background-networking",
          "--user-data-dir=" + sys.argv[2]):
    o.add_argument(a)
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
d.set_page_load_timeout(60)
try:
    d.get("http://%s/" % sys.argv[1])
    print(d.current_url, d.title)
finally:
    d.quit()
PY
)
expect_eq "the browser on http://server/ ends on the login page" \
	"$PORTAL_URL Log in - tcpquota" "$url"
[ "$url" = "$PORTAL_URL Log in - tcpquota" ] ||
	tail -n 5 "$TQ_TMP/browser.err" >&2

# ---- closed hosts are rejected at once, not dropped ----
t0=$(ms)
L socat -T3 - "TCP:$LAB_SRV4:$LAB_PORT,connect-timeout=3" </dev/null \
	>/dev/null 2>&1
t1=$(ms)
check "another new connection of a closed host is rejected at \
once (< 500 ms; took $((t1 - t0)) ms)" [ $((t1 - t0)) -lt 500 ]

# ---- a device is its MAC with all its addresses ----
# A dual-stack device talks IPv6 on the LAN before anyone logs in (router
# solicitations, DNS): the gateway's neighbour table knows both its
# addresses.  Here a connection the gateway itself refuses.
L socat -u /dev/null "TCP6:[$LAB_GW_LAN6]:9,connect-timeout=1" 2>/dev/null
nb6() { ip -n "$LAB_GW" neigh show "$LAB_LAN6" dev lan0 | grep -q lladdr; }
tq_require "the gateway's neighbour table knows the device's IPv6 \
address" wait_for 5 nb6
# Open alice's device from its IPv4 address (the portal's way), then
# use its IPv6 address too.
jar=$TQ_TMP/a.jar
L curl -sS -c "$jar" -b "$jar" -o "$TQ_TMP/page" "$PORTAL_URL"
c=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$TQ_TMP/page")
L curl -sS -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$c" \
	--data-urlencode user=alice \
	--data-urlencode "password=$PORTAL_PW_alice" "${PORTAL_URL}login"
L curl -sS -c "$jar" -b "$jar" -o "$TQ_TMP/page" "$PORTAL_URL"
c=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$TQ_TMP/page" |
	head -n 1)
L curl -sS -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$c" \
	"${PORTAL_URL}open"
check "the device is open (its IPv4 row)" tqd_open_is "$LAB_LAN4" 1
expect_eq "... it reaches the server over IPv4, masqueraded" \
	"$LAB_GW_WAN4" "$(lab_try "$LAB_LAN" "$LAB_SRV4")"
expect_eq "... and over IPv6 (the same MAC)" \
	"[2001:0db8:0001:0000:0000:0000:0000:0010]" \
	"$(lab_try "$LAB_LAN" "$LAB_SRV6")"
expect_eq "... tcp/80 of the open device is not redirected" \
	"$LAB_GW_WAN4" "$(lab_try "$LAB_LAN" "$LAB_SRV4" 80)"
L curl -sS -c "$jar" -b "$jar" -o "$TQ_TMP/page" "$PORTAL_URL"
c=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$TQ_TMP/page" |
	head -n 1)
L curl -sS -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$c" \
	"${PORTAL_URL}close"
check "closed: its IPv4 address is out" wait_for 5 \
	bash -c "! ip netns exec $LAB_GW nft list set inet tcpquota hosts4 |
		grep -qw $LAB_LAN4"
check_not "... and so is its IPv6 address" \
	lab_try "$LAB_LAN" "$LAB_SRV6"
tq_done
