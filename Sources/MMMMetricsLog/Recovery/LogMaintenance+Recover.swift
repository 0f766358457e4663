import MMMMetricsCore
import MMMMetricsLogFormat

extension LogMaintenance {
    /// Truncates a torn tail of each session's last segment and rebuilds missing, stale or corrupt
    /// indexes. Never deletes anything before damage; sessions whose writer holds the lock are left alone.
    public func recover(session only: String? = nil, durability: LogDurability = .onFlush) throws(LogError) -> [RecoveryAction] {
        var results: [RecoveryAction] = []
        let root = try self.root
        for session in try sessionList(only) {
            var action = RecoveryAction(session: session, actions: [])
            let lockPath = root.sessionPath(session) + "/LOCK"
            let lock = try OpenFile(path: lockPath, mode: .readWriteCreate)
            guard try lock.tryLock() else {
                action.actions.append("skipped: a writer holds \(lockPath)")
                results.append(action)
                continue
            }
            defer { lock.close() }
            let leftovers = LeftoverFiles.removeTemporaries(in: root.sessionPath(session))
            if !leftovers.isEmpty {
                action.actions.append("removed \(EnglishText.count(leftovers.count, "temporary file")) a killed writer left: \(leftovers.joined(separator: ", "))")
            }
            let handles = try root.segments(session: session)
            for (position, handle) in handles.enumerated() {
                let path = handle.name
                let file = String(path.split(separator: "/").last ?? "")
                var segment: StoredSegment
                var opened = try StoredSegment.open(handle, fullScan: true)
                if case .salvaged = opened, try HeaderRepair.rewriteIfCertain(at: path, session: session, durability: durability) {
                    action.actions.append("\(file): rewrote its damaged header (the blocks after it are intact)")
                    opened = try StoredSegment.open(handle, fullScan: true)
                }
                switch opened {
                case .loaded(let loaded):
                    segment = loaded
                case .salvaged(_, let error):
                    action.actions.append("\(file): left as is (its header is damaged and cannot be rebuilt with certainty; readers read its intact blocks): \(error)")
                    continue
                case .headerless(_, let size):
                    // It holds no events (no header, no valid block): removing it loses nothing more and lets
                    // the writer create the segment again. Its index may prove that it held some.
                    let lost = StoredSegment.eventsMissing(handle, header: nil, scan: nil, size: size)
                    try FileSystem.removeFile(path)
                    FileSystem.remove(LogRoot.indexPath(forSegment: path))
                    if durability != .none { FileSystem.syncDirectory(FileSystem.parent(of: path)) }
                    if let lost {
                        action.actions.append("\(file): removed a segment cut to \(size) bytes (no complete header); its index listed \(lost) events, lost")
                    } else {
                        action.actions.append("\(file): removed an empty segment (\(size) bytes, no complete header, no events)")
                    }
                    continue
                case .unreadable(let error):
                    action.actions.append("\(file): left as is (its events cannot be placed): \(error)")
                    continue
                }
                for damage in segment.damage {
                    switch damage {
                    case .tornTail(let offset, let bytes, let events) where position == handles.count - 1 || segment.sealed:
                        let handle = try OpenFile(path: path, mode: .write)
                        try handle.truncate(to: offset)
                        if durability != .none { try handle.sync() }
                        action.actions.append("\(file): truncated a torn tail of \(bytes) bytes at offset \(offset)"
                            + (events.map { " (\($0) events)" } ?? ""))
                        segment = try StoredSegment.load(path, fullScan: true)
                    default:
                        action.actions.append("\(file): kept damage (nothing after it is deleted): \(damage)")
                    }
                }
                let index = try segment.bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in
                    BlockDecoding.buildIndex(raw, try SegmentScan.scan(raw, path: path), path: path)
                }
                // An index that checks out can still lie about its blocks' names (readers skip by them):
                // whatever differs from the index the blocks give is rewritten.
                let rebuilt = index.encoded()
                let stored = try? FileSystem.readFile(LogRoot.indexPath(forSegment: path))
                if case .valid = segment.indexState, stored == rebuilt { continue }
                // An index that says the same in other bytes (another zstd level, a raw summaries section) is kept.
                if case .valid = segment.indexState, let stored,
                    let decoded = try? stored.withBytes({ (raw: UnsafeRawBufferPointer) throws(LogError) in try SegmentIndex.decode(raw, path: path) }),
                    decoded == index, decoded.names.map(ExactText.init) == index.names.map(ExactText.init)
                {
                    continue
                }
                try FileSystem.writeAtomically(LogRoot.indexPath(forSegment: path), rebuilt, sync: durability != .none)
                let versionOne = stored.map { $0.count > 9 && $0[8] == 1 && $0[9] == 0 } ?? false
                let was = if case .valid = segment.indexState {
                    versionOne ? "of version 1, without block summaries" : "it differed from the index its blocks give (metric names or block summaries)"
                } else {
                    "\(segment.indexState)"
                }
                action.actions.append("\(file): rebuilt the index (was \(was))")
            }
            results.append(action)
        }
        return results
    }
}
