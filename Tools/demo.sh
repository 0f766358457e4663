#!/usr/bin/env bash
# Sets up (installs libzstd-dev, pkg-config and zstd when missing), then runs the main job: a program
# records a small cook session through the metrics API into an event log, and mmm-analyze lists,
# verifies, reports on and queries it.  Usage: Tools/demo.sh [LOG_DIR]   (default: a new temporary one)
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for package in libzstd-dev pkg-config zstd; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq "${missing[@]}"
    else sudo apt-get update -qq && sudo apt-get install -y -qq "${missing[@]}"; fi
fi
log=${1:-$(mktemp -d)/metrics}
swift build --product mmm-metrics-example >/dev/null
swift build --product mmm-analyze >/dev/null
bin=$(swift build --show-bin-path)
"$bin/mmm-metrics-example" "$log"
echo
echo "\$ mmm-analyze sessions --log $log"
"$bin/mmm-analyze" sessions --log "$log"
echo
echo "\$ mmm-analyze verify --log $log"
"$bin/mmm-analyze" verify --log "$log"
echo
echo "\$ mmm-analyze report --log $log --session demo"
"$bin/mmm-analyze" report --log "$log" --session demo
echo "\$ mmm-analyze query --log $log 'p95(command.duration) by (command)'"
"$bin/mmm-analyze" query --log "$log" 'p95(command.duration) by (command)'
echo
# A session recorded from a real loop (Fixtures/sessions/README.md), not generated: real commands,
# a real test failure, real git changes.
echo "\$ mmm-analyze report --log Fixtures/sessions/cook-loop-example --latest"
"$bin/mmm-analyze" report --log Fixtures/sessions/cook-loop-example --latest
