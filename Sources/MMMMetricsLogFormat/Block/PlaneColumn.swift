/// A packed column of unsigned integers (docs/FORMAT.md, "Block payload"): one byte W (the widest
/// value's byte count), then W planes of `count` bytes, least significant plane first. Planes of random
/// low bytes stay random; planes of high bytes are mostly equal and compress to almost nothing.
/// Read in place: value i is assembled from its bytes in the W planes.
package struct PlaneColumn {
    package let base: UnsafePointer<UInt8>?
    package let count: Int
    package let width: Int

    /// Writes `values` as a column: the width byte, then the planes.
    package static func pack(_ values: [UInt64], into writer: inout ByteWriter) {
        let widest = values.reduce(0, |)
        let width = widest == 0 ? 0 : (64 - widest.leadingZeroBitCount + 7) / 8
        writer.u8(UInt8(width))
        let start = writer.bytes.count
        writer.bytes.append(contentsOf: repeatElement(0, count: width * values.count))
        writer.bytes.withUnsafeMutableBufferPointer { buffer in
            let count = values.count
            for plane in 0..<width {
                let shift = UInt64(plane * 8)
                let base = start + plane * count
                for index in 0..<count { buffer[base + index] = UInt8(truncatingIfNeeded: values[index] >> shift) }
            }
        }
    }


    /// The column at the reader's offset, read in place (the bytes must outlive it).
    package static func read(count: Int, from reader: inout ByteReader) throws(DecodeFailure) -> PlaneColumn {
        let widthOffset = reader.offset
        let width = Int(try reader.u8())
        guard width <= 8 else { throw DecodeFailure(offset: widthOffset, reason: "column width \(width) exceeds 8") }
        let planes = try reader.bytes(width * count)
        return PlaneColumn(base: planes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: count, width: width)
    }

    /// Writes all `count` values to `output`, plane by plane.
    package func unpack(into output: UnsafeMutablePointer<UInt64>) {
        guard let base, width > 0 else {
            output.initialize(repeating: 0, count: count)
            return
        }
        for index in 0..<count { output[index] = UInt64(base[index]) }
        for plane in 1..<width {
            let shift = UInt64(plane * 8)
            let planeBase = base + plane * count
            for index in 0..<count { output[index] |= UInt64(planeBase[index]) << shift }
        }
    }

    @inline(__always)
    package subscript(index: Int) -> UInt64 {
        guard let base else { return 0 }
        let p = base + index
        let n = count
        // Unrolled for each width: the branch is the same for a whole column, so it predicts well.
        switch width {
        case 0: return 0
        case 1: return UInt64(p[0])
        case 2: return UInt64(p[0]) | UInt64(p[n]) << 8
        case 3: return UInt64(p[0]) | UInt64(p[n]) << 8 | UInt64(p[2 * n]) << 16
        case 4: return UInt64(p[0]) | UInt64(p[n]) << 8 | UInt64(p[2 * n]) << 16 | UInt64(p[3 * n]) << 24
        case 5: return Self.low4(p, n) | UInt64(p[4 * n]) << 32
        case 6: return Self.low4(p, n) | UInt64(p[4 * n]) << 32 | UInt64(p[5 * n]) << 40
        case 7: return Self.low4(p, n) | UInt64(p[4 * n]) << 32 | UInt64(p[5 * n]) << 40 | UInt64(p[6 * n]) << 48
        default:
            return Self.low4(p, n) | UInt64(p[4 * n]) << 32 | UInt64(p[5 * n]) << 40 | UInt64(p[6 * n]) << 48 | UInt64(p[7 * n]) << 56
        }
    }

    @inline(__always)
    package static func low4(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        UInt64(p[0]) | UInt64(p[n]) << 8 | UInt64(p[2 * n]) << 16 | UInt64(p[3 * n]) << 24
    }
}
