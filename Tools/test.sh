#!/usr/bin/env bash
# The test command: install the Debian packages the tests use when missing (libzstd, and the real
# Prometheus, Pushgateway and VictoriaMetrics servers the remote tests start), build and run the
# whole suite with code coverage (this package's own code must compile without warnings), then print
# line coverage per library target and fail below 95%.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# The remote tests run real servers (docs/REMOTE.md): install Debian's packages when they are missing.
missing=()
for package in libzstd-dev pkg-config zstd prometheus prometheus-pushgateway victoria-metrics; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null; then
    echo "test.sh: installing ${missing[*]}" >&2
    if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; fi
fi
mkdir -p .build
status=0
swift test --enable-code-coverage 2>&1 | tee .build/test-output.txt || status=$?
if grep -E "^${root}/(Sources|Tests|Tools)/[^:]+:[0-9]+:[0-9]+: warning:" .build/test-output.txt; then
    echo "error: the warnings above are in this package's code" >&2
    status=1
fi
[ "$status" -eq 0 ] || exit "$status"
python3 Tools/coverage.py "$(swift test --enable-code-coverage --show-codecov-path)" --min 95
