#!/bin/bash
# 091-shellcheck.sh - shellcheck passes on every shell script of the
# repository: files named *.sh and files whose first line runs sh, bash
# or dash (init scripts, cron script, set-up and health tools).
# Run from the top directory with -x, so "# shellcheck source=" lines
# are followed; SC1091 ("not following" a computed path) is not a defect
# of the script and is left out.
# shellcheck source=tests/lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tq_init shellcheck
cd "$TQ_ROOT" || exit 1

tq_require "shellcheck is not installed (make deps)" hash shellcheck

# Tracked files (a checkout), or every file (an unpacked tarball).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files)
else
	files=$(find . -type f ! -path './.git/*' ! -path './build*' |
		sed 's|^\./||')
fi
scripts=()
while IFS= read -r f; do
	[ -f "$f" ] || continue
	case "$f" in
	*.sh) ;;
	*)
		head -n 1 "$f" 2>/dev/null |
			grep -Eq '^#! ?(/usr)?/bin/(env +)?(ba|da)?sh( |$)' ||
			continue
		;;
	esac
	scripts+=("$f")
done <<<"$files"
n=${#scripts[@]}
# One run for all (much faster than one per file); findings come back as
# "FILE:LINE:COL: severity: text [SCnnnn]" and are reported per file.
shellcheck -x -e SC1091 -f gcc "${scripts[@]}" >"$TQ_TMP/sc.out" 2>&1
for f in "${scripts[@]}"; do
	if grep -q "^$f:" "$TQ_TMP/sc.out"; then
		grep "^$f:" "$TQ_TMP/sc.out"
		fail "shellcheck $f"
	else
		ok "shellcheck $f"
	fi
done
# Anything else shellcheck said (it could not run, a file vanished).
other=$(grep -v -E "^($(printf '%s|' "${scripts[@]}" | sed 's/[.]/\\./g; s/|$//')):" \
	"$TQ_TMP/sc.out")
expect_eq "shellcheck said nothing else" "" "$other"
check "found the project's shell scripts ($n)" [ "$n" -ge 10 ]
tq_done
