#!/usr/bin/env bash
# Sets up (installs libzstd-dev and pkg-config when missing) and runs the main job.
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
swift run mmm-metrics-example
