#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora into Fixtures/fuzz/<target>/ (see Fixtures/fuzz/README.md).

Sources: the repository's Fixtures/logs/good (segments, indexes, block payloads, an archive),
Fixtures/cook-session.ndjson (NDJSON lines, JSON texts), docs/QUERY.md (queries) and a few of
../shared/fixtures/legacy-mmm-metrics (legacy files, trimmed). Needs python3 and the zstd CLI.
Run from anywhere: Tools/Fuzz/make-seeds.py [--legacy DIR]
"""
import argparse, json, os, re, shutil, struct, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Fixtures" / "fuzz"
GOOD = ROOT / "Fixtures" / "logs" / "good" / "sessions" / "fixture-cook"
SESSION = "fixture-cook"

def crc32c(data: bytes) -> int:
    table = crc32c.table
    crc = 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF
crc32c.table = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    crc32c.table.append(c)
assert crc32c(b"123456789") == 0xE3069283

def write(target: str, name: str, data) -> None:
    directory = OUT / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data if isinstance(data, bytes) else data.encode())

def blocks(segment: bytes):
    """(offset, encoding, stored payload, decoded length) of each block after the header."""
    offset = struct.unpack_from("<I", segment, 12)[0]
    while offset + 48 <= len(segment) and segment[offset:offset + 4] == b"MBLK":
        encoding = segment[offset + 4]
        stored, decoded = struct.unpack_from("<II", segment, offset + 8)
        yield offset, encoding, segment[offset + 48:offset + 48 + stored], decoded
        offset += 48 + stored

def payload(encoding: int, stored: bytes) -> bytes:
    if encoding == 0:
        return stored
    return subprocess.run(["zstd", "-d", "-q", "-c"], input=stored, check=True, capture_output=True).stdout

def varint(data: bytes, offset: int):
    value, shift = 0, 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, offset
        shift += 7

def encode_varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)

def front_coded(body: bytes) -> bytes:
    """A version 1 payload as version 2: the same, with its string table front-coded (docs/FORMAT.md)."""
    assert body[0] == 1
    count, offset = varint(body, 1)
    strings, offset = varint(body, offset)
    out = bytearray([2, 2]) + encode_varint(count) + encode_varint(strings)  # flags 2: front-coded strings, differences kept
    previous = b""
    for _ in range(strings):
        length, offset = varint(body, offset)
        text = body[offset:offset + length]
        offset += length
        shared = 0
        while shared < min(len(text), len(previous)) and text[shared] == previous[shared]:
            shared += 1
        out += encode_varint(shared) + encode_varint(len(text) - shared) + text[shared:]
        previous = text
    return bytes(out) + body[offset:]

def trim(value, depth=0):
    """The value with every map and list below the top cut to its first three entries: the shape, not the bulk."""
    if isinstance(value, dict):
        items = list(value.items()) if depth == 0 else list(value.items())[:3]
        return {key: trim(member, depth + 1) for key, member in items}
    if isinstance(value, list):
        return [trim(member, depth + 1) for member in value[:3]]
    return value

def archive_entry(kind: int, name: str, data: bytes) -> bytes:
    head = b"MENT" + bytes([kind]) + struct.pack("<H", len(name)) + name.encode() + struct.pack("<QI", len(data), crc32c(data))
    return head + struct.pack("<I", crc32c(head)) + data

def archive(files) -> bytes:
    sid = SESSION.encode()
    head = b"MMMARCH\n" + struct.pack("<HHH", 1, 0, len(sid)) + sid
    out = head + struct.pack("<I", crc32c(head))
    count = 0
    for name, data in files:
        out += archive_entry(1 if name.endswith(".seg") else 2, name, data)
        count += 1
    trailer = b"MTAC" + struct.pack("<I", count)
    return out + trailer + struct.pack("<I", crc32c(trailer))

def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--legacy", default=str(ROOT.parent / "shared" / "fixtures" / "legacy-mmm-metrics"))
    args = parser.parse_args()
    for child in OUT.iterdir() if OUT.exists() else []:
        if child.is_dir() and child.name != "crashes":
            shutil.rmtree(child)

    segments = sorted(GOOD.glob("*.seg"))
    for seg in segments:
        data = seg.read_bytes()
        index = seg.with_suffix(".idx").read_bytes()
        write("segment-scan", f"good-{seg.stem[-2:]}.seg", data)
        write("segment-index", f"good-{seg.stem[-2:]}.idx", index)
        write("stored-segment", f"good-{seg.stem[-2:]}.seg+idx", struct.pack("<H", len(data)) + data + index)
        for offset, encoding, stored, decoded in blocks(data):
            body = payload(encoding, stored)
            assert len(body) == decoded
            write("block-payload", f"good-{seg.stem[-2:]}-at{offset}.payload", body)
            write("block-payload", f"good-{seg.stem[-2:]}-at{offset}-version-2.payload", front_coded(body))
    bad = (ROOT / "Fixtures/logs/bad-block/sessions/fixture-cook/00000000000000000000.seg").read_bytes()
    torn = (ROOT / "Fixtures/logs/torn-tail/sessions/fixture-cook/00000000000000000024.seg").read_bytes()
    write("segment-scan", "bad-block-00.seg", bad)
    write("segment-scan", "torn-tail-24.seg", torn)
    write("stored-segment", "torn-tail-24.seg", struct.pack("<H", len(torn)) + torn)
    stale = (ROOT / "Fixtures/logs/stale-index/sessions/fixture-cook")
    seg12 = (stale / "00000000000000000012.seg").read_bytes()
    write("stored-segment", "stale-index-12.seg+idx", struct.pack("<H", len(seg12)) + seg12 + (stale / "00000000000000000012.idx").read_bytes())
    # The stale-index fixture keeps an index of version 1 (no block summaries): readers still take it.
    write("segment-index", "version-1-00.idx", (stale / "00000000000000000012.idx").read_bytes())

    files = []
    for seg in segments:
        files.append((seg.name, seg.read_bytes()))
        files.append((seg.with_suffix(".idx").name, seg.with_suffix(".idx").read_bytes()))
    write("archive", "good.mmmar", archive(files))
    write("archive", "good-first-segment.mmmar", archive(files[:2]))
    write("archive", "good-without-indexes.mmmar", archive([f for f in files if f[0].endswith(".seg")]))

    lines = (ROOT / "Fixtures/cook-session.ndjson").read_text().splitlines()
    # The session in pieces of six lines (under the target's 1 KiB max_len).
    for start in range(0, len(lines), 6):
        write("ndjson", f"cook-session-{start + 1:02}.ndjson", "\n".join(lines[start:start + 6]) + "\n")
    kinds = {}
    for line in lines:
        kinds.setdefault(json.loads(line)["type"], line)
    for kind, line in kinds.items():
        write("ndjson", f"{kind}.ndjson", line + "\n")
    write("ndjson", "edge-values.ndjson", "\n".join([
        '{"ts":"2026-11-28T10:00:00+01:00","session":"s\\u00e9","type":"gauge","name":"g","value":"NaN","tags":{"k":"v","\\u0000":"\\""}}',
        '{"ts":"1677-09-21T00:12:43.145224192Z","type":"gauge","name":"g","value":-0.0}',
        '{"ts":"2262-04-11T23:47:16.854775807Z","type":"counter","name":"c","value":-9223372036854775808}',
        '{"ts":"2026-11-28T10:00:00Z","type":"timer","name":"t","duration_ns":9223372036854775807}',
        '{"ts":"2026-11-28T10:00:00Z","type":"custom","name":"x","data":[1.5e300,{"a":null,"b":[true,false]},"\\ud83d\\ude00"]}',
    ]) + "\n")

    for name, text in {
        "utc-nanos": "2026-11-28T10:00:00.123456789Z", "offset": "2026-11-28T10:00:00.5+05:30",
        "negative-offset": "2026-11-28T10:00:00-23:59", "first-instant": "1677-09-21T00:12:43.145224192Z",
        "last-instant": "2262-04-11T23:47:16.854775807Z", "leap-day": "2024-02-29T23:59:60Z",
        "lower-case": "2026-11-28t10:00:00z", "space": "2026-11-28 10:00:00Z",
        "expanded-year": "+002026-11-28T10:00:00Z", "negative-year": "-0001-01-01T00:00:00Z",
        "now": "now", "relative-hours": "-2h", "relative-fraction": "-1.5d", "relative-exponent": "-1e3ms",
    }.items():
        write("rfc3339", name + ".txt", text)

    query_md = (ROOT / "docs/QUERY.md").read_text()
    queries = re.findall(r"^\| [^|]+ \| `([^`]+)` \|", query_md, re.M)
    queries += ["p95(command.duration) by (command)", "percentile(99.5, command.duration{status!=\"ok\"}) since 2026-11-28T10:00:00Z until now top 3",
                "count(error) by (session) since -7d bottom 2", "avg(quality.*{command=~\"te.*\", x!~\"a\\\\\"b\"})",
                "spread(git.lines_added)",
                "(count(a{__sample_rate=\"\"}) by (data.k, __name__) + 1) * -2.5e-3 / sum(b) by (__name__, data.k) >= 0 every 1d top 2",
                "first(g) - last(g) != 0 every 9999999d since -1e300h", "stddev(*) by (time2) every 1s bottom 0"]
    for number, query in enumerate(dict.fromkeys(queries)):
        write("query", f"query-{number:02}.txt", query)

    for number, line in enumerate(l for l in lines if '"custom"' in l):
        write("json", f"custom-data-{number}.json", json.dumps(json.loads(line)["data"], separators=(",", ":")))
    write("json", "cook-line.json", lines[1])
    write("json", "numbers.json", '[0,-0,1.5,-2.5e-7,1E+2,9223372036854775807,-9223372036854775808,9223372036854775808,1e308]')
    write("json", "strings.json", '{"a\\u00e9\\ud83d\\ude00":"\\b\\f\\n\\r\\t\\/\\\\\\"","":[],"n":null,"t":true,"f":false}')
    write("json", "nested.json", "[" * 20 + "{}" + "]" * 20)

    legacy = Path(args.legacy)
    smallest = legacy / "current-20250803T012326-3834a2b3.json"  # ProjectMetrics, 524 bytes
    write("legacy", "project-metrics.json", smallest.read_bytes())
    project = json.loads(smallest.read_text())
    variants = {
        "improvement-metrics": "current-20250730T031508-40e0bf38.json",
        "with-health-score": "current-20250802T195308-043f2d06.json",
        "with-complexity-summary": "current-20250803T194049-47b7959b.json",
    }
    trimmed = {}
    for name, file in variants.items():
        data = json.loads((legacy / file).read_text())
        data = trim(data)
        trimmed[name] = data
        write("legacy", f"{name}-trimmed.json", json.dumps(data, indent=2))
    write("legacy", "history-object.json", json.dumps({"snapshots": [
        {"metrics": trimmed["improvement-metrics"], "iteration": 1, "commit_sha": "40e0bf38"},
        {"metrics": trimmed["with-health-score"], "iteration": 2}], "trends": {}, "baselines": {}}))
    later = dict(project, timestamp="2025-08-03T09:00:00Z", iteration_id="iteration-2", iteration_duration={"secs": 12, "nanos": 5},
                 command_timings={"build": 1.5, "test": {"secs": 3, "nanos": 0}}, workflow_timing={"total": 4.5})
    write("legacy", "history-array.json", json.dumps([project, later]))
    print(f"seeds written under {OUT.relative_to(ROOT)}")

if __name__ == "__main__":
    main()
