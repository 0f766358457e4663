#!/usr/bin/env bash
# Size on disk of the same cook-like events as: this log, NDJSON + zstd -19, Parquet + zstd (DuckDB),
# beside the workload's information content (the floor of any lossless encoding of it).
#   Tools/perf/size.sh [EVENTS] [SESSIONS] [SHAPE]   (default 2000000 events in 20 sessions, shape cook;
#                                                     shape per-file is the second workload, 200 sessions in its figures)
# Needs zstd (apt) and duckdb (pip); installs duckdb with pip when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
events=${1:-2000000}
sessions=${2:-20}
shape=${3:-cook}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -c "import duckdb" 2>/dev/null || pip install -q duckdb
swift build -c release --product mmm-workload >/dev/null
.build/release/mmm-workload --shape "$shape" --events "$events" --sessions "$sessions" --seed 1 --ndjson "$work/w.ndjson" --log "$work/log" 2> "$work/info.txt"
floor=$(sed -n 's/.*information content \([0-9]*\) bytes.*/\1/p' "$work/info.txt")
zstd -19 -T2 -q "$work/w.ndjson" -o "$work/w.ndjson.zst"
python3 - "$work" <<'PY'
import duckdb, sys
work = sys.argv[1]
duckdb.connect().execute(f"""
COPY (SELECT CAST(ts AS TIMESTAMP_NS) ts, session, type, name, value, duration_ns, data, tags
      FROM read_json('{work}/w.ndjson', format='newline_delimited',
        columns={{'ts':'VARCHAR','session':'VARCHAR','type':'VARCHAR','name':'VARCHAR','value':'DOUBLE',
                  'duration_ns':'BIGINT','data':'JSON','tags':'MAP(VARCHAR, VARCHAR)'}}))
TO '{work}/w.parquet' (FORMAT PARQUET, COMPRESSION ZSTD, COMPRESSION_LEVEL 19)""")
duckdb.connect().execute(f"COPY (SELECT * FROM '{work}/w.parquet') TO '{work}/w-default.parquet' (FORMAT PARQUET, COMPRESSION ZSTD)")
PY
log=$(du -sb "$work/log" | cut -f1)
ndjson=$(stat -c %s "$work/w.ndjson")
zst=$(stat -c %s "$work/w.ndjson.zst")
parquet=$(stat -c %s "$work/w.parquet")
parquet_default=$(stat -c %s "$work/w-default.parquet")
awk -v n="$events" -v lg="$log" -v nd="$ndjson" -v zst="$zst" -v pq="$parquet" -v pqd="$parquet_default" -v floor="$floor" 'BEGIN {
  printf "%-34s %12s %10s %14s\n", "form", "bytes", "B/event", "log / form"
  printf "%-34s %12d %10.2f %14s\n", "mmm log (segments + indexes)", lg, lg/n, "1.00"
  printf "%-34s %12d %10.2f %14.3f\n", "NDJSON", nd, nd/n, lg/nd
  printf "%-34s %12d %10.2f %14.3f\n", "NDJSON + zstd -19", zst, zst/n, lg/zst
  printf "%-34s %12d %10.2f %14.3f\n", "Parquet + zstd default (DuckDB)", pqd, pqd/n, lg/pqd
  printf "%-34s %12d %10.2f %14.3f\n", "Parquet + zstd 19 (DuckDB)", pq, pq/n, lg/pq
  printf "%-34s %12d %10.2f %14.3f\n", "information content (floor)", floor, floor/n, lg/floor
}'
