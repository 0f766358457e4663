#!/usr/bin/env bash
# A worked improvement loop recorded with mmm-record, then reported with mmm-analyze (docs/RECORD.md).
#
#   Tools/cook-loop.sh [LOG_DIR]      default: a temporary log, removed afterwards
#
# It copies Fixtures/sample-project into a temporary git repository and runs three iterations of
# "improve, build, test, lint, measure": the second iteration's edit breaks a test, the third fixes
# it. Every command runs through `mmm-record run` (its output untouched), quality comes from the
# project's own coverage and lint output, git counts from `mmm-record iteration end`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
swift build --package-path "$root" --product mmm-record >/dev/null
swift build --package-path "$root" --product mmm-analyze >/dev/null
bin=$(swift build --package-path "$root" --show-bin-path)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log=${1:-$work/log}
session=${MMM_COOK_SESSION:-cook-loop-$(date -u +%Y%m%dT%H%M%SZ)}
cp -R "$root/Fixtures/sample-project/." "$work/repo"
cd "$work/repo"
git init -q && git -c user.email=loop@example.com -c user.name=loop add . \
    && git -c user.email=loop@example.com -c user.name=loop commit -qm "the sample project"

rec() { local command=$1; shift; "$bin/mmm-record" "$command" --log "$log" --session "$session" "$@"; }
commit() { git add -A && git -c user.email=loop@example.com -c user.name=loop commit -qm "$1"; }

improve() {
    case $1 in
        1) printf 'sub() { echo $(($1 - $2)); }\n' >> calc.sh ;;                      # a new function, tested
        2) sed -i.bak 's/\$1 \* \$2 + 0/$1 * $2 + 1/' calc.sh && rm calc.sh.bak ;;       # a "fix" that breaks mul
        3) sed -i.bak -e 's/\$1 \* \$2 + 1/$1 * $2/' -e '/TODO: mul/d' calc.sh && rm calc.sh.bak ;;
    esac
}

rec start --meta playbook=cook-loop.sh --meta project=sample-project
status=completed
for iteration in 1 2 3; do
    rec iteration begin --iteration "$iteration"
    improve "$iteration"
    rec run --iteration "$iteration" --name build -- sh -n calc.sh || status=failed
    rec run --iteration "$iteration" --name test -- sh ./test.sh || true   # a failing test is data, not the end
    rec run --iteration "$iteration" --name lint -- sh -c './lint.sh > lint.txt'
    rec quality --iteration "$iteration" --lcov coverage.info --lint-output lint.txt
    commit "iteration $iteration"
    rec iteration end --iteration "$iteration"
done
rec end --status "$status"

"$bin/mmm-analyze" report --log "$log" --session "$session"
