#!/usr/bin/env python3
"""Query speed and answers: mmm-analyze on the log vs DuckDB on the same events as zstd NDJSON and Parquet.

Usage: Tools/perf/query.py [EVENTS] [SESSIONS]      (default 2,000,000 events in 20 sessions)

Builds mmm-workload and mmm-analyze in release mode, generates the seeded workload (log + NDJSON),
compresses the NDJSON with zstd and writes Parquet (zstd) with DuckDB, then times each query
(median of 5 runs; mmm-analyze timings include process start, DuckDB's are in-process) and checks
that the answers agree to 1e-9 relative. Needs zstd (apt) and duckdb (pip, installed when missing).
"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
events = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
sessions = int(sys.argv[2]) if len(sys.argv) > 2 else 20
try:
    import duckdb
except ImportError:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "duckdb"])
    import duckdb

subprocess.check_call(["swift", "build", "-c", "release", "--product", "mmm-workload"], cwd=root, stdout=subprocess.DEVNULL)
subprocess.check_call(["swift", "build", "-c", "release", "--product", "mmm-analyze"], cwd=root, stdout=subprocess.DEVNULL)
work = tempfile.mkdtemp()
try:
    log, ndjson = os.path.join(work, "log"), os.path.join(work, "w.ndjson")
    subprocess.check_call([os.path.join(root, ".build/release/mmm-workload"), "--events", str(events), "--sessions", str(sessions),
                           "--seed", "1", "--log", log, "--ndjson", ndjson], stderr=subprocess.DEVNULL)
    subprocess.check_call(["zstd", "-q", "-T2", "-3", ndjson, "-o", ndjson + ".zst"])
    os.remove(ndjson)
    con = duckdb.connect()
    columns = "{'ts':'VARCHAR','session':'VARCHAR','type':'VARCHAR','name':'VARCHAR','value':'DOUBLE','duration_ns':'BIGINT','data':'JSON','tags':'MAP(VARCHAR, VARCHAR)'}"
    source_json = f"read_json('{ndjson}.zst', format='newline_delimited', compression='zstd', columns={columns})"
    parquet = os.path.join(work, "w.parquet")
    con.execute(f"COPY (SELECT * FROM {source_json}) TO '{parquet}' (FORMAT PARQUET, COMPRESSION ZSTD)")
    source_parquet = f"read_parquet('{parquet}')"

    value = "coalesce(value, duration_ns / 1e9)"
    queries = [
        ("p95(command.duration) by (command)", f"quantile_cont(duration_ns / 1e9, 0.95)", "name = 'command.duration'", "tags['command']"),
        ("count(command.duration) by (command)", "count(*)", "name = 'command.duration'", "tags['command']"),
        ("sum(git.lines_added) by (session)", f"sum({value})", "name = 'git.lines_added'", "session"),
        ("avg(command.duration) by (command)", "avg(duration_ns / 1e9)", "name = 'command.duration'", "tags['command']"),
        ("max(quality.test_coverage) by (session)", f"max({value})", "name = 'quality.test_coverage'", "session"),
        # The query language's second version (docs/QUERY.md), each beside the SQL that answers it.
        ('count(command.duration{status="error"}) by (command) / count(command.duration) by (command)',
         "avg(CASE WHEN tags['status'] = 'error' THEN 1.0 ELSE 0.0 END)", "name = 'command.duration'", "tags['command']"),
        ("last(quality.lint_warnings) by (session)", f"arg_max({value}, ts)", "name = 'quality.lint_warnings'", "session"),
        ("first(quality.test_coverage) by (session)", f"arg_min({value}, ts)", "name = 'quality.test_coverage'", "session"),
        ("stddev(command.duration) by (command)", "stddev_samp(duration_ns / 1e9)", "name = 'command.duration'", "tags['command']"),
        ("count(*) by (__name__)", "count(*)", "true", "name"),
        ("count(error) by (data.kind)", "count(*)", "name = 'error'", "coalesce(data->>'kind', '')"),
        ("count(error) every 1h", "count(*)", "name = 'error'", "substr(ts, 1, 13) || ':00:00Z'"),
        ("p95(command.duration) by (command) > 20", "quantile_cont(duration_ns / 1e9, 0.95)", "name = 'command.duration'", "tags['command']",
         "HAVING quantile_cont(duration_ns / 1e9, 0.95) > 20"),
    ]
    analyze = os.path.join(root, ".build/release/mmm-analyze")

    def median_time(run):
        times = []
        result = None
        for _ in range(5):
            start = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - start)
        return statistics.median(times), result

    print(f"{events:,} events in {sessions} sessions; median of 5 runs\n")
    print(f"{'query':40} {'mmm-analyze':>12} {'DuckDB zstd NDJSON':>19} {'ratio':>7} {'DuckDB Parquet':>15} {'ratio':>7}  answers")
    for query, aggregate, where, group, *having in queries:
        ours_time, ours = median_time(lambda: json.loads(subprocess.check_output([analyze, "query", "--log", log, "--format", "json", query])))
        ours_rows = {tuple(row["group"].values())[0]: row["value"] for row in ours["rows"]}
        sql = lambda source: f"SELECT {group} AS k, {aggregate} AS v FROM {source} WHERE {where} GROUP BY 1 {''.join(having)} ORDER BY 1"
        json_time, json_rows = median_time(lambda: con.execute(sql(source_json)).fetchall())
        parquet_time, parquet_rows = median_time(lambda: con.execute(sql(source_parquet)).fetchall())
        close = lambda a, b: abs(a - b) <= 1e-9 * max(1, abs(b))
        agree = len(json_rows) == len(ours_rows) == len(parquet_rows)
        agree = agree and all(close(ours_rows.get(k, float("nan")), v) for k, v in json_rows)
        agree = agree and all(close(ours_rows.get(k, float("nan")), v) for k, v in parquet_rows)
        print(f"{query:40} {ours_time * 1000:10.0f}ms {json_time * 1000:17.0f}ms {json_time / ours_time:6.1f}x {parquet_time * 1000:13.0f}ms "
              f"{parquet_time / ours_time:6.2f}x  {'equal' if agree else 'DIFFERENT'}")
finally:
    shutil.rmtree(work)
