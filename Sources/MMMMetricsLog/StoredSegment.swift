/// A segment file read into memory and scanned (every block's CRC checked), for tools that work on
/// the stored form directly: benchmarks that separate decompression from decoding, or a second
/// implementation checking this one block by block.
public struct StoredSegment: Sendable {
    /// The file.
    public let path: String
    /// Its header.
    public let header: SegmentHeader
    /// Its valid blocks, in file order.
    public let blocks: [BlockLocation]
    /// Damage found by the scan.
    public let damage: [SegmentDamage]
    private let bytes: [UInt8]

    /// Reads and scans a segment file.
    public static func load(_ path: String) throws(LogError) -> StoredSegment {
        let bytes = try Posix.readFile(path)
        let scan = try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in try SegmentScan.scan(raw, path: path) }
        return StoredSegment(path: path, header: scan.header, blocks: scan.blocks, damage: scan.damage, bytes: bytes)
    }

    /// The segment's size in bytes.
    public var size: Int { bytes.count }

    /// Decompresses a block's payload (the binary encoding, not decoded further) into `buffer`,
    /// which grows as needed; returns the payload's length.
    @discardableResult
    public func decompress(_ block: BlockLocation, into buffer: inout [UInt8]) throws(LogError) -> Int {
        let size = block.header.decodedLength
        if buffer.count < size { buffer = [UInt8](repeating: 0, count: size) }
        let start = block.offset + Format.blockHeaderSize
        let path = self.path
        let failure: ZstdFailure? = bytes.withUnsafeBytes { raw -> ZstdFailure? in
            let stored = UnsafeRawBufferPointer(rebasing: raw[start..<(start + block.header.storedLength)])
            return buffer.withUnsafeMutableBytes { output -> ZstdFailure? in
                if block.header.encoding == .raw {
                    output.copyMemory(from: stored)
                    return nil
                }
                do throws(ZstdFailure) {
                    try ZstdDecoder.decompress(stored, expectedSize: size, into: output)
                    return nil
                } catch {
                    return error
                }
            }
        }
        if let failure { throw .corrupt(path: path, offset: block.offset, reason: "\(failure)") }
        return size
    }

    /// Decodes a block into columns.
    public func decode(_ block: BlockLocation) throws(LogError) -> DecodedBlock {
        let path = self.path
        return try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in try BlockDecoding.decode(raw, block, path: path) }
    }
}
