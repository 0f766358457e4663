import MMMMetricsCore

// Session archives (docs/FORMAT.md, "Archive file"): one file holding a session's segments and
// indexes as they are stored, each entry framed with its length and a CRC32C.

package enum ArchiveFormat {
    package static let magic: [UInt8] = Array("MMMARCH\n".utf8)
    package static let entryMagic: UInt32 = 0x544E_454D  // "MENT"
    package static let trailerMagic: UInt32 = 0x4341_544D  // "MTAC"
    package static let version: UInt16 = 1
    package static let entryHeaderSize = 4 + 1 + 2 + 8 + 4 + 4  // plus the name
    package static let trailerSize = 4 + 4 + 4
    /// No entry may claim more than this (a segment is 64 MiB by default; allow generous room).
    package static let maximumEntryBytes: UInt64 = 1 << 32

    package enum Kind: UInt8 {
        case segment = 1
        case index = 2
    }

    /// Entry names are segment or index file names and nothing else: 20 digits and `.seg` or `.idx`.
    package static func isValidName(_ name: String, kind: Kind) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count == 24 else { return false }
        guard bytes[0..<20].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
        return String(decoding: bytes[20...], as: UTF8.self) == (kind == .segment ? ".seg" : ".idx")
    }
}

/// One entry of an archive.
package struct ArchiveEntry: Sendable, Hashable {
    /// The file name (`00000000000000000000.seg` or `.idx`).
    package let name: String
    /// Whether it is a segment (else an index).
    package let isSegment: Bool
    /// Offset of the data in the archive file.
    package let offset: Int
    /// Data length.
    package let length: Int
    /// CRC32C of the data.
    package let crc: UInt32

    /// Creates a value from its fields.
    package init(name: String, isSegment: Bool, offset: Int, length: Int, crc: UInt32) {
        self.name = name
        self.isSegment = isSegment
        self.offset = offset
        self.length = length
        self.crc = crc
    }
}
