#!/usr/bin/env bash
# Writer memory over long sessions: the peak RSS of writing N events of one session straight into a
# log, for growing N. Flat figures mean memory is bounded by the buffers, not the session's length.
#   Tools/perf/append-memory.sh [N ...]     (default: 1000000 10000000 100000000)
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product mmm-workload >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf "%-12s %14s %10s %12s\n" "events" "peak RSS (KiB)" "seconds" "events/s"
for n in "${@:-1000000 10000000 100000000}"; do
  for count in $n; do
    rm -rf "$work/log"
    /usr/bin/time -f "%M %e" -o "$work/time.txt" .build/release/mmm-workload --events "$count" --sessions 1 --log "$work/log" 2>/dev/null
    read -r rss seconds < "$work/time.txt"
    awk -v n="$count" -v r="$rss" -v s="$seconds" 'BEGIN { printf "%-12d %14d %10.1f %12.0f\n", n, r, s, n/s }'
  done
done
