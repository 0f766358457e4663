import MMMMetricsCore
import MMMMetricsLogFormat

extension LogMaintenance {
    /// Checks every segment header, block CRC, block payload, seal, sequence continuity and index.
    /// Returns one problem per finding; empty means all is well.
    public func verify(session only: String? = nil) throws(LogError) -> [VerifyProblem] {
        var problems: [VerifyProblem] = []
        if only == nil, let root = source as? LogRoot {
            for stray in try root.strayEntries() {
                problems.append(VerifyProblem(session: "", file: "sessions/" + stray, offset: nil,
                                              message: "not a session directory (its name is no escaped session id): readers ignore what it holds"))
            }
        }
        for session in try sessionList(only) {
            let handles = try source.segments(session: session)
            // Every session starts at sequence 0: a first segment that starts later lost events.
            var expectedSequence: UInt64? = 0
            for (position, handle) in handles.enumerated() {
                let path = handle.name
                let file = String(path.split(separator: "/").last ?? "")
                func problem(_ offset: Int?, _ message: String) {
                    problems.append(VerifyProblem(session: session, file: file, offset: offset, message: message))
                }
                let segment: StoredSegment
                switch try StoredSegment.open(handle, fullScan: true) {
                case .loaded(let loaded):
                    segment = loaded
                case .headerless(let name, let size):
                    let indexPath = name.hasSuffix(".seg") ? LogRoot.indexPath(forSegment: name) : name + ".idx"
                    if let lost = StoredSegment.eventsMissing(indexBytes: handle.indexBytes(), indexPath: indexPath, header: nil, scan: nil, size: size) {
                        problem(0, "segment cut to \(size) bytes; its index lists \(lost) events, lost")
                    } else {
                        problem(0, "an empty segment (\(size) bytes, no complete header: a writer stopped before writing it); it holds no events and recover removes it")
                    }
                    continue
                case .salvaged(let salvaged, let error):
                    // The header is reported; its blocks are still checked below.
                    if case .corrupt(_, let offset, let reason) = error { problem(offset, reason) } else { problem(nil, "\(error)") }
                    segment = salvaged
                case .unreadable(let error):
                    if case .corrupt(_, let offset, let reason) = error { problem(offset, reason) } else { problem(nil, "\(error)") }
                    expectedSequence = nil
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
                var sequence = segment.header.firstSequence
                var indexNamesWrong = false
                for (blockIndex, block) in segment.blocks.enumerated() {
                    if block.header.firstSequence != sequence, segment.damage.isEmpty {
                        problem(block.offset, "block starts at sequence \(block.header.firstSequence), expected \(sequence)")
                    }
                    sequence = block.header.firstSequence + UInt64(block.header.eventCount)
                    do {
                        // Decoding checks the payload, the header's count and time range, and the custom JSON.
                        let decoded = try segment.bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in
                            try BlockDecoding.decode(raw, block, path: path)
                        }
                        // Readers skip blocks by the index's names: names it lacks would hide events.
                        if let listed = segment.blockNames[blockIndex], !Set(decoded.metrics.map(\.name)).isSubset(of: listed) {
                            indexNamesWrong = true
                        }
                    } catch {
                        if case .corrupt(_, _, let reason) = error { problem(block.offset, reason) } else { problem(block.offset, "\(error)") }
                    }
                }
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
                expectedSequence = segment.nextSequence
            }
        }
        return problems
    }
}
