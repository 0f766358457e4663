import MMMMetricsCore
import MMMMetricsLogFormat

/// Rewrites a segment header that was lost or damaged (a power loss under durability `none` can
/// leave a zeroed first sector; bit rot can hit it) when the blocks after it make the header
/// certain: the first valid block starts exactly where a header for this session ends, and carries
/// the sequence number the file name gives. Nothing else in the file changes; the index is removed
/// (it named the old header) and rebuilt by whoever reads next.
enum HeaderRepair {
    /// Whether the header of the segment at `path` was rewritten.
    static func rewriteIfCertain(at path: String, session: String, durability: LogDurability) throws(LogError) -> Bool {
        let bytes = try FileSystem.readFile(path)
        let headerSize = 38 + session.utf8.count
        let certain = bytes.withUnsafeBytes { raw -> UInt64? in
            guard (try? SegmentHeader.decode(raw, path: path)) == nil, let start = SegmentScan.resynchronize(raw, after: -1),
                start == headerSize, let (first, _) = BlockHeader.peek(raw, at: start),
                StoredSegment.sequence(fromName: path).map({ $0 == first.firstSequence }) ?? true
            else { return nil }
            return first.firstSequence
        }
        guard let firstSequence = certain else { return false }
        let header = SegmentHeader(sessionID: session, firstSequence: firstSequence, createdNanoseconds: MetricTimestamp.now().nanosecondsSinceEpoch)
        let encoded = header.encoded()
        guard encoded.count == headerSize else { return false }
        let file = try OpenFile(path: path, mode: .write)
        try file.write(encoded)
        if durability != .none { try file.sync() }
        FileSystem.remove(LogRoot.indexPath(forSegment: path))
        return true
    }
}
