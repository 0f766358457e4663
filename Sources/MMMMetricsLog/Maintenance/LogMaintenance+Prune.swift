public import MMMMetricsCore
public import MMMMetricsLogFormat

/// What `prune` did, or would do, with one session that was old enough.
public struct PruneAction: Sendable, Hashable, CustomStringConvertible {
    /// What happened to the session.
    public enum Outcome: Sendable, Hashable {
        /// The session's directory was removed; `archive` is the verified archive written first, if asked for.
        case removed(archive: String?)
        /// A dry run: the session would be removed (after archiving it to `archive`).
        case wouldRemove(archive: String?)
        /// Left alone, and rightly so (a writer holds it).
        case kept(reason: String)
        /// Left alone because something asked for could not be done (the archive could not be
        /// written or did not read back): the command fails.
        case failed(reason: String)
    }

    /// The session.
    public var session: String
    /// Events the session held.
    public var events: Int
    /// Its last activity (ns): the later of its last event and the last change to its files.
    public var lastActivity: Int64
    /// What happened.
    public var outcome: Outcome

    public var description: String {
        let facts = "\(EnglishText.count(events, "event")), last active \(RFC3339.format(MetricTimestamp(nanosecondsSinceEpoch: lastActivity)))"
        switch outcome {
        case .removed(let archive):
            return "removed \(session) (\(facts))" + (archive.map { ", archived to \($0)" } ?? "")
        case .wouldRemove(let archive):
            return "would remove \(session) (\(facts))" + (archive.map { ", after archiving it to \($0)" } ?? "")
        case .kept(let reason):
            return "kept \(session) (\(facts)): \(reason)"
        case .failed(let reason):
            return "not removed \(session) (\(facts)): \(reason)"
        }
    }
}

/// The result of a prune: one action per session old enough, and how many were younger.
public struct PruneReport: Sendable, Hashable {
    /// Sessions whose last activity is before the cut-off, by id.
    public var actions: [PruneAction]
    /// Sessions active since the cut-off (untouched).
    public var recentSessions: Int
    /// Leftovers of an interrupted prune that were removed (directories already hidden from readers).
    public var leftoversRemoved: [String]

    /// Whether everything asked for was done (no ``PruneAction/Outcome/failed(reason:)``).
    public var succeeded: Bool {
        !actions.contains { if case .failed = $0.outcome { true } else { false } }
    }
}

extension LogMaintenance {
    /// Removes sessions whose last activity is more than `age` before `now`.
    ///
    /// Guarantees:
    /// - A session's last activity is the later of its newest event timestamp and the last
    ///   modification of a file in its directory (other than `LOCK`), so a session imported today with old events is
    ///   not old.
    /// - A session whose lock is held (a writer, `mmm-record`, `recover`) is never touched; the
    ///   lock is held from the check until the session is gone, so no writer starts in between.
    /// - With `archiveDirectory`, a session is removed only after its archive
    ///   (`DIR/<session directory name>.mmmar`) is written, synced and read back with the same
    ///   number of events. An archive already there is accepted only when it is byte for byte the
    ///   one that would be written; otherwise the session is kept and the action fails. A session
    ///   that cannot be archived (damaged blocks) is kept.
    /// - Removal first renames the directory to a hidden `sessions/.prune-…` name (one atomic step:
    ///   readers see the whole session or nothing), then deletes its files. A prune interrupted
    ///   after the rename leaves a hidden directory that the next prune removes.
    /// - `dryRun` changes nothing (it does not even create lock files).
    public func prune(
        olderThan age: Duration, now: MetricTimestamp = .now(), archiveDirectory: String? = nil, dryRun: Bool = false
    ) throws(LogError) -> PruneReport {
        let root = try self.root
        if let archiveDirectory {
            guard !root.holdsSessionData(at: archiveDirectory) else {
                throw .invalidInput("\(archiveDirectory): refusing to archive into the log's session data (\(root.sessionsPath))")
            }
            if !dryRun { try FileSystem.makeDirectories(archiveDirectory) }
        }
        let (cutoff, overflow) = now.nanosecondsSinceEpoch.subtractingReportingOverflow(age.totalNanoseconds)
        let oldest = overflow ? Int64.min : cutoff
        var report = PruneReport(actions: [], recentSessions: 0, leftoversRemoved: dryRun ? [] : removeInterruptedPrunes(root))
        for session in try root.sessionIDs() {
            let directory = root.sessionPath(session)
            // The cheap test first: a file changed since the cut-off makes the session recent.
            guard Self.lastModification(of: directory) < oldest else {
                report.recentSessions += 1
                continue
            }
            // A session left alone (or, in a dry run, one that would go): counted as recent after
            // all when its events are newer than its files.
            func settle(_ outcome: PruneAction.Outcome) {
                let (events, last) = eventFacts(session, directory: directory)
                guard last < oldest else { return report.recentSessions += 1 }
                report.actions.append(PruneAction(session: session, events: events, lastActivity: last, outcome: outcome))
            }
            if dryRun {
                let lockPath = directory + "/LOCK"
                if FileSystem.exists(lockPath), let lock = try? OpenFile(path: lockPath, mode: .read) {
                    defer { lock.close() }
                    if try !lock.tryLock() {
                        settle(.kept(reason: "a writer holds its lock"))
                        continue
                    }
                }
                settle(.wouldRemove(archive: archiveDirectory.map { archivePath(for: session, in: $0) }))
                continue
            }
            let lock: OpenFile
            do {
                lock = try OpenFile(path: directory + "/LOCK", mode: .readWriteCreate)
            } catch where !FileSystem.isDirectory(directory) {
                continue  // removed meanwhile (another prune): nothing left to do
            }
            defer { lock.close() }
            guard try lock.tryLock() else {
                settle(.kept(reason: "a writer holds its lock"))
                continue
            }
            // Counted with the lock held: no writer adds events from here on.
            let (events, last) = eventFacts(session, directory: directory)
            guard last < oldest else { report.recentSessions += 1; continue }
            var archive: String?
            if let archiveDirectory {
                let path = archivePath(for: session, in: archiveDirectory)
                if let problem = archiveVerified(session: session, events: events, root: root, to: path) {
                    report.actions.append(PruneAction(session: session, events: events, lastActivity: last, outcome: .failed(reason: problem)))
                    continue
                }
                archive = path
            }
            try remove(directory, root: root)
            report.actions.append(PruneAction(session: session, events: events, lastActivity: last, outcome: .removed(archive: archive)))
        }
        return report
    }

    /// The archive file a session is pruned into: its directory name, which is safe as a file name.
    func archivePath(for session: String, in directory: String) -> String {
        (directory.hasSuffix("/") ? directory : directory + "/") + LogRoot.directoryName(for: session) + ".mmmar"
    }

    /// The number of events of a session and its last activity (later of last event and last file change).
    private func eventFacts(_ session: String, directory: String) -> (events: Int, lastActivity: Int64) {
        let summary = (try? summaries(session: session, mode: .lenient))?.sessions.first
        let modified = Self.lastModification(of: directory)
        return (summary?.events ?? 0, max(summary?.lastTimestamp ?? .min, modified))
    }

    /// The newest modification time of the files in a session directory. The LOCK file and the
    /// directory itself are left out: taking the lock (recover, prune itself) creates them, which is
    /// no activity.
    static func lastModification(of directory: String) -> Int64 {
        var newest = Int64.min
        for name in (try? FileSystem.listDirectory(directory)) ?? [] where name != "LOCK" {
            newest = max(newest, FileSystem.modificationTime(directory + "/" + name) ?? .min)
        }
        return newest
    }

    /// Writes and checks the archive; `nil` when it holds the session, else why not.
    private func archiveVerified(session: String, events: Int, root: LogRoot, to path: String) -> String? {
        let bytes: [UInt8]
        do {
            bytes = try SessionArchive.encoded(session: session, from: root).bytes
        } catch {
            return "it cannot be archived (\(error))"
        }
        do {
            if FileSystem.exists(path) {
                guard (try? FileSystem.readFile(path)) == bytes else {
                    return "\(path) already exists and holds something else; move it away or choose another --archive-to"
                }
            } else {
                try AtomicFile.write(bytes, to: path, sync: true)
            }
            let stored = try LogMaintenance(source: try ArchiveSource(path: path)).summaries(mode: .strict)
            let archived = stored.sessions.first
            guard archived?.session == session, archived?.events == events else {
                return "\(path) did not read back: it holds \(archived?.events ?? 0) events of \(archived?.session.debugDescription ?? "no session"), expected \(events)"
            }
        } catch {
            return "archiving to \(path) failed: \(error)"
        }
        return nil
    }

    /// Hides the session from readers in one rename, then deletes it.
    private func remove(_ directory: String, root: LogRoot) throws(LogError) {
        let hidden = root.sessionsPath + "/.prune-\(FileSystem.processID)-\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.rename(directory, to: hidden)
        FileSystem.syncDirectory(root.sessionsPath)
        Self.removeHiddenDirectory(hidden)
    }

    private static func removeHiddenDirectory(_ path: String) {
        // A link is removed, never followed (its target is not this log's).
        guard !FileSystem.isSymbolicLink(path) else { return FileSystem.remove(path) }
        for name in (try? FileSystem.listDirectory(path)) ?? [] { FileSystem.remove(path + "/" + name) }
        FileSystem.removeDirectory(path)
    }

    /// Removes `sessions/.prune-*` directories an interrupted prune left (already out of every reader's sight).
    private func removeInterruptedPrunes(_ root: LogRoot) -> [String] {
        let names = ((try? FileSystem.listDirectory(root.sessionsPath)) ?? []).filter { $0.hasPrefix(".prune-") }
        for name in names { Self.removeHiddenDirectory(root.sessionsPath + "/" + name) }
        return names
    }
}
