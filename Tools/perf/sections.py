#!/usr/bin/env python3
"""Where a log's bytes go: the stored bytes of each part of each block in sections (block
encoding 2, docs/FORMAT.md "Sections"), summed over every segment under LOG.

usage: Tools/perf/sections.py LOG

Parts: head (string tables, metrics, metric column), tagN (the N-th tag key's column, keys in
byte order), timestamps, counters, gauges, timers, custom texts; blocks stored as one frame
(small ones) are counted whole as `oneframe`. Only the Python standard library is needed.
"""
import glob
import os
import struct
import sys


def varint(buf, i):
    result, shift = 0, 0
    while True:
        byte = buf[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, i


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    stored, decoded, total = {}, {}, 0
    for path in sorted(glob.glob(os.path.join(sys.argv[1], "**", "*.seg"), recursive=True)):
        data = open(path, "rb").read()
        total += len(data)
        offset = struct.unpack_from("<I", data, 12)[0]  # the segment header's size
        while offset + 48 <= len(data) and data[offset:offset + 4] == b"MBLK":
            encoding = data[offset + 4]
            stored_length, _, _ = struct.unpack_from("<III", data, offset + 8)
            payload = data[offset + 48:offset + 48 + stored_length]
            offset += 48 + stored_length
            if encoding != 2:
                stored["oneframe"] = stored.get("oneframe", 0) + stored_length
                continue
            count, i = varint(payload, 0)
            sections = []
            for _ in range(count):
                i += 1  # the section's encoding
                d, i = varint(payload, i)
                s, i = varint(payload, i)
                sections.append((d, s))
            stored["directory"] = stored.get("directory", 0) + i
            names = ["head"] + ["tag%d" % k for k in range(count - 6)] + ["timestamps", "counters", "gauges", "timers", "custom"]
            for name, (d, s) in zip(names, sections):
                stored[name] = stored.get(name, 0) + s
                decoded[name] = decoded.get(name, 0) + d
    print("total segment bytes", total)
    for name, size in sorted(stored.items(), key=lambda item: -item[1]):
        print("%-12s stored %12d  decoded %12d" % (name, size, decoded.get(name, 0)))


if __name__ == "__main__":
    main()
