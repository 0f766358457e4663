package import MMMMetricsCore

/// Numbers texts by their bytes in order of first appearance, like `InternTable<ExactText>`, with
/// a hash of eight bytes per step (``ByteHash``) and open addressing instead of `Dictionary`'s SipHash: a block
/// encoder interns every tag value that differs from the previous event's (each file path of a
/// per-file workload), and hashing was a tenth of ingest's writing thread.
package struct TextInternTable {
    /// The texts, by number.
    package private(set) var keys: [ExactText] = []
    private var hashes: [UInt64] = []
    /// Open addressing: 0 is empty, else a text's number + 1. Kept at most half full.
    private var slots = [Int32](repeating: 0, count: 16)

    package init() {}

    /// How many texts.
    package var count: Int { keys.count }

    /// The number of `key`, if it has one.
    package func index(of key: ExactText) -> Int? {
        find(key, hash: ByteHash.hash(key.string)).number
    }

    /// The number of `key`, given the next one when it is new.
    package mutating func intern(_ key: ExactText) -> Int {
        let hash = ByteHash.hash(key.string)
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
}
