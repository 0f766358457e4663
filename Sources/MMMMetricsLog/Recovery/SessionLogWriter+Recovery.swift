import MMMMetricsCore
import MMMMetricsLogFormat

// What a writer repairs when it opens a session, and how a batch of appends is undone.
extension SessionLogWriter {
    /// Examines the last segment: removes it when it holds no header (a crash right after creating
    /// it), cuts a torn tail, keeps appending to it when unsealed.
    func openLastSegment() throws(LogError) {
        let (found, removed) = try removeHeaderlessSegments()
        guard let (last, foundBytes) = found else {
            if let path = removed.first {
                recovery = RecoveryReport(segmentPath: path, truncatedBytes: 0, droppedEvents: nil, damageKept: [], removedEmptySegments: removed)
            }
            return
        }
        var bytes = foundBytes
        var rewroteHeader = false
        if bytes.withUnsafeBytes({ (try? SegmentHeader.decode($0, path: last)) == nil }) {
            switch try repairHeader(of: last, bytes, removed: removed) {
            case .rewritten(let repaired): (bytes, rewroteHeader) = (repaired, true)
            case .keptAsDamage: return
            case .notRepairable: break  // the scan below fails, naming the header
            }
        }
        try continueSegment(last, bytes, removed: removed, rewroteHeader: rewroteHeader)
    }

    /// Removes the session's last segments while they have no header and no block (they hold no
    /// events, and the file name is needed again); returns the last segment left, with its bytes.
    private func removeHeaderlessSegments() throws(LogError) -> (found: (path: String, bytes: [UInt8])?, removed: [String]) {
        var paths = try root.segmentPaths(session: session)
        var removed: [String] = []
        while let last = paths.last {
            let bytes = try FileSystem.readFile(last)
            guard bytes.withUnsafeBytes({ SegmentScan.isHeaderless($0) }) else { return ((last, bytes), removed) }
            try FileSystem.removeFile(last)
            FileSystem.remove(LogRoot.indexPath(forSegment: last))
            if options.durability != .none { FileSystem.syncDirectory(directory) }
            removed.append(last)
            paths.removeLast()
        }
        return (nil, removed)
    }

    private enum HeaderRepairOutcome {
        /// The header was rebuilt from the blocks: the segment's new bytes.
        case rewritten([UInt8])
        /// The segment stays as it is, for readers; new events go to a new segment after it.
        case keptAsDamage
        /// Nothing places the segment in the session.
        case notRepairable
    }

    /// A last segment whose header is damaged: rebuilt when its blocks make that certain, else left
    /// for readers (who read its blocks) with the writer moved past it.
    private func repairHeader(of last: String, _ bytes: [UInt8], removed: [String]) throws(LogError) -> HeaderRepairOutcome {
        if try HeaderRepair.rewriteIfCertain(at: last, session: session, durability: options.durability) {
            return .rewritten(try FileSystem.readFile(last))
        }
        if let salvaged = StoredSegment.salvage(last, bytes) {
            writtenSequence = salvaged.nextSequence
            recovery = RecoveryReport(segmentPath: last, truncatedBytes: 0, droppedEvents: nil, damageKept: salvaged.damage,
                                      removedEmptySegments: removed, keptDamagedHeader: true)
            return .keptAsDamage
        }
        if let named = StoredSegment.sequence(fromName: last), named < UInt64.max {
            // No header and no block that can be placed (a power loss under durability none can zero
            // the first sector and cut the block that crossed it): nothing in it can be read, but it is
            // damage, never deleted. New events go to a new segment after it; readers report it.
            writtenSequence = named + 1
            recovery = RecoveryReport(segmentPath: last, truncatedBytes: 0, droppedEvents: nil, damageKept: [],
                                      removedEmptySegments: removed, keptDamagedHeader: true)
            return .keptAsDamage
        }
        return .notRepairable
    }

    /// Scans the last segment (which must belong to this session and match its file name), cuts a
    /// torn tail, and continues it when it is not sealed.
    private func continueSegment(_ last: String, _ bytes: [UInt8], removed: [String], rewroteHeader: Bool) throws(LogError) {
        let (scan, index) = try scanLastSegment(last, bytes)
        var report = RecoveryReport(segmentPath: last, truncatedBytes: 0, droppedEvents: nil, damageKept: [], removedEmptySegments: removed,
                                    rewroteHeader: rewroteHeader)
        for damage in scan.damage {
            if case .tornTail(_, let count, let events) = damage {
                report.truncatedBytes = count
                report.droppedEvents = events
            } else {
                report.damageKept.append(damage)
            }
        }
        // An index that covers more than the segment holds proves events lost (the scan sees only the torn block).
        let handle = SegmentHandle(name: last, bytes: { () throws(LogError) -> [UInt8] in bytes },
                                   index: { try? FileSystem.readFile(LogRoot.indexPath(forSegment: last)) })
        if let cut = StoredSegment.cutShort(handle, header: scan.header, scan: scan, size: bytes.count) {
            report.eventsListedByIndexLost = Int(clamping: cut.events)
        }
        func cutTail(_ file: OpenFile) throws(LogError) {
            // Bytes after the last block or after a seal: cut so the segment ends where its data does.
            guard report.truncatedBytes > 0 else { return }
            try file.truncate(to: scan.validEnd)
            if options.durability != .none { try file.sync() }
        }
        if let seal = scan.seal {
            // Opened only to cut: a sealed segment is never written again.
            if report.truncatedBytes > 0 { try cutTail(try OpenFile(path: last, mode: .write)) }
            writtenSequence = max(seal.nextSequence, scan.nextSequence)
        } else if let index {
            let file = try OpenFile(path: last, mode: .append)
            try cutTail(file)
            segment = OpenSegment(
                file: file, header: scan.header, size: scan.validEnd, blocks: scan.blocks,
                blockNames: index.entries.map { $0.names.map { index.names[$0] } }, blockSummaries: index.summaries)
            writtenSequence = scan.nextSequence
        }
        if report.truncatedBytes > 0 || !report.damageKept.isEmpty || !removed.isEmpty || rewroteHeader || report.eventsListedByIndexLost != nil {
            recovery = report
        }
    }

    /// The last segment's scan, and for an unsealed one the index of its blocks.
    private func scanLastSegment(_ last: String, _ bytes: [UInt8]) throws(LogError) -> (SegmentScan, SegmentIndex?) {
        try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in
            let scan = try SegmentScan.scan(raw, path: last)
            guard scan.header.sessionID == session else {
                throw LogError.corrupt(path: last, offset: 34, reason: "the segment belongs to session \(scan.header.sessionID.debugDescription), not \(session.debugDescription)")
            }
            if let named = StoredSegment.sequence(fromName: last), named != scan.header.firstSequence {
                throw LogError.corrupt(path: last, offset: 16, reason: "the file name says the segment starts at sequence \(named), its header says \(scan.header.firstSequence)")
            }
            guard !scan.isSealed else { return (scan, nil) }
            return (scan, BlockDecoding.buildIndex(raw, scan, path: last))
        }
    }

    /// The state of the session's files, to return to when a batch of appends must be undone.
    struct Checkpoint {
        let segmentFiles: Set<String>
        let openSegment: (path: String, size: Int, index: [UInt8]?)?
    }

    /// Where the session's files stand now (everything appended so far written).
    func checkpoint() throws(LogError) -> Checkpoint {
        try settleInFlight()
        let files = Set(try root.segmentPaths(session: session))
        let open = segment.map { ($0.file.path, $0.size, try? FileSystem.readFile(LogRoot.indexPath(forSegment: $0.file.path))) }
        return Checkpoint(segmentFiles: files, openSegment: open)
    }

    /// Undoes everything written since `checkpoint` (new segments removed, the segment that was open
    /// cut back and its index restored; a directory this writer made removed), then releases the
    /// lock. The writer is closed afterwards. Best effort: a file that cannot be restored is left
    /// for `recover`, which never loses a readable event.
    func rollBack(to checkpoint: Checkpoint) {
        closed = true
        discardInFlight()
        removePending(pending.count)
        segment?.file.close()
        segment = nil
        let current = (try? root.segmentPaths(session: session)) ?? []
        for path in current where !checkpoint.segmentFiles.contains(path) {
            FileSystem.remove(path)
            FileSystem.remove(LogRoot.indexPath(forSegment: path))
        }
        if let open = checkpoint.openSegment, let file = try? OpenFile(path: open.path, mode: .write) {
            try? file.truncate(to: open.size)
            if options.durability != .none { try? file.sync() }
            let indexPath = LogRoot.indexPath(forSegment: open.path)
            if let index = open.index { try? FileSystem.writeAtomically(indexPath, index, sync: options.durability != .none) } else { FileSystem.remove(indexPath) }
        }
        if createdDirectory, ((try? root.segmentPaths(session: session)) ?? []).isEmpty {
            for name in (try? FileSystem.listDirectory(directory)) ?? [] { FileSystem.remove(directory + "/" + name) }
            FileSystem.removeDirectory(directory)
        }
        lock.close()
    }
}
