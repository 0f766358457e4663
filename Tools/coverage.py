#!/usr/bin/env python3
"""Line coverage per library target from llvm-cov's JSON export.

Usage: Tools/coverage.py CODECOV_JSON [--min 95]

`swift test --enable-code-coverage` writes the JSON; `swift test --show-codecov-path` prints where.
Prints one line per target under Sources/ and exits 1 when any target is below --min percent.
"""
import json
import sys
from collections import defaultdict


def main() -> int:
    args = sys.argv[1:]
    if not args:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path = args[0]
    minimum = float(args[args.index("--min") + 1]) if "--min" in args else 95.0
    # Executables are exercised as subprocesses (their coverage is not in this profile): not library targets.
    excluded = {"mmm-analyze", "mmm-record", "CZstd"}
    with open(path) as handle:
        report = json.load(handle)
    totals = defaultdict(lambda: [0, 0])
    for export in report["data"]:
        for entry in export["files"]:
            name = entry["filename"]
            marker = "/Sources/"
            if marker not in name or "/.build/" in name:
                continue
            target = name.split(marker, 1)[1].split("/", 1)[0]
            if target in excluded:
                continue
            lines = entry["summary"]["lines"]
            totals[target][0] += lines["covered"]
            totals[target][1] += lines["count"]
    if not totals:
        print(f"no library sources found in {path}", file=sys.stderr)
        return 1
    failed = False
    for target in sorted(totals):
        covered, count = totals[target]
        percent = 100.0 * covered / count if count else 100.0
        verdict = "ok" if percent >= minimum else f"BELOW {minimum:.0f}%"
        failed |= percent < minimum
        print(f"coverage {target:<24} {percent:6.2f}%  ({covered}/{count} lines)  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
