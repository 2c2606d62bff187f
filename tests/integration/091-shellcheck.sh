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

if ! command -v shellcheck >/dev/null; then
	fail "shellcheck is not installed (make deps)"
	tq_done
	exit 1
fi

# Tracked files (a checkout), or every file (an unpacked tarball).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files)
else
	files=$(find . -type f ! -path './.git/*' ! -path './build*' |
		sed 's|^\./||')
fi
n=0
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
	n=$((n + 1))
	if out=$(shellcheck -x -e SC1091 "$f" 2>&1); then
		ok "shellcheck $f"
	else
		printf '%s\n' "$out"
		fail "shellcheck $f"
	fi
done <<<"$files"
check "found the project's shell scripts ($n)" [ "$n" -ge 10 ]
tq_done
