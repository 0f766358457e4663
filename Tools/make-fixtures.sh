#!/usr/bin/env bash
# Rebuilds Fixtures/logs/ from Fixtures/cook-session.ndjson: a small real log and damaged copies of
# it (see Fixtures/README.md). Segment headers record their creation time, so the bytes differ on
# every run; tests check behaviour, not bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product mmm-analyze >/dev/null
analyze=.build/debug/mmm-analyze
out=Fixtures/logs
rm -rf "$out"
mkdir -p "$out"
$analyze ingest --log "$out/good" --session fixture-cook --block-events 6 --segment-bytes 700 Fixtures/cook-session.ndjson
find "$out/good" -name LOCK -delete
session="$out/good/sessions/fixture-cook"

cp -r "$out/good" "$out/torn-tail"
python3 - "$out/torn-tail/sessions/fixture-cook" <<'PY'
import os, sys, struct
d = sys.argv[1]
segs = sorted(f for f in os.listdir(d) if f.endswith('.seg'))
last = os.path.join(d, segs[-1])
data = open(last, 'rb').read()
body = data[:-44]                                  # drop the seal: the writer "crashed" before closing
start = body.rfind(b'MBLK')                       # the last block
torn = body + body[start:start + 60]               # and half a copy of a block after it: a write cut short
open(last, 'wb').write(torn)
os.remove(last[:-4] + '.idx')                      # the index was never written for that state
PY

cp -r "$out/good" "$out/bad-block"
python3 - "$out/bad-block/sessions/fixture-cook" <<'PY'
import os, sys
d = sys.argv[1]
first = os.path.join(d, sorted(f for f in os.listdir(d) if f.endswith('.seg'))[0])
data = bytearray(open(first, 'rb').read())
second_block = data.find(b'MBLK', data.find(b'MBLK') + 4)
data[second_block + 48 + 5] ^= 0x10               # one bit in the second block's payload
open(first, 'wb').write(bytes(data))
PY

cp -r "$out/good" "$out/stale-index"
python3 - "$out/stale-index/sessions/fixture-cook" <<'PY'
import os, sys, shutil
d = sys.argv[1]
idx = sorted(f for f in os.listdir(d) if f.endswith('.idx'))
shutil.copy(os.path.join(d, idx[0]), os.path.join(d, idx[1]))   # segment 1 gets segment 0's index
os.remove(os.path.join(d, idx[0]))                               # segment 0 has none
PY
ls -R "$out" | head -40
for fixture in good torn-tail bad-block stale-index; do
  echo "== $fixture"; $analyze verify --log "$out/$fixture" || true
done
