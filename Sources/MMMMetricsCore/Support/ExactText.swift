/// A string compared and hashed by its UTF-8 bytes.
///
/// Swift's `String` equality is canonical equivalence: `"é"` (U+00E9) equals `"e\u{301}"`. A log
/// stores bytes, so anything that dedupes text on its way to disk (the block's string table, a
/// session's events in ingest) keys by this instead, or the second spelling would come back as the first.
package struct ExactText: Hashable, Sendable {
    package let string: String

    @inline(__always)
    package init(_ string: String) { self.string = string }

    @inline(__always)
    package static func == (left: ExactText, right: ExactText) -> Bool {
        // The same representation (one small string's bytes, or one storage object) is the same
        // text: the common case of a handle's or a block's repeated name and tags, answered
        // without reading the bytes.
        if MemoryLayout<String>.size == 16,
           unsafeBitCast(left.string, to: (UInt64, UInt64).self) == unsafeBitCast(right.string, to: (UInt64, UInt64).self) {
            return true
        }
        let a = left.string.utf8, b = right.string.utf8
        guard a.count == b.count else { return false }
        let contiguous = a.withContiguousStorageIfAvailable { x in
            b.withContiguousStorageIfAvailable { y in bytesEqual(UnsafeRawBufferPointer(x), UnsafeRawBufferPointer(y)) }
        }
        return (contiguous ?? nil) ?? a.elementsEqual(b)
    }

    /// Two buffers of one length compared eight bytes at a time (the generic `elementsEqual` is not
    /// specialised across modules, and this runs for every tag of every event written).
    @inline(__always)
    package static func bytesEqual(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Bool {
        let count = x.count
        guard count > 0, let p = x.baseAddress, let q = y.baseAddress else { return true }
        var offset = 0
        while offset + 8 <= count {
            if p.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != q.loadUnaligned(fromByteOffset: offset, as: UInt64.self) { return false }
            offset += 8
        }
        while offset < count {
            if p.load(fromByteOffset: offset, as: UInt8.self) != q.load(fromByteOffset: offset, as: UInt8.self) { return false }
            offset += 1
        }
        return true
    }

    @inline(__always)
    package func hash(into hasher: inout Hasher) {
        let utf8 = string.utf8
        let done: Void? = utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil {
            for byte in utf8 { hasher.combine(byte) }
        }
        hasher.combine(utf8.count)
    }
}

extension ExactText {
    /// Byte order of UTF-8, the order of tag keys in a block (docs/FORMAT.md). It differs from
    /// Swift's `<` only for strings that are not in Unicode normal form C.
    @inline(__always)
    package static func bytesPrecede(_ left: String, _ right: String) -> Bool {
        let a = left.utf8, b = right.utf8
        let compared: Bool?? = a.withContiguousStorageIfAvailable { x in
            b.withContiguousStorageIfAvailable { y in
                // A plain loop over contiguous bytes: the generic comparison is not specialised across modules.
                var index = 0
                let common = min(x.count, y.count)
                while index < common, x[index] == y[index] { index += 1 }
                return index < common ? x[index] < y[index] : x.count < y.count
            }
        }
        return (compared ?? nil) ?? a.lexicographicallyPrecedes(b)
    }
}
