/// Groups numbered by their values' bytes, in order of first appearance: a query's table of groups.
///
/// A group's values are packed into one run of bytes (each value: its UTF-8 length as a LEB128
/// varint, then its bytes), so two groups are equal exactly when their packings are: by bytes, as
/// the log stores them (`"é"` and `"e\u{301}"` are two groups, as they are two sessions and two
/// lines of `export`). Packings live back to back in one buffer and are found by open addressing
/// on a ``ByteHash``: a lookup compares two integers in the slot, then (when they agree) one run of
/// bytes, instead of hashing with SipHash and following each value's own storage. A query over
/// thousands of file paths looks up a group per path per block.
package struct GroupKeyTable {
    /// The packings, back to back; group g's is `packed[ends[g - 1] ..< ends[g]]` (0 for g = 0).
    private var packed: [UInt8] = []
    private var ends: [Int] = []
    private var hashes: [UInt64] = []
    /// 0 is empty, else the group's hash's high 32 bits over its number + 1 (low 32 bits): most
    /// probes that miss end here, without reading `hashes` or `packed`. Kept at most half full.
    private var slots = [UInt64](repeating: 0, count: 16)

    package init() {}

    /// How many groups.
    package var count: Int { ends.count }

    /// Appends the packing of `values` to `bytes`.
    package static func pack(_ values: [String], into bytes: inout [UInt8]) {
        for value in values {
            var value = value
            value.withUTF8 { utf8 in
                appendVarint(UInt64(utf8.count), to: &bytes)
                bytes.append(contentsOf: utf8)
            }
        }
    }

    /// Appends the packing of one value given as bytes (a group of one value, or one value of a
    /// group packed value by value).
    @inline(__always)
    package static func pack(value utf8: UnsafeRawBufferPointer, into bytes: inout [UInt8]) {
        appendVarint(UInt64(utf8.count), to: &bytes)
        bytes.append(contentsOf: utf8)
    }

    /// The values of a packing made by ``pack(_:into:)``.
    package static func unpack(_ packing: UnsafeRawBufferPointer) -> [String] {
        var values: [String] = []
        var offset = 0
        while offset < packing.count {
            var length = 0, shift = 0
            while true {
                let byte = packing[offset]
                offset += 1
                length |= Int(byte & 0x7F) << shift
                if byte < 0x80 { break }
                shift += 7
            }
            values.append(String(decoding: UnsafeRawBufferPointer(rebasing: packing[offset..<(offset + length)]), as: UTF8.self))
            offset += length
        }
        return values
    }

    /// The number of the group packed as `packing` (hashed as `hash`, ``ByteHash/hash(_:)-…`` of
    /// the packing), and whether it is new: a new group takes the next number.
    @inline(__always)
    package mutating func number(of packing: UnsafeRawBufferPointer, hash: UInt64) -> (number: Int, isNew: Bool) {
        let mask = slots.count - 1
        let tag = hash & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let entry = slots[slot]
            if entry & 0xFFFF_FFFF_0000_0000 == tag {
                let number = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                if equals(number, packing) { return (number, false) }
            }
            slot = (slot + 1) & mask
        }
        let number = ends.count
        packed.append(contentsOf: packing)
        ends.append(packed.count)
        hashes.append(hash)
        if 2 * ends.count > slots.count {
            grow()
        } else {
            slots[slot] = Self.entry(number, hash: hash)
        }
        return (number, true)
    }

    /// The number of the group of `values`, and whether it is new.
    package mutating func number(of values: [String]) -> (number: Int, isNew: Bool) {
        var packing: [UInt8] = []
        Self.pack(values, into: &packing)
        return packing.withUnsafeBytes { number(of: $0, hash: ByteHash.hash($0)) }
    }

    @inline(__always)
    private func equals(_ number: Int, _ packing: UnsafeRawBufferPointer) -> Bool {
        let start = number == 0 ? 0 : ends[number - 1]
        guard ends[number] - start == packing.count else { return false }
        return packed.withUnsafeBytes { ExactText.bytesEqual(UnsafeRawBufferPointer(rebasing: $0[start..<(start + packing.count)]), packing) }
    }

    private mutating func grow() {
        slots = [UInt64](repeating: 0, count: 2 * slots.count)
        let mask = slots.count - 1
        for (number, hash) in hashes.enumerated() {
            var free = Int(truncatingIfNeeded: hash) & mask
            while slots[free] != 0 { free = (free + 1) & mask }
            slots[free] = Self.entry(number, hash: hash)
        }
    }

    /// A slot's entry for group `number` (below 2³² − 1: a query's groups are far fewer).
    @inline(__always)
    private static func entry(_ number: Int, hash: UInt64) -> UInt64 {
        hash & 0xFFFF_FFFF_0000_0000 | UInt64(truncatingIfNeeded: number + 1) & 0xFFFF_FFFF
    }

    /// How many bytes `length` takes as a LEB128 varint: what a packing spends on a value's length
    /// (and what the log's payloads spend on any varint).
    @inline(__always)
    package static func varintBytes(_ length: Int) -> Int {
        var value = UInt64(length), bytes = 1
        while value >= 0x80 {
            value >>= 7
            bytes += 1
        }
        return bytes
    }

    /// Writes a value's length as a packing does, at `pointer`; returns the bytes written
    /// (``varintBytes(_:)``).
    @inline(__always)
    package static func writeLength(_ length: Int, at pointer: UnsafeMutablePointer<UInt8>) -> Int {
        var value = UInt64(length), written = 0
        while value >= 0x80 {
            pointer[written] = UInt8(truncatingIfNeeded: value) | 0x80
            value >>= 7
            written += 1
        }
        pointer[written] = UInt8(truncatingIfNeeded: value)
        return written + 1
    }

    @inline(__always)
    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: value))
    }
}
