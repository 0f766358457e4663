#!/usr/bin/env bash
# The test command: build and run the whole suite with code coverage (this package's own code must
# compile without warnings), then print line coverage per library target and fail below 95%.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
mkdir -p .build
status=0
swift test --enable-code-coverage 2>&1 | tee .build/test-output.txt || status=$?
if grep -E "^${root}/(Sources|Tests|Tools)/[^:]+:[0-9]+:[0-9]+: warning:" .build/test-output.txt; then
    echo "error: the warnings above are in this package's code" >&2
    status=1
fi
[ "$status" -eq 0 ] || exit "$status"
python3 Tools/coverage.py "$(swift test --enable-code-coverage --show-codecov-path)" --min 95
