#!/usr/bin/env bash
# The fuzzing campaign (docs/FUZZING.md): builds the libFuzzer targets of Tools/Fuzz with
# AddressSanitizer, then runs each target, one at a time, for the given budget, and prints per
# target the executions, executions per second, corpus size and what was found. Exits non-zero
# when any target found a crash, a timeout or an out-of-memory input.
#
#   Tools/fuzz.sh                        short form: every target for 25 s
#   Tools/fuzz.sh --ci                   CI's form: a fixed seed and a fixed number of runs per target
#                                        (about 25 s each here), so a CI run repeats the one made here
#   Tools/fuzz.sh --runs 10000000        long form: 10 million executions per target
#   Tools/fuzz.sh --seconds 600 ndjson query
#   Tools/fuzz.sh --no-build --runs 1000 archive -- -only_ascii=1    (after --: libFuzzer flags)
#
# Targets: block-payload segment-scan segment-index stored-segment ndjson rfc3339 query archive
# legacy json. Seeds come from Fixtures/fuzz/<target>/ (read only); the growing corpus, crash
# reproducers and logs go to Tools/Fuzz/.build/fuzz/{corpus,artifacts,logs}/<target>/ (kept between
# runs, so long runs build on earlier ones; --fresh starts from the seeds again).
# Environment: MMM_FUZZ_TMPDIR (the archive target's scratch directory, default /dev/shm).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

all_targets=(block-payload segment-scan segment-index stored-segment ndjson rfc3339 query archive legacy json)
# Largest input per target (bytes) and its dictionary (Tools/Fuzz/dictionaries/).
declare -A max_len=([block-payload]=4096 [segment-scan]=4096 [segment-index]=2048 [stored-segment]=8192
    [ndjson]=1024 [rfc3339]=128 [query]=512 [archive]=16384 [legacy]=16384 [json]=4096)
declare -A dictionary=([block-payload]=payload [segment-scan]=format [segment-index]=format [stored-segment]=format
    [ndjson]=json [rfc3339]=rfc3339 [query]=query [archive]=format [legacy]=legacy [json]=json)

budget=(-max_total_time=25)
# CI's runs per target: about 25 s each on the project's machine, with seed 1.
declare -A ci_runs=([block-payload]=750000 [segment-scan]=250000 [segment-index]=650000 [stored-segment]=55000
    [ndjson]=150000 [rfc3339]=1200000 [query]=250000 [archive]=28000 [legacy]=300000 [json]=1500000)
ci=0
build=1
fresh=0
targets=()
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) budget=(-runs="$2"); shift 2 ;;
        --seconds) budget=(-max_total_time="$2"); shift 2 ;;
        --no-build) build=0; shift ;;
        --ci) ci=1; shift ;;
        --fresh) fresh=1; shift ;;
        -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --) shift; extra=("$@"); break ;;
        -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *)
            [ -n "${max_len[$1]:-}" ] || { echo "fuzz.sh: unknown target $1; targets: ${all_targets[*]}" >&2; exit 2; }
            targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

if [ "$build" -eq 1 ]; then
    echo "== building Tools/Fuzz (release, -sanitize=fuzzer,address)"
    start=$SECONDS
    # The linker's "Cannot export local symbol '__asan_…'" lines are gold's noise about the ASan runtime.
    nice -n 5 swift build -c release --package-path Tools/Fuzz -Xswiftc -sanitize=fuzzer,address 2>&1 \
        | grep -v "Cannot export local symbol" || { echo "fuzz.sh: build failed" >&2; exit 2; }
    [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "fuzz.sh: build failed" >&2; exit 2; }
    echo "== built in $((SECONDS - start)) s"
fi
bin=$(swift build -c release --package-path Tools/Fuzz -Xswiftc -sanitize=fuzzer,address --show-bin-path)
work="$root/Tools/Fuzz/.build/fuzz"

# Swift's own backtracer reads memory ASan watches and reports itself; leave traps to libFuzzer and ASan.
export SWIFT_BACKTRACE=enable=no
failed=0
summary=()
for target in "${targets[@]}"; do
    corpus="$work/corpus/$target"
    artifacts="$work/artifacts/$target"
    log="$work/logs/$target.log"
    [ "$fresh" -eq 1 ] && rm -rf "$corpus"
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    before=$(find "$artifacts" -type f | wc -l)
    budget_here=("${budget[@]}")
    # CI: the seeds only (no corpus from earlier runs), a fixed seed and count: the same run every time.
    if [ "$ci" -eq 1 ]; then budget_here=(-runs="${ci_runs[$target]}" -seed=1); rm -rf "$corpus"; mkdir -p "$corpus"; fi
    echo "== $target: ${budget_here[*]} (log: ${log#"$root"/})"
    start=$SECONDS
    status=0
    # The first corpus directory receives new inputs; the seeds are only read.
    nice -n 5 "$bin/fuzz-$target" "${budget_here[@]}" -max_len="${max_len[$target]}" -timeout=10 -rss_limit_mb=2048 \
        -dict="$root/Tools/Fuzz/dictionaries/${dictionary[$target]}.dict" -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "${extra[@]}" "$corpus" "$root/Fixtures/fuzz/$target" >"$log" 2>&1 || status=$?
    elapsed=$((SECONDS - start))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 | sed 's/corp: //')
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | sed 's/cov: //')
    found="none"
    if [ "$status" -ne 0 ] || [ "$(find "$artifacts" -type f | wc -l)" -ne "$before" ]; then
        failed=1
        kind=$(grep -oE 'ERROR: (libFuzzer|AddressSanitizer): [a-z-]+( [a-z-]+)?' "$log" | head -1 || true)
        newest=$(ls -t "$artifacts" | head -1)
        found="FOUND (${kind:-exit status $status})${newest:+: ${artifacts#"$root"/}/$newest}"
        grep -E 'Fatal error|fuzz invariant|ERROR: |SUMMARY: ' "$log" | head -5 | sed 's/^/    /'
    fi
    line=$(printf '%-15s %12s execs %8s execs/s %5s s  corpus %-12s cov %-6s rss %5s MB  %s' \
        "$target" "${runs:-?}" "${rate:-?}" "$elapsed" "${corp:-?}" "${cov:-?}" "${rss:-?}" "$found")
    echo "$line"
    summary+=("$line")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
