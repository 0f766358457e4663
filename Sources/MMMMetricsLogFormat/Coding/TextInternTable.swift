package import MMMMetricsCore

/// Numbers texts by their bytes in order of first appearance, like `InternTable<ExactText>`, with
/// a hash of eight bytes per step and open addressing instead of `Dictionary`'s SipHash: a block
/// encoder interns every tag value that differs from the previous event's (each file path of a
/// per-file workload), and hashing was a tenth of ingest's writing thread.
package struct TextInternTable {
    /// The texts, by number.
    package private(set) var keys: [ExactText] = []
    private var hashes: [UInt64] = []
    /// Open addressing: 0 is empty, else a text's number + 1. Kept at most half full.
    private var slots = [Int32](repeating: 0, count: 16)

    /// Per process, so no input can choose its collisions in advance.
    private static let seed = UInt64.random(in: .min ... .max)

    package init() {}

    /// How many texts.
    package var count: Int { keys.count }

    /// The number of `key`, if it has one.
    package func index(of key: ExactText) -> Int? {
        find(key, hash: Self.hash(key.string)).number
    }

    /// The number of `key`, given the next one when it is new.
    package mutating func intern(_ key: ExactText) -> Int {
        let hash = Self.hash(key.string)
        let (found, slot) = find(key, hash: hash)
        if let found { return found }
        let number = keys.count
        keys.append(key)
        hashes.append(hash)
        if 2 * keys.count > slots.count {
            slots = [Int32](repeating: 0, count: 2 * slots.count)
            let mask = slots.count - 1
            for (other, otherHash) in hashes.enumerated() {
                var free = Int(truncatingIfNeeded: otherHash) & mask
                while slots[free] != 0 { free = (free + 1) & mask }
                slots[free] = Int32(truncatingIfNeeded: other + 1)
            }
        } else {
            slots[slot] = Int32(truncatingIfNeeded: number + 1)
        }
        return number
    }

    /// `key`'s number when it has one, else the empty slot where it would go.
    @inline(__always)
    private func find(_ key: ExactText, hash: UInt64) -> (number: Int?, slot: Int) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let number = Int(slots[slot]) - 1
            if hashes[number] == hash, keys[number] == key { return (number, slot) }
            slot = (slot + 1) & mask
        }
        return (nil, slot)
    }

    /// A 64-bit hash of the UTF-8 bytes, eight at a time.
    @inline(__always)
    private static func hash(_ text: String) -> UInt64 {
        var text = text
        return text.withUTF8 { bytes in
            var hash = seed ^ (UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15)
            guard let base = bytes.baseAddress else { return mix(hash) }
            let raw = UnsafeRawPointer(base)
            var offset = 0
            while offset + 8 <= bytes.count {
                hash = mix(hash ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                offset += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < bytes.count {
                tail |= UInt64(bytes[offset]) << shift
                shift += 8
                offset += 1
            }
            return mix(hash ^ tail)
        }
    }

    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        var value = value &* 0xBF58_476D_1CE4_E5B9
        value ^= value >> 31
        value = value &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 29)
    }
}
