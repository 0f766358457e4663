#!/usr/bin/env bash
# The reliability campaigns (docs/RELIABILITY.md, Tests/MMMReliabilityTests): runs each campaign's
# long form and prints its one-line summary, the figures the docs quote.
#
# usage: Tools/reliability.sh [--short] [--seed S] [--tsan] [CAMPAIGN...]
#
#   CAMPAIGN   crash, power-loss, bit-rot, disk-full, concurrency, hostile-sessions (default: all six, in that order)
#   --short    the CI form (what `swift test` runs) instead of the long one (MMM_CAMPAIGN=long)
#   --seed S   run with seed S (MMM_CAMPAIGN_SEED) instead of each campaign's fixed seed; a failure
#              prints the seed that reproduces it
#   --tsan     then run the concurrency campaign's CI form under ThreadSanitizer
#              (`swift test --sanitize=thread --scratch-path .build-tsan --filter "Concurrency|Registry|FileCollector|SessionReading|CompressionLane|Remote|BoundSeries|CollectorChannel"`, with
#              no suppressions: every lock is a pthread mutex TSan sees; the first run builds
#              everything again with TSan)
#
# The package is built once (`swift build --build-tests`), then each suite runs alone with
# `swift test --skip-build --filter <Suite>`; its whole output goes to .build/reliability/<campaign>.log.
# Exits non-zero when a campaign failed. The long forms take about 15 minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."

scale=long
tsan=0
campaigns=()
while [ $# -gt 0 ]; do
    case "$1" in
        --short) scale=short ;;
        --seed) shift; export MMM_CAMPAIGN_SEED="${1:?--seed needs a value}" ;;
        --tsan) tsan=1 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        crash|power-loss|bit-rot|disk-full|concurrency|hostile-sessions) campaigns+=("$1") ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ ${#campaigns[@]} -gt 0 ] || campaigns=(crash power-loss bit-rot disk-full concurrency hostile-sessions)

suite() {
    case "$1" in
        crash) echo CrashCampaignTests ;;
        power-loss) echo PowerLossCampaignTests ;;
        bit-rot) echo BitRotCampaignTests ;;
        disk-full) echo DiskFullCampaignTests ;;
        concurrency) echo ConcurrencyCampaignTests ;;
        hostile-sessions) echo HostileSessionsCampaignTests ;;
    esac
}

if [ "$scale" = long ]; then export MMM_CAMPAIGN=long; else unset MMM_CAMPAIGN; fi
mkdir -p .build/reliability
swift build --build-tests >.build/reliability/build.log 2>&1 || { cat .build/reliability/build.log; exit 1; }

failed=()
for campaign in "${campaigns[@]}"; do
    log=".build/reliability/$campaign.log"
    started=$(date +%s)
    status=0
    swift test --skip-build --filter "$(suite "$campaign")" >"$log" 2>&1 || status=$?
    seconds=$(( $(date +%s) - started ))
    grep -E '^CAMPAIGN ' "$log" || echo "CAMPAIGN $campaign: no summary line (see $log)"
    if [ "$status" -ne 0 ]; then
        failed+=("$campaign")
        grep -E '(✘|↳).*(campaign|Expectation|Issue)' "$log" | head -20 || true
        echo "$campaign: FAILED in ${seconds}s (full output: $log)"
    else
        echo "$campaign: passed in ${seconds}s"
    fi
done

if [ "$tsan" -eq 1 ]; then
    started=$(date +%s)
    status=0
    env -u MMM_CAMPAIGN TSAN_OPTIONS="halt_on_error=1${TSAN_OPTIONS:+ $TSAN_OPTIONS}" \
        swift test --sanitize=thread --scratch-path .build-tsan --filter "Concurrency|Registry|FileCollector|SessionReading|CompressionLane|Remote|BoundSeries|CollectorChannel" \
        >.build/reliability/tsan.log 2>&1 || status=$?
    seconds=$(( $(date +%s) - started ))
    grep -E '^CAMPAIGN ' .build/reliability/tsan.log || true
    if [ "$status" -ne 0 ] || grep -q "ThreadSanitizer" .build/reliability/tsan.log; then
        failed+=(tsan)
        grep -A5 "ThreadSanitizer" .build/reliability/tsan.log | head -40 || true
        echo "concurrency under ThreadSanitizer: FAILED in ${seconds}s (full output: .build/reliability/tsan.log)"
    else
        echo "concurrency under ThreadSanitizer: passed in ${seconds}s (build included)"
    fi
fi

if [ ${#failed[@]} -gt 0 ]; then
    echo "failed: ${failed[*]}" >&2
    exit 1
fi
