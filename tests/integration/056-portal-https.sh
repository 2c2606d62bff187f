#!/bin/bash
# 056-portal-https.sh - tcpquota-portal over HTTPS (portal.cert and
# portal.key; libmicrohttpd's GnuTLS), with a self-signed certificate
# made here (openssl) for the gateway's LAN addresses:
#   - the TLS handshake from the LAN host, verified against that
#     certificate (curl --cacert), over IPv4 and IPv6, and refused
#     without it; the log says HTTPS and no plain-HTTP warning;
#   - the plain HTTP port only redirects to the HTTPS portal;
#   - the session and login cookies carry Secure; /api/captive names
#     the https:// URL; the login page has no plain-HTTP warning;
#   - a real browser logs in, opens and closes over HTTPS
#     (tests/lib/portal_https_browser.py);
#   - a missing, unreadable, non-PEM or foreign key stops the start with
#     exit 1 and one line naming the setting, the file and what to do,
#     on stderr and in the log; -n says the same.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_mount_ns "$@"
# shellcheck source=tests/lib/portal.sh
. "$TQ_ROOT/tests/lib/portal.sh"
tq_init 056-portal-https

tq_require "lab, database and users set up" portal_setup
tq_require "openssl is installed (make deps)" hash openssl
mdb_sql "INSERT INTO tcptab (name, quota) VALUES ('alice', 100000);
	INSERT INTO allowed (name) VALUES ('alice');"

# A self-signed certificate for the portal's addresses; its key for
# root only, as an administrator keeps it.
CERT=$TQ_TMP/portal.pem
KEY=$TQ_TMP/portal.key
selfsigned() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$2" -out "$1" -days 2 -subj "/CN=$LAB_GW_LAN4" \
		-addext "subjectAltName=IP:$LAB_GW_LAN4,IP:$LAB_GW_LAN6" \
		>"$TQ_TMP/openssl.out" 2>&1 && chmod 0600 "$2"
}
tq_require "a self-signed certificate" selfsigned "$CERT" "$KEY"
PORTAL_EXTRA="cert = \"$CERT\"; key = \"$KEY\";"
PORTAL_PORT=443
portal_conf >"$TQ_TMP/tcpquota.conf"
tq_require -l "$TQ_TMP/tcpquotad.log" "tcpquotad started" tqd_start
tq_require "tcpquota-portal started with HTTPS" portal_start

PORTAL_URL=https://$LAB_GW_LAN4/
PORTAL_CURL=(--cacert "$CERT")
L() { ip netns exec "$LAB_LAN" "$@"; }

# ---- what it serves ----
check "the log: HTTPS on the IPv4 address" grep -q \
	"serving HTTPS on $LAB_GW_LAN4 port 443\$" "$TQ_TMP/portal.log"
check "... and on the IPv6 one" grep -q \
	"serving HTTPS on $LAB_GW_LAN6 port 443\$" "$TQ_TMP/portal.log"
check "... plain HTTP only as redirects" grep -q \
	"serving redirects to HTTPS on $LAB_GW_LAN4 port 80\$" \
	"$TQ_TMP/portal.log"
check_not "... no plain-HTTP warning" grep -q "plain HTTP" \
	"$TQ_TMP/portal.log"
check "... the URL it announces" grep -q \
	"tcpquota-portal .* started: $PORTAL_URL\$" "$TQ_TMP/portal.log"

expect_eq "TLS handshake, verified against the certificate: 200" \
	"200 0" "$(L curl -sS --cacert "$CERT" -o /dev/null \
	-w '%{http_code} %{ssl_verify_result}' "$PORTAL_URL")"
expect_eq "... over IPv6 too" 200 "$(L curl -sS --cacert "$CERT" \
	-o /dev/null -w '%{http_code}' "https://[$LAB_GW_LAN6]/")"
L curl -sS -o /dev/null "$PORTAL_URL" 2>"$TQ_TMP/curl.err"
expect_eq "without the certificate curl refuses it (exit 60)" 60 "$?"
proto=$(L curl -sSv --cacert "$CERT" -o /dev/null "$PORTAL_URL" 2>&1 |
	sed -n 's/^\* SSL connection using \(TLSv[0-9.]*\) .*/\1/p')
check "TLS 1.2 or 1.3 ($proto)" grep -qxE 'TLSv1\.[23]' <<<"$proto"
expect_eq "plain HTTP on port 80 redirects to the HTTPS portal" \
	"302 $PORTAL_URL" "$(L curl -sS -o /dev/null \
	-w '%{http_code} %{redirect_url}' "http://$LAB_GW_LAN4/status")"
expect_eq "/api/captive names the https:// URL" \
	"{\"captive\":true,\"user-portal-url\":\"$PORTAL_URL\"}" \
	"$(L curl -sS --cacert "$CERT" "${PORTAL_URL}api/captive")"

J=$TQ_TMP/alice.jar
expect_eq "the login page: 200" 200 "$(get "$LAB_LAN" "$J" /)"
check_not "... without the plain-HTTP warning" grep -q 'id="plain-http"' \
	"$TQ_TMP/page"
L curl -sS --cacert "$CERT" -o /dev/null -D "$TQ_TMP/login.headers" \
	"$PORTAL_URL"
check "the login form's cookie is Secure" grep -qiE \
	'^Set-Cookie: tqp_login=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600; Secure'$'\r''?$' \
	"$TQ_TMP/login.headers"
expect_eq "alice logs in over HTTPS" 303 \
	"$(curl_login "$LAB_LAN" "$J" alice "$PORTAL_PW_alice")"
check "the session cookie: Secure, HttpOnly, SameSite=Strict" grep -qiE \
	'^Set-Cookie: tqp=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure'$'\r''?$' \
	"$TQ_TMP/headers"
expect_eq "... her status page" 200 "$(get "$LAB_LAN" "$J" /)"
check "... logged in" grep -q 'id="who">alice<' "$TQ_TMP/page"

# ---- a real browser ----
portal_artefacts 056-portal-https
USER_NAME=alice USER_PW=$PORTAL_PW_alice DEVICE=$LAB_LAN4
export USER_NAME USER_PW DEVICE
portal_browse "$LAB_LAN" "$TQ_ROOT/tests/lib/portal_https_browser.py"
expect_eq "the browser run ended well" 0 "$?"
check "a screenshot of the status page over HTTPS" \
	[ -s "$ART/status-https.png" ]

portal_stop
expect_eq "SIGTERM: the portal exits 0" 0 "$PORTAL_RC"

# ---- a key the portal cannot use: a clear start-up error ----
HINT="or leave portal.cert and portal.key empty for plain HTTP"
KEYHOLDS="it should hold the certificate's private key, unencrypted, in PEM"
# bad_key NAME KEYFILE: the portal started with KEYFILE as portal.key;
# its exit status and what it said on stderr in $TQ_TMP/NAME.err, its
# log in $TQ_TMP/NAME.log.
bad_key() {
	PORTAL_EXTRA="cert = \"$CERT\"; key = \"$2\";" \
		PORTAL_LOG=$TQ_TMP/$1.log portal_conf >"$TQ_TMP/$1.conf"
	ip netns exec "$LAB_GW" timeout 20 "$TQ_BUILD/tcpquota-portal" \
		--config "$TQ_TMP/$1.conf" 2>"$TQ_TMP/$1.err" >/dev/null
}
# expect_start NAME MESSAGE: exit 1, MESSAGE on stderr (one line) and as
# the log's fatal line; -n with the same file says it too.
expect_start() {
	local rc=$1 name=$2 msg=$3 out
	expect_eq "$name: exit 1" 1 "$rc"
	expect_eq "$name: says why on stderr" "tcpquota-portal: $msg" \
		"$(cat "$TQ_TMP/$name.err")"
	check "$name: ... and in the log" grep -qF "fatal: $msg" \
		"$TQ_TMP/$name.log"
	out=$("$TQ_BUILD/tcpquota-portal" -n --config "$TQ_TMP/$name.conf" \
		2>&1 >/dev/null)
	expect_eq "$name: -n says so too (exit 1)" \
		"1 tcpquota-portal: $msg" "$? $out"
}

bad_key missing "$TQ_TMP/missing.key"
expect_start $? missing "portal.key $TQ_TMP/missing.key: No such file or directory; name a file with the certificate's private key, unencrypted, in PEM, readable by root (it is read before the portal drops privileges), $HINT"

mkdir "$TQ_TMP/keydir"
bad_key unreadable "$TQ_TMP/keydir"
expect_start $? unreadable "portal.key $TQ_TMP/keydir: Is a directory; $KEYHOLDS, $HINT"

printf 'not a key\n' >"$TQ_TMP/junk.key"
bad_key junk "$TQ_TMP/junk.key"
expect_start $? junk "portal.key $TQ_TMP/junk.key: not PEM (no \"-----BEGIN\" line); $KEYHOLDS, $HINT"

tq_require "a second key pair" selfsigned "$TQ_TMP/other.pem" \
	"$TQ_TMP/other.key"
bad_key foreign "$TQ_TMP/other.key"
rc=$?
mismatch=$(sed -n "s/^tcpquota-portal: portal.cert [^ ]* with portal.key [^ ]*: \(.*\); the key must be.*/\1/p" \
	"$TQ_TMP/foreign.err")
expect_start "$rc" foreign "portal.cert $CERT with portal.key $TQ_TMP/other.key: $mismatch; the key must be that certificate's own, unencrypted, both in PEM, $HINT"
expect_eq "... GnuTLS's reason: they do not match" \
	"The certificate and the given key do not match" "${mismatch%.}"
listens443() { ip netns exec "$LAB_GW" ss -Htln "sport = :443" | grep -q .; }
check_not "nothing listens after the failed starts" listens443
tq_done
