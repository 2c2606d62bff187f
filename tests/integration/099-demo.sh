#!/bin/bash
# 099-demo.sh - "make demo" as a test.  First the whole scenario with the
# real binaries (each of its steps counts here); then a run interrupted
# as by Ctrl-C in step 4, which must leave nothing behind: no namespace,
# no process, no files.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_init demo-test
DEMO=$TQ_ROOT/demo/demo.sh

bash "$DEMO" 2>&1 | tee "$TQ_TMP/demo.out"
rc=${PIPESTATUS[0]}
res=$(grep -E '^RESULT demo ' "$TQ_TMP/demo.out" | tail -n 1)
p=$(sed -n 's/.*passed=\([0-9]*\).*/\1/p' <<<"$res")
f=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$res")
TQ_PASSED=$((TQ_PASSED + ${p:-0}))
TQ_FAILED=$((TQ_FAILED + ${f:-0}))
expect_eq "the demo exits 0" 0 "$rc"
check "the demo ran all its steps (at least 25 checks)" [ "${p:-0}" -ge 25 ]

# Ctrl-C in a terminal (tmux on a private socket): the terminal sends
# SIGINT to the demo's whole process group.
tm() { tmux -S "$TQ_TMP/tmux.sock" "$@"; }
cat >"$TQ_TMP/run-demo.sh" <<RUN
bash $(printf %q "$DEMO") >$TQ_TMP/int.out 2>&1
echo \$? >$TQ_TMP/int.rc
sleep 600
RUN
tm new-session -d -s int -x 160 -y 40 "exec bash $TQ_TMP/run-demo.sh"
at_exit "tmux -S $TQ_TMP/tmux.sock kill-server 2>/dev/null"
in_step4() { grep -q '^== 4\.' "$TQ_TMP/int.out" 2>/dev/null; }
if wait_for 60 in_step4; then
	ok "second run reached step 4"
else
	fail "second run reached step 4"
	cat "$TQ_TMP/int.out"
fi
tm send-keys -t int C-c
t0=$SECONDS
has_rc() { [ -s "$TQ_TMP/int.rc" ]; }
check "interrupted demo ends" wait_for 60 has_rc
expect_eq "interrupted demo exits 130" 130 "$(cat "$TQ_TMP/int.rc" 2>/dev/null)"
check "and tears down in under 15 s ($((SECONDS - t0)) s)" \
	[ $((SECONDS - t0)) -lt 15 ]
gw=$(sed -n 's/.*gateway \(tq-gw-[0-9a-f]*\),.*/\1/p' "$TQ_TMP/int.out" | head -n 1)
tmp=$(sed -n 's|.*config: *\(/tmp/tq-demo\.[^/]*\)/.*|\1|p' "$TQ_TMP/int.out" | head -n 1)
both() { [ -n "$1" ] && [ -n "$2" ]; }
check "its gateway and temp dir were printed" both "$gw" "$tmp"
id=${gw#tq-gw-}
left=$(ip netns list | grep -c -- "-${id:-none}\b")
expect_eq "no namespace of the interrupted demo left" 0 "$left"
check "its temporary directory is gone" [ ! -e "${tmp:-/nonexistent}" ]
procs=$(pgrep -f -- "${tmp:-/nonexistent}/" | tr '\n' ' ')
expect_eq "no process of it left (daemon, database, terminals)" "" "$procs"
tq_done
