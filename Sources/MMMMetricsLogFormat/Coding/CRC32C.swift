import CCRC32C
import MMMMetricsCore

/// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), as used by iSCSI, ext4,
/// LevelDB and Prometheus' TSDB; `check("123456789") == 0xE3069283`. The CPU's instruction where
/// it has one (SSE4.2, ARMv8 CRC), else slicing-by-8 tables: both give the same value.
package enum CRC32C {
    /// Whether `checksum` uses the CPU's instruction (checked once).
    package static let usesHardware = mmm_crc32c_hardware_available() == 1

    private static let tables: [[UInt32]] = {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for index in 0..<256 {
            var crc = UInt32(index)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            tables[0][index] = crc
        }
        for index in 0..<256 {
            for slice in 1..<8 {
                let previous = tables[slice - 1][index]
                tables[slice][index] = (previous >> 8) ^ tables[0][Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    private static let flat: [UInt32] = tables.flatMap { $0 }

    /// The CRC of `bytes`, continuing from `crc` (the CRC of the bytes before them; 0 to start).
    package static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard usesHardware, let base = bytes.baseAddress else { return softwareChecksum(bytes, continuing: crc) }
        return ~mmm_crc32c_hardware_update(~crc, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    /// The table-driven CRC (what `checksum` computes without the CPU's instruction).
    package static func softwareChecksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        var crc = ~crc
        guard var pointer = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return ~crc }
        var remaining = bytes.count
        flat.withUnsafeBufferPointer { table in
            let t = table.baseAddress!
            while remaining >= 8 {
                let low = UInt32(pointer[0]) | UInt32(pointer[1]) << 8 | UInt32(pointer[2]) << 16 | UInt32(pointer[3]) << 24
                let word = crc ^ low
                crc = t[7 * 256 + Int(word & 0xFF)] ^ t[6 * 256 + Int((word >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((word >> 16) & 0xFF)] ^ t[4 * 256 + Int(word >> 24)]
                    ^ t[3 * 256 + Int(pointer[4])] ^ t[2 * 256 + Int(pointer[5])]
                    ^ t[1 * 256 + Int(pointer[6])] ^ t[Int(pointer[7])]
                pointer += 8
                remaining -= 8
            }
            while remaining > 0 {
                crc = (crc >> 8) ^ t[Int((crc ^ UInt32(pointer[0])) & 0xFF)]
                pointer += 1
                remaining -= 1
            }
        }
        return ~crc
    }

    /// The CRC of a byte array.
    package static func checksum(_ bytes: [UInt8], continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, continuing: crc) }
    }
}
