import MMMMetricsCore

/// Columns of zeros that a decoded block holds for the parts it did not decode (values,
/// timestamps, tag columns of keys not asked for). Arrays of a few sizes per element type are
/// kept and handed out again: arrays copy on write and nobody writes these,
/// so sharing is free, where a fresh 200 KB array per block cost an allocation, its zeroing and,
/// on the decoding threads, the page faults of memory the allocator had just given back.
package enum ZeroColumns {
    private static let words = LockedState<[Int: [UInt64]]>([:])
    private static let signed = LockedState<[Int: [Int64]]>([:])
    private static let halves = LockedState<[Int: [UInt32]]>([:])

    /// `count` zeros.
    package static func uint64(_ count: Int) -> [UInt64] { shared(words, count) }
    /// `count` zeros.
    package static func int64(_ count: Int) -> [Int64] { shared(signed, count) }
    /// `count` zeros.
    package static func uint32(_ count: Int) -> [UInt32] { shared(halves, count) }

    /// A few sizes are kept: a session's full blocks and the last ones of sessions, decoded on two threads.
    private static func shared<T: FixedWidthInteger & Sendable>(_ cache: LockedState<[Int: [T]]>, _ count: Int) -> [T] {
        cache.withLock { kept in
            if let zeros = kept[count] { return zeros }
            if kept.count >= 4 { kept.removeAll() }
            let zeros = [T](repeating: 0, count: count)
            kept[count] = zeros
            return zeros
        }
    }
}
