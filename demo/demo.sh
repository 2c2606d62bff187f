#!/bin/bash
# demo.sh - "make demo": tcpquota at work, step by step, with evidence.
#
# A private MariaDB, a lab of network namespaces (LAN hosts - gateway -
# Internet server), the real tcpquotad on the gateway and the real tools.
# alice and bob log in to the gateway (a pseudo-terminal each, with the
# login record sshd would write) and run openhost themselves, with their
# own uid, through the setgid copies of the tools; the admin and the
# teacher's openfw run as root.  Then bob's phone opens itself through
# the web portal (tcpquota-portal) in a real browser: headless Chromium
# in the phone's namespace (demo/phone.py), the page shown as text and
# as a screenshot under $B/artefacts/demo/.  Every step prints what it does and what
# it sees, and is checked; the demo ends with the test summary and exits
# non-zero if any step did not behave.  Everything is torn down at the
# end, also on Ctrl-C or when its terminal is closed.
#
# The demo runs in a mount namespace of its own with overlays on /etc and
# /run: its users, group, /etc/tcpquota and /run/utmp (and the names of
# its network namespaces) never reach the host.
#
# Run as root:  make demo   (or B=build demo/demo.sh)
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (network namespaces, nftables, users)" >&2
	exit 1
fi
if [ -z "${TQ_DEMO_MOUNT_NS:-}" ]; then
	exec unshare -m --propagation private env TQ_DEMO_MOUNT_NS=1 \
		bash "$0" "$@"
fi
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../tests/lib/lib.sh"
# shellcheck source=tests/lib/lab.sh
. "$TQ_ROOT/tests/lib/lab.sh"
# shellcheck source=tests/lib/mariadb.sh
. "$TQ_ROOT/tests/lib/mariadb.sh"
# shellcheck source=demo/common.sh
. "$TQ_ROOT/demo/common.sh"
DEMO_PORTAL=1	# the portal's section in the configuration (step 9)
tq_init demo
# A closed terminal (SIGHUP) tears down as Ctrl-C does, through exit:
# without a trap bash runs the clean-up inside its handler of the fatal
# signal, where a wait in it was seen never to return (mariadbd left
# running until killed by hand).
trap 'exit 129' HUP
T0=$SECONDS

# ---------------------------------------------------------------------
step "Setting up: a private MariaDB, the lab, tcpquotad and two users"
if ! users_setup || ! demo_setup foreground tools_install; then
	fail "setting up the demo"
	tq_done
	exit 1
fi
say "database:  MariaDB on $MDB_SOCKET (no network)"
say "lab:       LAN hosts alice=$ALICE_IP bob=$BOB_IP room1=$ROOM_A,$ROOM_B"
say "           gateway $LAB_GW, server $LAB_SRV4:$LAB_PORT"
say "tcpquotad: period $PERIOD s, rate $RATE, gateway id \"$GWID\", pid $DAEMON_PID"
gid=$(getent group "$GROUP" | cut -d: -f3)
say "users:     alice (uid $(id -u alice)), bob (uid $(id -u bob)),"
say "           group $GROUP (gid $gid), in this demo's own mount namespace:"
say "           /etc and /run are overlays, none of it reaches the host"
say "config:    $CONF (the one the setgid tools read)"
say "files:     $TQ_TMP (database, log, terminals; removed at the end)"
say "the tools, installed setgid $GROUP, and their credentials:"
stat -c '%A %U:%G %n' "$BIN/openhost" "$BIN/openfw" "$BIN/tcpquota" \
	/etc/tcpquota/tool.secret /etc/tcpquota/db.secret \
	/etc/tcpquota/admin.secret | indent
show_nft "the daemon's own table (no host opened yet):"

# ---------------------------------------------------------------------
step "1. A LAN host cannot reach the Internet server"
say "alice's machine ($ALICE_IP) connects to $LAB_SRV4:$LAB_PORT ..."
if out=$(lab_try "$NS_ALICE" "$LAB_SRV4"); then
	fail "alice's host reached the server before openhost: $out"
else
	ok "no connection: the gateway refuses it (chain forward)"
fi

# ---------------------------------------------------------------------
step "2. The admin gives alice and bob some quota"
run tcpquota "allow alice bob free; set alice 300; set bob 600"
run tcpquota list
expect_eq "alice's balance is 300 s" 300 "$(balance alice)"

# ---------------------------------------------------------------------
step "3. alice logs in to the gateway from her machine and types openhost"
say "her session: a pseudo-terminal (tmux) on the gateway whose shell runs as"
say "alice; the demo writes the login record sshd would (utmpdump /run/utmp):"
login_start alice "$ALICE_IP" || fail "alice's login session"
login_record alice | indent
say "(7 = USER_PROCESS, her shell's pid $LOGIN_PID, her terminal $LOGIN_LINE,"
say " ut_host and ut_addr_v6: her machine's address)"
say "openhost takes no arguments: her name comes from her uid, her host"
say "from the login record of her terminal"
if wait_for "$(polls 15)" masq_is "$ALICE_IP" 1; then
	ok "the daemon opened $ALICE_IP (masq.open = 1)"
else
	fail "the daemon did not open $ALICE_IP"
fi
status='^balance [0-9]* s (.*)  charged .*\[Enter closes]'
check "openhost shows the live status line" wait_for 5 on_screen alice "$status"
pane_show alice "alice's terminal:"
check "who am i on her terminal: her login from $ALICE_IP" \
	on_screen alice "^alice .*$LOGIN_LINE .*($ALICE_IP)\$"
check "id: her own uid, not in group $GROUP" on_screen alice "^$(id alice)\$"
check "the tools' credentials are not hers to read" \
	on_screen alice "tool.secret: Permission denied"
expect_eq "the row names alice (from her uid)" alice \
	"$(mdb_sql "SELECT name FROM masq WHERE host = '$ALICE_IP'")"
show_sql "SELECT host, name, open, tic, counter FROM masq"
show_nft "alice's host is now in set hosts4:" hosts4
if out=$(lab_try "$NS_ALICE" "$LAB_SRV4"); then
	ok "alice's host reaches the server (masqueraded: it saw $out)"
else
	fail "alice's host still cannot reach the server"
fi

stop_if_failed
# ---------------------------------------------------------------------
step "4. Traffic flows and alice's balance drops by the formula"
traffic_start alice "$NS_ALICE"
wait_for "$(polls 10)" counter_ge "$ALICE_IP" 1
read -r q0 c0 <<<"$(qc "$ALICE_IP")"
say "alice: balance $q0 s after $c0 charged polls; waiting 3 polls ..."
wait_for "$(polls 20)" counter_ge "$ALICE_IP" $((c0 + 3))
read -r q1 c1 <<<"$(qc "$ALICE_IP")"
per=$(charge 1)
say "alice: balance $q1 s after $c1 charged polls"
say "one user online: floor(period * rate / n) + 1 = floor($PERIOD * $RATE / 1) + 1 = $per s per poll"
say "$((c1 - c0)) polls * $per = $(((c1 - c0) * per)) s;  $q0 - $q1 = $((q0 - q1)) s"
expect_eq "alice paid $per s per poll alone" $(((c1 - c0) * per)) $((q0 - q1))

stop_if_failed
# ---------------------------------------------------------------------
step "5. bob opens his host too: two users share the cost"
say "bob logs in from his machine ($BOB_IP) and types openhost:"
login_start bob "$BOB_IP" || fail "bob's login session"
login_record bob | indent
if wait_for "$(polls 15)" masq_is "$BOB_IP" 1; then
	ok "the daemon opened $BOB_IP for bob"
else
	fail "the daemon did not open $BOB_IP"
fi
traffic_start bob "$NS_BOB"
wait_for "$(polls 10)" counter_ge "$BOB_IP" 1
read -r qa0 ca0 qb0 cb0 <<<"$(qc "$ALICE_IP" "$BOB_IP")"
say "alice: $qa0 s, bob: $qb0 s; waiting 3 polls ..."
wait_for "$(polls 20)" counter_ge "$ALICE_IP" $((ca0 + 3))
read -r qa1 ca1 qb1 cb1 <<<"$(qc "$ALICE_IP" "$BOB_IP")"
per=$(charge 2)
say "two users online: floor($PERIOD * $RATE / 2) + 1 = $per s per poll each"
say "alice: $((ca1 - ca0)) polls, paid $((qa0 - qa1)) s;  bob: $((cb1 - cb0)) polls, paid $((qb0 - qb1)) s"
expect_eq "alice paid $per s per shared poll" $(((ca1 - ca0) * per)) $((qa0 - qa1))
expect_eq "bob paid $per s per shared poll" $(((cb1 - cb0) * per)) $((qb0 - qb1))
show_sql "SELECT id, period, quota AS debited FROM periodtab ORDER BY id DESC LIMIT 1"
pane_show bob "bob's terminal:"

stop_if_failed
# ---------------------------------------------------------------------
step "6. alice's balance reaches min_quota ($MINQ): her host is cut"
q=$(balance alice)
run tcpquota "add alice -$((q - 3 * per))"
say "alice has $(balance alice) s left: about 3 more polls"
if wait_for "$(polls 20)" row_gone "$ALICE_IP"; then
	ok "the daemon closed $ALICE_IP and deleted its masq row"
else
	fail "alice's host was not cut off"
fi
say "balance now: $(balance alice) s (at or below $MINQ)"
check "alice's running connection was cut at once" \
	wait_for 5 traffic_stopped alice
if out=$(lab_try "$NS_ALICE" "$LAB_SRV4"); then
	fail "alice's host still reaches the server: $out"
else
	ok "alice's host cannot reach the server any more"
fi
grep -E 'cut off alice|closed .*alice' "$LOGFILE" | tail -n 2 | sed 's/^/     log: /'
wait_for "$(polls 10)" pane_exited alice
pane_show alice "alice's terminal, from openhost on:" since
check "the daemon's message reached her terminal (through her login record)" \
	on_screen alice "your Internet access has been closed"
check "openhost told alice and exited non-zero" pane_failed alice

# ---------------------------------------------------------------------
step "7. bob presses Enter in openhost: his host is closed"
traffic_stop bob
tm bob send-keys -t bob Enter
if wait_for "$(polls 15)" row_gone "$BOB_IP"; then
	ok "bob's host closed and its row removed"
else
	fail "bob's host was not closed"
fi
wait_for "$(polls 10)" pane_exited bob
pane_show bob "bob's terminal, from openhost on:" since
check "openhost exited 0 for bob" pane_succeeded bob

stop_if_failed
# ---------------------------------------------------------------------
step "8. A teacher opens room1 for free access with openfw"
say "(as root: openfw is for root and the members of the admin group)"
run openfw room1
check "both hosts of room1 are open (free = 1)" wait_for "$(polls 10)" room_open
show_sql "SELECT host, name, open, free FROM masq ORDER BY host"
if out=$(lab_try "$NS_ROOM_A" "$LAB_SRV4"); then
	ok "$ROOM_A reaches the server ($out)"
else
	fail "$ROOM_A cannot reach the server"
fi
traffic_start room "$NS_ROOM_A"
f0=$(balance free)
wait_for "$(polls 20)" counter_ge "$ROOM_A" 3
f1=$(balance free)
say "the pseudo-user free pays for it: balance $f0 -> $f1 s (never cut off)"
check "free was charged" [ "$f1" -lt "$f0" ]
say "the original's query:"
show_sql "SELECT quota FROM tcptab WHERE name LIKE 'free'"

# ---------------------------------------------------------------------
step "9. bob's phone opens itself through the web portal"
say "the gateway also runs tcpquota-portal on $PORTAL_URL; bob has a password"
say "there (PAM, pam_unix) and a phone on the LAN ($PHONE_IP) with a browser"
say "(headless Chromium, 412x915, a phone's user agent, in the phone's namespace)"
if phone_setup && portal_up; then
	ok "tcpquota-portal runs (pid $PORTAL_PID, as $(ps -o user= -p "$PORTAL_PID"))"
else
	fail "starting tcpquota-portal"
fi
say "the phone asks for http://$LAB_SRV4/, a page on the Internet server ..."
phone_browse
brc=$?
grep '^#' "$TQ_TMP/phone.out" | indent
expect_eq "the captive redirect: it lands on the portal's login page" \
	"$PORTAL_URL | Log in - tcpquota" "$(phone_said landed)"
expect_eq "bob logs in: his status page" "Status - tcpquota" \
	"$(phone_said status)"
say "he presses \"Open the Internet\"; the page the phone shows (text):"
sed -n 's/^page| /     | /p' "$TQ_TMP/phone.out"
check "the page names bob" grep -qx 'page| Logged in as bob.' \
	"$TQ_TMP/phone.out"
check "... and says: This device is open." \
	grep -qx 'page| This device is open.' "$TQ_TMP/phone.out"
expect_eq "... this device: the phone's address and MAC, open" \
	"Address $PHONE_IP|MAC $(lab_mac "$NS_PHONE")|State open" \
	"$(sed -n 's/^page| \(Address\|MAC\|State\)[[:space:]]/\1 /p' \
	   "$TQ_TMP/phone.out" | paste -sd'|')"
say "screenshot: $(phone_said screenshot)"
check "... a PNG of the page" [ "$(head -c 4 "$PHONE_SHOT" 2>/dev/null |
	tail -c 3)" = PNG ]
expect_eq "the phone reaches the server, masqueraded" "$LAB_GW_WAN4" \
	"$(phone_said 'server saw')"
expect_eq "the phone's browser ended well" 0 "$brc"
show_sql "SELECT host, name, open, via, mac FROM masq WHERE host = '$PHONE_IP'"
expect_eq "its masq row: bob's, opened by the portal, with the phone's MAC" \
	"$PHONE_IP bob 1 portal $(lab_mac "$NS_PHONE")" \
	"$(mdb_sql "SELECT host, name, open, via, mac FROM masq
		    WHERE host = '$PHONE_IP'" | tr '\t' ' ')"
grep -E 'login of bob|opened .*bob' "$TQ_TMP/portal.log" | sed 's/^/     log: /'

# ---------------------------------------------------------------------
step "10. tcpquota top, once"
run tcpquota --once top

# ---------------------------------------------------------------------
step "11. SIGTERM: the daemon removes its table and its rows"
traffic_stop room
portal_down
expect_eq "tcpquota-portal exited with status 0" 0 "$PORTAL_RC"
daemon_stop
expect_eq "tcpquotad exited with status 0" 0 "$DAEMON_RC"
if lab_gw nft list table inet "$TABLE" >/dev/null 2>&1; then
	fail "table inet $TABLE is still there"
else
	left=$(lab_gw nft list tables | tr '\n' ' ')
	ok "table inet $TABLE is gone (nft list tables: ${left:-nothing})"
fi
expect_eq "no masq rows left for gateway $GWID" 0 \
	"$(mdb_sql "SELECT COUNT(*) FROM masq WHERE gateway = '$GWID'")"
tail -n 3 "$LOGFILE" | sed 's/^/     log: /'

step "Done in $((SECONDS - T0)) s; tearing down"
tq_done
