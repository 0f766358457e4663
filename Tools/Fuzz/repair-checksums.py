#!/usr/bin/env python3
"""Turns a fuzzer input into the file the fuzzer's "CRCs recomputed" pass saw, so a reproducer can be
replayed with mmm-analyze. Mirrors FormatFuzzEntryPoints.repairSegment/repairIndex and
LogFuzzEntryPoints.repairedArchive (docs/FUZZING.md, "Checksums").

  Tools/Fuzz/repair-checksums.py segment|index|archive INPUT OUTPUT
  Tools/Fuzz/repair-checksums.py stored-segment INPUT OUTPUT_PREFIX   (writes PREFIX.seg and, if any, PREFIX.idx)
"""
import struct, sys

TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    TABLE.append(c)

def crc32c(data) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF

def u32(b, o): return struct.unpack_from("<I", b, o)[0]
def put(b, o, v): struct.pack_into("<I", b, o, v)

def repair_segment(b: bytearray) -> None:
    n = len(b)
    for o in range(n - 4, -1, -1):
        word = bytes(b[o:o + 4])
        if word == b"MBLK" and n - o >= 48:
            stored = u32(b, o + 8)
            if stored <= n - o - 48:
                put(b, o + 44, crc32c(b[o:o + 44] + b[o + 48:o + 48 + stored]))
        elif word == b"MEND" and n - o >= 44:
            put(b, o + 40, crc32c(b[o:o + 40]))
    if n >= 38 and b[0:8] == b"MMMSEG\r\n":
        size = u32(b, 12)
        if 38 <= size <= n:
            put(b, size - 4, crc32c(b[0:size - 4]))

def repair_index(b: bytearray) -> None:
    if len(b) >= 36 and b[0:8] == b"MMMIDX\r\n":
        put(b, len(b) - 4, crc32c(b[:-4]))

def repair_archive(b: bytearray) -> bytearray:
    if len(b) < 14 or b[0:8] != b"MMMARCH\n":
        return b
    id_length = struct.unpack_from("<H", b, 12)[0]
    if 18 + id_length > len(b):
        return b
    put(b, 14 + id_length, crc32c(b[0:14 + id_length]))
    o = 18 + id_length
    while o + 4 <= len(b):
        magic = bytes(b[o:o + 4])
        if magic == b"MTAC" and o + 12 <= len(b):
            put(b, o + 8, crc32c(b[o:o + 8]))
            break
        if magic != b"MENT" or o + 7 > len(b):
            break
        name_length = struct.unpack_from("<H", b, o + 5)[0]
        header = 23 + name_length
        if o + header > len(b):
            break
        length = struct.unpack_from("<Q", b, o + 7 + name_length)[0]
        start = o + header
        if length > len(b) - start:
            break
        data = bytearray(b[start:start + length])
        (repair_segment if b[o + 4] == 1 else repair_index)(data)
        b[start:start + length] = data
        put(b, o + 7 + name_length + 8, crc32c(data))
        put(b, o + header - 4, crc32c(b[o:o + header - 4]))
        o = start + length
    return b

def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    kind, source, target = sys.argv[1:]
    data = bytearray(open(source, "rb").read())
    if kind == "segment":
        repair_segment(data)
    elif kind == "index":
        repair_index(data)
    elif kind == "archive":
        data = repair_archive(data)
    elif kind == "stored-segment":
        length = min(struct.unpack_from("<H", data, 0)[0], len(data) - 2) if len(data) >= 2 else 0
        segment, index = bytearray(data[2:2 + length]), bytearray(data[2 + length:])
        repair_segment(segment)
        open(target + ".seg", "wb").write(segment)
        if index:
            repair_index(index)
            open(target + ".idx", "wb").write(index)
        return
    else:
        sys.exit(f"unknown kind {kind}")
    open(target, "wb").write(data)

if __name__ == "__main__":
    main()
