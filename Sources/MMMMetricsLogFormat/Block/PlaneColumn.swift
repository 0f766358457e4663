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

    /// Writes all `count` values to `output`: eight values at a time, each plane's eight bytes
    /// widened in one vector and shifted into place (the compiler did not vectorise the loop of one
    /// value at a time, since `output` might alias the planes: 2 to 2.5 times slower), the rest one by one.
    package func unpack(into output: UnsafeMutablePointer<UInt64>) {
        guard let p = base, width > 0 else {
            output.initialize(repeating: 0, count: count)
            return
        }
        let n = count
        let vectors = n / 8 * 8
        let out = UnsafeMutableRawPointer(output)
        @inline(__always) func plane(_ index: Int, _ i: Int) -> SIMD8<UInt64> {
            SIMD8<UInt64>(truncatingIfNeeded: UnsafeRawPointer(p + index * n + i).loadUnaligned(as: SIMD8<UInt8>.self))
        }
        @inline(__always) func byte(_ index: Int, _ i: Int) -> UInt64 { UInt64(p[index * n + i]) }
        // The low four planes, assembled at once (one loop per width: the branch is outside the loop).
        var i = 0
        switch width {
        case 1:
            while i < vectors {
                out.storeBytes(of: plane(0, i), toByteOffset: i &* 8, as: SIMD8<UInt64>.self)
                i &+= 8
            }
            while i < n { output[i] = byte(0, i); i &+= 1 }
        case 2:
            while i < vectors {
                out.storeBytes(of: plane(0, i) | plane(1, i) &<< 8, toByteOffset: i &* 8, as: SIMD8<UInt64>.self)
                i &+= 8
            }
            while i < n { output[i] = byte(0, i) | byte(1, i) << 8; i &+= 1 }
        case 3:
            while i < vectors {
                out.storeBytes(of: plane(0, i) | plane(1, i) &<< 8 | plane(2, i) &<< 16, toByteOffset: i &* 8, as: SIMD8<UInt64>.self)
                i &+= 8
            }
            while i < n { output[i] = byte(0, i) | byte(1, i) << 8 | byte(2, i) << 16; i &+= 1 }
        default:
            while i < vectors {
                let low = plane(0, i) | plane(1, i) &<< 8 | plane(2, i) &<< 16 | plane(3, i) &<< 24
                out.storeBytes(of: low, toByteOffset: i &* 8, as: SIMD8<UInt64>.self)
                i &+= 8
            }
            while i < n { output[i] = byte(0, i) | byte(1, i) << 8 | byte(2, i) << 16 | byte(3, i) << 24; i &+= 1 }
        }
        // Five to eight planes: each further plane or-ed in (a constant shift per plane).
        guard width > 4 else { return }
        for index in 4..<width {
            let shift = UInt64(index * 8)
            i = 0
            while i < vectors {
                let now = out.loadUnaligned(fromByteOffset: i &* 8, as: SIMD8<UInt64>.self)
                out.storeBytes(of: now | plane(index, i) &<< SIMD8<UInt64>(repeating: shift), toByteOffset: i &* 8, as: SIMD8<UInt64>.self)
                i &+= 8
            }
            while i < n { output[i] |= byte(index, i) << shift; i &+= 1 }
        }
    }

    /// Writes all `count` values to `output` as 32-bit integers, eight at a time like
    /// ``unpack(into:)``, and returns the largest; `nil` (nothing written) when the column is wider
    /// than four bytes, so that some value does not fit.
    package func unpack32(into output: UnsafeMutablePointer<UInt32>) -> UInt32? {
        guard width <= 4 else { return nil }
        guard let p = base, width > 0 else {
            output.initialize(repeating: 0, count: count)
            return 0
        }
        let n = count
        let vectors = n / 8 * 8
        let out = UnsafeMutableRawPointer(output)
        @inline(__always) func plane(_ index: Int, _ i: Int) -> SIMD8<UInt32> {
            SIMD8<UInt32>(truncatingIfNeeded: UnsafeRawPointer(p + index * n + i).loadUnaligned(as: SIMD8<UInt8>.self))
        }
        @inline(__always) func byte(_ index: Int, _ i: Int) -> UInt32 { UInt32(p[index * n + i]) }
        var highest = SIMD8<UInt32>(repeating: 0)
        var high: UInt32 = 0
        var i = 0
        switch width {
        case 1:
            while i < vectors {
                let values = plane(0, i)
                highest = pointwiseMax(highest, values)
                out.storeBytes(of: values, toByteOffset: i &* 4, as: SIMD8<UInt32>.self)
                i &+= 8
            }
            while i < n { output[i] = byte(0, i); high = max(high, output[i]); i &+= 1 }
        case 2:
            while i < vectors {
                let values = plane(0, i) | plane(1, i) &<< 8
                highest = pointwiseMax(highest, values)
                out.storeBytes(of: values, toByteOffset: i &* 4, as: SIMD8<UInt32>.self)
                i &+= 8
            }
            while i < n { output[i] = byte(0, i) | byte(1, i) << 8; high = max(high, output[i]); i &+= 1 }
        case 3:
            while i < vectors {
                let values = plane(0, i) | plane(1, i) &<< 8 | plane(2, i) &<< 16
                highest = pointwiseMax(highest, values)
                out.storeBytes(of: values, toByteOffset: i &* 4, as: SIMD8<UInt32>.self)
                i &+= 8
            }
            while i < n { output[i] = byte(0, i) | byte(1, i) << 8 | byte(2, i) << 16; high = max(high, output[i]); i &+= 1 }
        default:
            while i < vectors {
                let values = plane(0, i) | plane(1, i) &<< 8 | plane(2, i) &<< 16 | plane(3, i) &<< 24
                highest = pointwiseMax(highest, values)
                out.storeBytes(of: values, toByteOffset: i &* 4, as: SIMD8<UInt32>.self)
                i &+= 8
            }
            while i < n { output[i] = byte(0, i) | byte(1, i) << 8 | byte(2, i) << 16 | byte(3, i) << 24; high = max(high, output[i]); i &+= 1 }
        }
        return max(high, highest.max())
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
