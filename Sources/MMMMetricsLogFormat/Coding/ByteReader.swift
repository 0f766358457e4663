import MMMMetricsCore

/// Why a byte sequence could not be decoded.
package struct DecodeFailure: Error, CustomStringConvertible {
    package let offset: Int
    package let reason: String

    /// Creates a value from its fields.
    package init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }
    package var description: String { "\(reason) at byte \(offset)" }
}

/// Reads little-endian integers and varints from bytes, with bounds checks that throw instead of trapping.
package struct ByteReader {
    package let base: UnsafeRawBufferPointer
    package var offset: Int

    package init(_ base: UnsafeRawBufferPointer, offset: Int = 0) {
        self.base = base
        self.offset = offset
    }

    package var remaining: Int { base.count - offset }
    package var isAtEnd: Bool { offset >= base.count }

    @inline(__always)
    package mutating func need(_ count: Int) throws(DecodeFailure) {
        guard count >= 0, count <= base.count - offset else {
            throw DecodeFailure(offset: offset, reason: "needs \(count) bytes, \(max(0, base.count - offset)) left")
        }
    }

    package mutating func u8() throws(DecodeFailure) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return base[offset]
    }

    package mutating func u16() throws(DecodeFailure) -> UInt16 {
        try need(2)
        defer { offset += 2 }
        return UInt16(base[offset]) | UInt16(base[offset + 1]) << 8
    }

    package mutating func u32() throws(DecodeFailure) -> UInt32 {
        try need(4)
        defer { offset += 4 }
        return base.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
    }

    package mutating func u64() throws(DecodeFailure) -> UInt64 {
        try need(8)
        defer { offset += 8 }
        return base.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian
    }

    package mutating func i64() throws(DecodeFailure) -> Int64 { Int64(bitPattern: try u64()) }

    @inline(__always)
    package mutating func varint() throws(DecodeFailure) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < base.count else { throw DecodeFailure(offset: offset, reason: "varint runs past the end") }
            let byte = base[offset]
            offset += 1
            if shift == 63, byte > 1 { throw DecodeFailure(offset: offset - 1, reason: "varint overflows 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { throw DecodeFailure(offset: offset, reason: "varint longer than 10 bytes") }
        }
    }

    package mutating func zigzag() throws(DecodeFailure) -> Int64 { ZigZag.decode(try varint()) }

    package mutating func count(limit: Int) throws(DecodeFailure) -> Int {
        let start = offset
        let value = try varint()
        guard value <= UInt64(limit) else { throw DecodeFailure(offset: start, reason: "count \(value) exceeds \(limit)") }
        return Int(value)
    }

    package mutating func bytes(_ count: Int) throws(DecodeFailure) -> UnsafeRawBufferPointer {
        try need(count)
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: base[offset..<(offset + count)])
    }

    package mutating func string() throws(DecodeFailure) -> String { try stringAndBytes().text }

    /// A string, with its UTF-8 bytes as they lie in the buffer.
    package mutating func stringAndBytes() throws(DecodeFailure) -> (text: String, bytes: UnsafeRawBufferPointer) {
        let start = offset
        let length = try count(limit: remaining)
        let bytes = try bytes(length)
        guard let text = Self.text(bytes.bindMemory(to: UInt8.self)) else {
            throw DecodeFailure(offset: start, reason: "string is not valid UTF-8")
        }
        return (text, bytes)
    }

    /// Whether `utf8` is valid UTF-8, without making a string of it when it is ASCII.
    @inline(__always)
    package static func isValid(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        utf8.allSatisfy({ $0 < 0x80 }) || String(validating: utf8, as: UTF8.self) != nil
    }

    /// The string of `utf8`, or nil when it is not valid UTF-8.
    @inline(__always)
    package static func text(_ utf8: UnsafeBufferPointer<UInt8>) -> String? {
        // ASCII is valid UTF-8: skip the (generic, slower) validating initialiser for the common case.
        if utf8.allSatisfy({ $0 < 0x80 }) { return String(decoding: utf8, as: UTF8.self) }
        return String(validating: utf8, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` with a typed error (the standard one rethrows `any Error`).
    package func withBytes<T, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> T) throws(E) -> T {
        let result: Result<T, E> = withUnsafeBytes { raw in Result { () throws(E) -> T in try body(raw) } }
        return try result.get()
    }
}
