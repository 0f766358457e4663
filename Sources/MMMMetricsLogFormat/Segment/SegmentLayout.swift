import MMMMetricsCore

// The byte layout of segments, blocks, seal records and index files. docs/FORMAT.md describes
// the same layout in prose; keep the two in step.

/// Fixed values of the on-disk format, version 1.
package enum Format {
    package static let segmentMagic: [UInt8] = Array("MMMSEG\r\n".utf8)
    package static let indexMagic: [UInt8] = Array("MMMIDX\r\n".utf8)
    package static let blockMagic: UInt32 = 0x4B4C_424D  // "MBLK" read little-endian
    package static let sealMagic: UInt32 = 0x444E_454D  // "MEND" read little-endian
    package static let version: UInt16 = 1
    /// Index files: version 2 adds block summaries; version 1 is still read.
    package static let indexVersion: UInt16 = 2
    package static let blockHeaderSize = 48
    package static let sealSize = 44
    /// A block never decodes to more than this, so a damaged or hostile length cannot ask for absurd memory.
    package static let maximumDecodedBlockBytes = 64 << 20
    package static let maximumSessionIDBytes = 1024
}
