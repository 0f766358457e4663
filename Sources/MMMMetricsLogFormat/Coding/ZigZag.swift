/// ZigZag coding: signed integers as unsigned ones whose size follows their magnitude
/// (0, -1, 1, -2 … become 0, 1, 2, 3 …), as protobuf writes them.
package enum ZigZag {
    @inline(__always)
    package static func encode(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }

    @inline(__always)
    package static func decode(_ raw: UInt64) -> Int64 { Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1) }
}
