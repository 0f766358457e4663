import MMMMetricsCore
import MMMMetricsLogFormat

/// What an ingest appended.
public struct IngestReport: Sendable {
    /// Events appended per session, in order of first appearance, with the events the session
    /// held before (its next sequence number when opened: 0 for a new or empty session).
    public var sessions: [(id: String, events: Int, before: Int)]
    /// Lines skipped in follow mode (bad lines are errors otherwise).
    public var skippedLines: Int
    /// What opening a session's writer repaired (a torn tail cut, damage kept), per session: a tool
    /// says so, since the repair is not undone with the ingest.
    public var repairs: [(session: String, report: RecoveryReport)] = []
    /// In follow mode, the termination signal that stopped the reading (everything read before it
    /// was stored), else 0; with the bytes of a last line it cut short, not stored.
    public var stoppedBySignal: Int32 = 0
    public var unfinishedLineBytes = 0

    /// Events appended in all.
    public var totalEvents: Int { sessions.reduce(0) { $0 + $1.events } }
}

/// NDJSON into a log root: the contract other tools build on (docs/FORMAT.md, "NDJSON events").
public enum NDJSONIngest {
    /// Appends the events of every line of `bytes` to their sessions, all or nothing: when any line
    /// is invalid, or a session cannot be written, everything this call wrote is undone and the error
    /// names the line.
    public static func ingest(
        _ bytes: [UInt8], source: String, into root: LogRoot, defaultSession: String?, options: LogWriterOptions = LogWriterOptions()
    ) throws -> IngestReport {
        var ingest = AllOrNothing(root: root, source: source, defaultSession: defaultSession, options: options)
        do {
            try bytes.withUnsafeBytes { raw in try NDJSONLines.forEachLine(raw) { line, _ in try ingest.handle(line) } }
            return try ingest.finish()
        } catch {
            ingest.rollBack()
            throw error
        }
    }

    /// The longest line a streaming ingest reads: an event is at most 16 MiB encoded, and its JSON
    /// (escapes, numbers as text) at most a few times that.
    public static let maximumLineBytes = 64 << 20

    /// Streams NDJSON from `path` (standard input when `nil`) into the log in bounded memory, all or
    /// nothing like ``ingest(_:source:into:defaultSession:options:)``: events are appended as lines
    /// are read (each session's writer holds at most one block before writing it), and a bad line,
    /// a line over ``maximumLineBytes`` or a session that cannot be written undoes everything written
    /// so far. Memory is one read buffer, the line being read, a few thousand parsed events on their
    /// way, the current session's pending block and at most one block's worth of events pending in
    /// the others (``AllOrNothing/pendingBudget``); not the input, and not the number of sessions.
    /// Reading and parsing run on a thread of their own, beside the writing.
    public static func ingest(
        from path: String?, into root: LogRoot, defaultSession: String?, options: LogWriterOptions = LogWriterOptions()
    ) throws -> IngestReport {
        try ingest(from: path, into: root, defaultSession: defaultSession, options: options, compressOnOwnThread: true)
    }

    /// The same, choosing where blocks are compressed (on the writing thread when `false`: for the
    /// test that both give the same bytes).
    package static func ingest(
        from path: String?, into root: LogRoot, defaultSession: String?, options: LogWriterOptions, compressOnOwnThread: Bool
    ) throws -> IngestReport {
        let input = try path.map { (path: String) throws(LogError) in try InputStream.open(path: path) } ?? .standardInput
        let handoff = LineBatchHandoff(capacity: 8, byteCapacity: bytesInFlight)
        do {
            try DedicatedThread.start(for: "ingest of \(input.name)") {
                readLines(from: input, defaultSession: defaultSession, into: handoff)
            }
        } catch {
            if path != nil { input.close() }
            throw error
        }
        // The reading thread stops (and is waited for) before the input is closed, however this ends.
        defer {
            handoff.cancel()
            handoff.waitUntilProducerFinished()
            if path != nil { input.close() }
        }
        // Blocks are compressed on a third thread while the writing thread encodes the next.
        let lane = compressOnOwnThread ? BlockCompressionLane.start() : nil
        defer { lane?.stop() }
        var ingest = AllOrNothing(root: root, source: input.name, defaultSession: defaultSession, options: options, lane: lane)
        do {
            reading: while true {
                switch handoff.take() {
                case .lines(let lines):
                    // The reading thread may be done long before the writing one: a termination
                    // signal is looked for here too, so it undoes the ingest until the very end.
                    try InterruptSignal.check("ingest of \(input.name)")
                    for line in lines { try ingest.append(line.event, to: line.session, line: line.number) }
                case .failed(let error):
                    throw error
                case .end:
                    break reading
                }
            }
            return try ingest.finish { () throws(LogError) in try InterruptSignal.check("ingest of \(input.name)") }
        } catch {
            ingest.rollBack()
            throw error
        }
    }

    /// How many parsed lines travel together from the reading thread to the writing one, at most:
    /// a batch is also handed over once its lines hold `bytesPerBatch` bytes.
    static let linesPerBatch = 4096
    static let bytesPerBatch = 1 << 20
    /// About how many bytes of input lines may wait between the reading and the writing thread (8
    /// batches of small lines; a few lines of large custom events, whose events take memory as
    /// their text does: with a bound on lines only, 1 MB events took 40 MB more).
    static let bytesInFlight = 8 << 20

    /// The reading thread of a streaming ingest: lines to events, in batches, until the end of the
    /// input, the first error (handed over, then nothing more) or the writer's cancellation.
    private static func readLines(from input: InputStream, defaultSession: String?, into handoff: LineBatchHandoff) {
        defer { handoff.producerFinished() }
        struct Cancelled: Error {}
        var parser = NDJSONLineParser(source: input.name, defaultSession: defaultSession)
        var lineNumber = 0
        var batch: [ParsedLine] = []
        var batchBytes = 0
        batch.reserveCapacity(linesPerBatch)
        // Hands the batch over and starts the next; `false` when the writer has stopped.
        func handOver() -> Bool {
            guard handoff.put(.lines(batch), bytes: batchBytes) else { return false }
            batch = []
            batchBytes = 0
            batch.reserveCapacity(linesPerBatch)
            return true
        }
        func handle(_ line: UnsafeRawBufferPointer) throws {
            lineNumber += 1
            if NDJSONLines.isBlank(line) { return }
            let (session, event) = try parser.parse(line, number: lineNumber)
            batch.append(ParsedLine(number: lineNumber, session: session, event: event))
            batchBytes += line.count
            if batch.count == linesPerBatch || batchBytes >= bytesPerBatch {
                guard handOver() else { throw Cancelled() }
            }
        }
        do {
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            var carry: [UInt8] = []
            while true {
                // Before waiting for a slow pipe, hand over what is parsed: the writer keeps up
                // with the input instead of waiting for a full batch.
                if !batch.isEmpty, try !input.waitReadable(timeout: .zero) {
                    guard handOver() else { throw Cancelled() }
                }
                // A termination signal (when the caller catches them) undoes the ingest like a bad
                // line. The signal may reach another thread than this one, so a read never waits
                // for a pipe longer than a fifth of a second without looking.
                while try !input.waitReadable(timeout: .milliseconds(200)) {
                    try InterruptSignal.check("ingest of \(input.name)")
                    guard !handoff.isCancelled else { throw Cancelled() }
                }
                try InterruptSignal.check("ingest of \(input.name)")
                let count = try chunk.withUnsafeMutableBytes { buffer in Result { () throws(LogError) -> Int in try input.read(into: buffer) } }.get()
                if count == 0 { break }
                try chunk.withUnsafeBytes { raw in
                    let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                    // Only the new bytes are searched: a long line costs its length once, not once per read.
                    let first = NDJSONLines.newline(in: bytes, from: 0)
                    if carry.count + (first ?? bytes.count) > maximumLineBytes {
                        throw IngestError(source: input.name, line: lineNumber + 1,
                                          message: "line longer than \(maximumLineBytes >> 20) MiB (no event is that large)")
                    }
                    guard let first else {
                        carry.append(contentsOf: bytes)
                        return
                    }
                    carry.append(contentsOf: bytes[..<first])
                    try carry.withUnsafeBytes { line in try handle(line) }
                    carry.removeAll(keepingCapacity: carry.count <= 1 << 20)
                    let last = bytes.lastIndex(of: 0x0A)!
                    if last > first {
                        try NDJSONLines.forEachLine(UnsafeRawBufferPointer(rebasing: bytes[(first + 1)..<last])) { line, _ in try handle(line) }
                    }
                    carry.append(contentsOf: bytes[(last + 1)...])
                }
            }
            if !carry.isEmpty { try carry.withUnsafeBytes { line in try handle(line) } }
            if !batch.isEmpty { guard handOver() else { return } }
            _ = handoff.put(.end)
        } catch is Cancelled {
            return
        } catch {
            _ = handoff.put(.failed(error))
        }
    }

    /// One ingest's writers: each session's writer is opened (its lock taken and a checkpoint kept)
    /// at the session's first line, and every writer is rolled back when anything fails.
    struct AllOrNothing {
        let root: LogRoot
        let source: String
        let defaultSession: String?
        let options: LogWriterOptions
        private var parser: NDJSONLineParser
        /// One session's writer, where its rollback returns to, and what this ingest appended.
        final class Entry {
            let writer: SessionLogWriter
            let checkpoint: SessionLogWriter.Checkpoint
            let before: Int
            var events = 0

            init(writer: SessionLogWriter, checkpoint: SessionLogWriter.Checkpoint) {
                self.writer = writer
                self.checkpoint = checkpoint
                before = Int(clamping: writer.nextSequence)
            }
        }

        // Sessions by the bytes of their ids: "é" and "e\u{301}" are two sessions, as on disk.
        var writers: [ExactText: Entry] = [:]
        var order: [String] = []
        var repairs: [(session: String, report: RecoveryReport)] = []
        private(set) var lineNumber = 0
        /// Whether `sessions/` and the root were there before: a rolled-back ingest into a new root
        /// leaves no directory.
        let sessionsExisted: Bool
        let rootExisted: Bool

        /// Where the writers compress blocks, when not on the writing thread.
        let lane: BlockCompressionLane?

        init(root: LogRoot, source: String, defaultSession: String?, options: LogWriterOptions, lane: BlockCompressionLane? = nil) {
            self.lane = lane
            self.root = root
            self.source = source
            self.defaultSession = defaultSession
            self.options = options
            parser = NDJSONLineParser(source: source, defaultSession: defaultSession)
            sessionsExisted = FileSystem.isDirectory(root.sessionsPath)
            rootExisted = FileSystem.isDirectory(root.path)
        }

        /// One input line (blank lines count in the numbering and are skipped).
        mutating func handle(_ line: UnsafeRawBufferPointer) throws {
            lineNumber += 1
            if NDJSONLines.isBlank(line) { return }
            let (session, event) = try parser.parse(line, number: lineNumber)
            try append(event, to: session, line: lineNumber)
        }

        /// The event of input line `line`, appended to its session.
        mutating func append(_ event: MetricEvent, to session: String, line: Int) throws {
            lineNumber = line
            let key = ExactText(session)
            // Input is usually grouped by session: the current one needs no lookup.
            if let current, let currentEntry, key == current {
                try currentEntry.writer.append(event)
                currentEntry.events += 1
                return
            }
            if writers[key] == nil {
                let writer: SessionLogWriter
                do {
                    writer = try SessionLogWriter(root: root, session: session, options: options)
                } catch {
                    throw IngestError(source: source, line: lineNumber, message: "cannot write session \(session): \(error)")
                }
                let checkpoint: SessionLogWriter.Checkpoint
                do { checkpoint = try writer.checkpoint() } catch {
                    writer.abandon()
                    throw error
                }
                writer.compressionLane = lane
                writers[key] = Entry(writer: writer, checkpoint: checkpoint)
                order.append(session)
                if let recovery = writer.recovery { repairs.append((session, recovery)) }
            }
            try switchSession(to: key)
            try currentEntry!.writer.append(event)
            currentEntry!.events += 1
        }

        /// What the sessions other than the current one may hold in pending blocks at once: one
        /// block's worth, in events and in encoded bytes (8 MiB, the block limit). When the input
        /// moves to another session and the others hold more, the largest are written out (as
        /// shorter blocks), so memory stays bounded however many sessions the input holds. Input
        /// grouped by session loses nothing by it: a session's last block is short anyway.
        static let pendingBudget = (events: 32_768, bytes: 8 << 20)
        private var current: ExactText?
        private var currentEntry: Entry?
        /// Sessions other than the current one with pending events, and what they hold.
        private var waiting: Set<ExactText> = []
        private var waitingEvents = 0
        private var waitingBytes = 0

        private var overBudget: Bool { waitingEvents > Self.pendingBudget.events || waitingBytes > Self.pendingBudget.bytes }
        /// Once over budget, sessions are written out down to half of it: the largest first, found by
        /// one sort per half-budget of input, not one per line (2,000 sessions round-robin took 30
        /// times the CPU of the same lines grouped).
        private var overHalfBudget: Bool {
            waitingEvents > Self.pendingBudget.events / 2 || waitingBytes > Self.pendingBudget.bytes / 2
        }

        private mutating func switchSession(to key: ExactText) throws {
            if let previous = current, let writer = writers[previous]?.writer {
                // The writer left behind gives back its compression context (megabytes) until its next block.
                writer.releaseMemory()
                if writer.pendingCount > 0, waiting.insert(previous).inserted {
                    waitingEvents += writer.pendingCount
                    waitingBytes += writer.pending.bytes
                }
            }
            if waiting.remove(key) != nil {
                waitingEvents -= writers[key]!.writer.pendingCount
                waitingBytes -= writers[key]!.writer.pending.bytes
            }
            current = key
            currentEntry = writers[key]
            guard overBudget else { return }
            for session in waiting.sorted(by: { writers[$0]!.writer.pending.bytes > writers[$1]!.writer.pending.bytes }) {
                guard overHalfBudget else { break }
                let writer = writers[session]!.writer
                waitingEvents -= writer.pendingCount
                waitingBytes -= writer.pending.bytes
                waiting.remove(session)
                // Written, not synced: closing every writer at the end syncs them (a failed ingest undoes it all).
                try writer.writePending()
                writer.releaseMemory()
            }
        }

        /// Closes (seals) every session and says what was appended.
        /// `check` runs before each session's last block and seal (a termination signal throws there).
        mutating func finish(check: () throws(LogError) -> Void = {}) throws -> IngestReport {
            // Every last block first, so each is encoded while the lane compresses the one before.
            for session in order {
                try check()
                try writers[ExactText(session)]!.writer.writePending()
            }
            for session in order {
                try check()
                try writers[ExactText(session)]!.writer.close()
            }
            return IngestReport(sessions: order.map { session in
                let entry = writers[ExactText(session)]!
                return (session, entry.events, entry.before)
            }, skippedLines: 0, repairs: repairs)
        }

        /// Undoes everything written, newest session first.
        func rollBack() {
            for session in order.reversed() {
                let entry = writers[ExactText(session)]!
                entry.writer.rollBack(to: entry.checkpoint)
            }
            // Only when empty: another process may have started a session meanwhile.
            if !sessionsExisted { FileSystem.removeDirectory(root.sessionsPath) }
            if !rootExisted { FileSystem.removeDirectory(root.path) }
        }
    }

    /// Reads NDJSON from `path` (standard input when `nil`) until the end of the input, appending
    /// continuously and flushing every `flushInterval`. A bad line, or a line of a session that cannot
    /// be opened for writing, is reported through `warning` and skipped (earlier lines are already
    /// written). Writers are closed (segments sealed) at the end. Where termination signals are
    /// caught (``InterruptSignal/catchTermination()``), one ends the reading as the end of the input
    /// does: every whole line read is stored (``IngestReport/stoppedBySignal`` says which signal).
    public static func follow(
        from path: String?, into root: LogRoot, defaultSession: String?, flushInterval: Duration,
        options: LogWriterOptions = LogWriterOptions(), warning: (IngestError) -> Void
    ) throws -> IngestReport {
        let input = try path.map { (path: String) throws(LogError) in try InputStream.open(path: path) } ?? .standardInput
        let source = input.name
        var writers: [ExactText: SessionLogWriter] = [:]
        var order: [String] = []
        var counts: [ExactText: Int] = [:]
        var before: [ExactText: Int] = [:]
        var skipped = 0
        var repairs: [(session: String, report: RecoveryReport)] = []
        var carry: [UInt8] = []
        var lineNumber = 0
        let clock = ContinuousClock()
        var nextFlush = clock.now + flushInterval
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var parser = NDJSONLineParser(source: source, defaultSession: defaultSession)

        func handle(_ line: UnsafeRawBufferPointer) throws {
            lineNumber += 1
            if NDJSONLines.isBlank(line) { return }
            do {
                let (session, event) = try parser.parse(line, number: lineNumber)
                let key = ExactText(session)
                if writers[key] == nil {
                    // A session that cannot be opened (its writer lock is held elsewhere) costs its lines, not the stream.
                    do {
                        let writer = try SessionLogWriter(root: root, session: session, options: options)
                        writers[key] = writer
                        before[key] = Int(clamping: writer.nextSequence)
                        if let recovery = writer.recovery { repairs.append((session, recovery)) }
                    } catch {
                        throw IngestError(source: source, line: lineNumber, message: "cannot write session \(session): \(error)")
                    }
                    order.append(session)
                }
                try writers[key]!.append(event)
                counts[key, default: 0] += 1
            } catch let error as IngestError {
                skipped += 1
                warning(error)
            }
        }

        func flushAll() throws {
            for session in order { try writers[ExactText(session)]!.flush() }
            nextFlush = clock.now + flushInterval
        }

        var stoppedBySignal: Int32 = 0
        while true {
            // A signal stops the reading, not the storing of what was read (lines since the last
            // flush were lost: the process died with them).
            stoppedBySignal = InterruptSignal.caught
            if stoppedBySignal != 0 { break }
            // At most 100 ms: a signal may reach another thread and not interrupt this wait.
            if try input.waitReadable(timeout: min(nextFlush - clock.now, .milliseconds(100))) {
                let read = chunk.withUnsafeMutableBytes { buffer in Result { () throws(LogError) -> Int in try input.read(into: buffer) } }
                if case .failure = read, InterruptSignal.caught != 0 { continue }
                let count = try read.get()
                if count == 0 { break }
                carry.append(contentsOf: chunk[0..<count])
                if let lastNewline = carry.lastIndex(of: 0x0A) {
                    let complete = Array(carry[...lastNewline])
                    carry.removeSubrange(...lastNewline)
                    try complete.withUnsafeBytes { raw in try NDJSONLines.forEachLine(raw) { line, _ in try handle(line) } }
                }
            }
            if clock.now >= nextFlush { try flushAll() }
        }
        // At the end of the input a last line without its newline is whole; cut by a signal it is not.
        if !carry.isEmpty, stoppedBySignal == 0 { try carry.withUnsafeBytes { try handle($0) } }
        for session in order { try writers[ExactText(session)]!.close() }
        return IngestReport(
            sessions: order.map { ($0, counts[ExactText($0)] ?? 0, before[ExactText($0)] ?? 0) }, skippedLines: skipped, repairs: repairs,
            stoppedBySignal: stoppedBySignal, unfinishedLineBytes: stoppedBySignal == 0 ? 0 : carry.count)
    }
}
