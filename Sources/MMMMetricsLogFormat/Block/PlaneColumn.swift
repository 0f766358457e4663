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

    /// Writes all `count` values to `output`. One loop per width, each value assembled from its
    /// bytes at once: a loop the compiler vectorises (a loop per plane that or-ed into `output` with
    /// a variable shift did not vectorise, and cost a quarter of decoding).
    package func unpack(into output: UnsafeMutablePointer<UInt64>) {
        guard let p = base, width > 0 else {
            output.initialize(repeating: 0, count: count)
            return
        }
        let n = count
        // Plane pointers taken once, so the loops hold no overflow checks that would stop vectorising.
        let p1 = p + n, p2 = p1 + n, p3 = p2 + n
        switch width {
        case 1: for i in 0..<n { output[i] = UInt64(p[i]) }
        case 2: for i in 0..<n { output[i] = UInt64(p[i]) | UInt64(p1[i]) << 8 }
        case 3: for i in 0..<n { output[i] = UInt64(p[i]) | UInt64(p1[i]) << 8 | UInt64(p2[i]) << 16 }
        case 4: for i in 0..<n { output[i] = UInt64(p[i]) | UInt64(p1[i]) << 8 | UInt64(p2[i]) << 16 | UInt64(p3[i]) << 24 }
        default:
            // Five to eight planes: the low four, then each further plane or-ed in (constant shifts).
            for i in 0..<n { output[i] = UInt64(p[i]) | UInt64(p1[i]) << 8 | UInt64(p2[i]) << 16 | UInt64(p3[i]) << 24 }
            let p4 = p3 + n
            for i in 0..<n { output[i] |= UInt64(p4[i]) << 32 }
            guard width > 5 else { return }
            let p5 = p4 + n
            for i in 0..<n { output[i] |= UInt64(p5[i]) << 40 }
            guard width > 6 else { return }
            let p6 = p5 + n
            for i in 0..<n { output[i] |= UInt64(p6[i]) << 48 }
            guard width > 7 else { return }
            let p7 = p6 + n
            for i in 0..<n { output[i] |= UInt64(p7[i]) << 56 }
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
