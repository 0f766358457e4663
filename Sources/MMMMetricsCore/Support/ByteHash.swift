/// A 64-bit hash of bytes, eight at a time, seeded once per process (so no input can choose its
/// collisions in advance). Much cheaper than `Hasher` (SipHash) for the short texts it is used on:
/// tag values interned by a block encoder, and group keys looked up by a query.
package enum ByteHash {
    @usableFromInline static let seed = UInt64.random(in: .min ... .max)

    /// The hash of `bytes`; equal bytes give equal hashes within one process.
    @inlinable
    package static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash = seed ^ (UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15)
        guard let raw = bytes.baseAddress else { return mix(hash) }
        let count = bytes.count
        var offset = 0
        while offset + 8 <= count {
            hash = mix(hash ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while offset < count {
            tail |= UInt64(raw.load(fromByteOffset: offset, as: UInt8.self)) << shift
            shift += 8
            offset += 1
        }
        return mix(hash ^ tail)
    }

    /// The hash of a string's UTF-8 bytes.
    @inlinable
    package static func hash(_ text: String) -> UInt64 {
        var text = text
        return text.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }

    /// SplitMix64's finaliser: every input bit reaches every output bit.
    @inlinable
    static func mix(_ value: UInt64) -> UInt64 {
        var value = value &* 0xBF58_476D_1CE4_E5B9
        value ^= value >> 31
        value = value &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 29)
    }
}
