import MMMMetricsCore
import MMMMetricsLogFormat

extension LogMaintenance {
    /// Checks every segment header, block CRC, block payload, seal, sequence continuity and index.
    /// Returns one problem per finding; empty means all is well.
    public func verify(session only: String? = nil) throws(LogError) -> [VerifyProblem] {
        var problems = only == nil ? try strayDirectories() : []
        for session in try sessionList(only) {
            let handles = try source.segments(session: session)
            // Every session starts at sequence 0: a first segment that starts later lost events.
            var expectedSequence: UInt64? = 0
            for (position, handle) in handles.enumerated() {
                let file = String(handle.name.split(separator: "/").last ?? "")
                func problem(_ offset: Int?, _ message: String) {
                    problems.append(VerifyProblem(session: session, file: file, offset: offset, message: message))
                }
                let (opened, unreadable) = try Self.openForVerify(handle, problem)
                guard let segment = opened else {
                    if unreadable { expectedSequence = nil }  // where its events end is unknown
                    continue
                }
                if segment.header.sessionID != session, !segment.header.sessionID.isEmpty {
                    problem(34, "segment header names session \(segment.header.sessionID.debugDescription)")
                }
                if let expected = expectedSequence, segment.header.firstSequence != expected {
                    problem(0, position == 0
                        ? "the session's first segment starts at sequence \(segment.header.firstSequence): events 0..<\(segment.header.firstSequence) are missing"
                        : "starts at sequence \(segment.header.firstSequence), the previous segment ended at \(expected)")
                }
                for damage in segment.damage {
                    switch damage {
                    case .badRegion(let offset, _, _, _): problem(offset, "\(damage)")
                    case .tornTail(let offset, _, _): problem(offset, "\(damage)")
                    }
                }
                if let wrong = segment.sealContradiction { problem(wrong.offset, wrong.reason) }
                let (indexNamesWrong, wrongSummaries) = Self.checkBlocks(of: segment, path: handle.name, problem)
                if position < handles.count - 1, !segment.sealed {
                    problem(nil, "not sealed, but later segments exist")
                }
                // With a bad block in the segment, the index is expected to disagree: the damage line says why.
                let hasBadRegion = segment.damage.contains { if case .badRegion = $0 { true } else { false } }
                if case .valid = segment.indexState {} else if !hasBadRegion {
                    problem(nil, "index \(segment.indexState)")
                }
                if indexNamesWrong {
                    problem(nil, "index stale (its metric names leave out names its blocks hold; readers would skip those events)")
                }
                if let first = wrongSummaries.first {
                    problem(first, "index stale (its totals for \(wrongSummaries.count) block(s), the first at offset \(first), differ from the "
                        + "blocks' events; queries answered from them would be wrong; run recover)")
                }
                expectedSequence = segment.nextSequence
            }
        }
        return problems
    }

    /// Entries under a root's `sessions/` that are no session's directory.
    private func strayDirectories() throws(LogError) -> [VerifyProblem] {
        guard let root = source as? LogRoot else { return [] }
        return try root.strayEntries().map { stray in
            VerifyProblem(session: "", file: "sessions/" + stray, offset: nil,
                          message: "not a session directory (its name is no escaped session id): readers ignore what it holds")
        }
    }

    /// The segment to check block by block, or `nil` (with the problem reported) when it has none
    /// to check; `unreadable` when not even its place in the session is known.
    private static func openForVerify(_ handle: SegmentHandle, _ problem: (Int?, String) -> Void) throws(LogError)
        -> (segment: StoredSegment?, unreadable: Bool)
    {
        switch try StoredSegment.open(handle, fullScan: true) {
        case .loaded(let loaded):
            return (loaded, false)
        case .headerless(_, let size):
            if let lost = StoredSegment.eventsMissing(handle, header: nil, scan: nil, size: size) {
                problem(0, "segment cut to \(size) bytes; its index lists \(lost) events, lost")
            } else {
                problem(0, "an empty segment (\(size) bytes, no complete header: a writer stopped before writing it); it holds no events and recover removes it")
            }
            return (nil, false)
        case .salvaged(let salvaged, let error):
            // The header is reported; its blocks are still checked.
            if case .corrupt(_, let offset, let reason) = error { problem(offset, reason) } else { problem(nil, "\(error)") }
            return (salvaged, false)
        case .unreadable(let error):
            if case .corrupt(_, let offset, let reason) = error { problem(offset, reason) } else { problem(nil, "\(error)") }
            return (nil, true)
        }
    }

    /// Decodes every block (which checks its payload, its header's count and time range, and its
    /// custom JSON) and its place in the sequence; returns whether the index's names leave some out,
    /// and the offsets of blocks whose summary in the index differs from their events'.
    private static func checkBlocks(of segment: StoredSegment, path: String, _ problem: (Int?, String) -> Void) -> (Bool, [Int]) {
        var sequence = segment.header.firstSequence
        var indexNamesWrong = false
        var wrongSummaries: [Int] = []
        for (blockIndex, block) in segment.blocks.enumerated() {
            if block.header.firstSequence != sequence, segment.damage.isEmpty {
                problem(block.offset, "block starts at sequence \(block.header.firstSequence), expected \(sequence)")
            }
            sequence = block.header.firstSequence + UInt64(block.header.eventCount)
            do {
                let decoded = try segment.bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in
                    try BlockDecoding.decode(raw, block, path: path)
                }
                // Readers skip blocks by the index's names: names it lacks would hide events.
                if let listed = segment.blockNames[blockIndex], !Set(decoded.metrics.map { ExactText($0.name) }).isSubset(of: Set(listed.map(ExactText.init))) {
                    indexNamesWrong = true
                }
                // Queries take count, sum, min and max from the index's summaries without decoding.
                if blockIndex < segment.blockSummaries.count, let summary = segment.blockSummaries[blockIndex], summary != BlockSummary(decoded) {
                    wrongSummaries.append(block.offset)
                }
            } catch {
                if case .corrupt(_, _, let reason) = error { problem(block.offset, reason) } else { problem(block.offset, "\(error)") }
            }
        }
        return (indexNamesWrong, wrongSummaries)
    }
}
