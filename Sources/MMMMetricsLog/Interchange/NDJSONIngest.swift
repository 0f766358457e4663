import MMMMetricsCore
import MMMMetricsLogFormat

/// What an ingest appended.
public struct IngestReport: Sendable {
    /// Events appended per session, in order of first appearance, with the events the session
    /// held before (its next sequence number when opened: 0 for a new or empty session).
    public var sessions: [(id: String, events: Int, before: Int)]
    /// Lines skipped in follow mode (bad lines are errors otherwise).
    public var skippedLines: Int

    /// Events appended in all.
    public var totalEvents: Int { sessions.reduce(0) { $0 + $1.events } }
}

/// NDJSON into a log root: the contract other tools build on (docs/FORMAT.md, "NDJSON events").
public enum NDJSONIngest {
    /// Validates every line of `bytes`, then appends the events to their sessions. Nothing is written
    /// when any line is invalid: the error names the line.
    public static func ingest(
        _ bytes: [UInt8], source: String, into root: LogRoot, defaultSession: String?, options: LogWriterOptions = LogWriterOptions()
    ) throws -> IngestReport {
        // Sessions by the bytes of their ids: "é" and "e\u{301}" are two sessions, as on disk.
        var order: [String] = []
        var bySession: [ExactText: [MetricEvent]] = [:]
        try bytes.withUnsafeBytes { raw in
            try NDJSONLines.forEachLine(raw) { line, number in
                if NDJSONLines.isBlank(line) { return }
                let (session, event) = try NDJSONLines.parseLine(line, number: number, source: source, defaultSession: defaultSession)
                if bySession[ExactText(session)] == nil { order.append(session) }
                bySession[ExactText(session), default: []].append(event)
            }
        }
        // Take every lock before writing anything, so a busy session cannot leave the input half
        // written; if anything fails, undo what was written, so a failed ingest leaves nothing behind.
        var opened: [(writer: SessionLogWriter, checkpoint: SessionLogWriter.Checkpoint)] = []
        var before: [Int] = []
        do {
            for session in order {
                let writer = try SessionLogWriter(root: root, session: session, options: options)
                opened.append((writer, try writer.checkpoint()))
                before.append(Int(clamping: writer.nextSequence))
            }
            for (session, (writer, _)) in zip(order, opened) {
                try writer.append(contentsOf: bySession[ExactText(session)]!)
                try writer.close()
            }
        } catch {
            for (writer, checkpoint) in opened.reversed() { writer.rollBack(to: checkpoint) }
            throw error
        }
        return IngestReport(sessions: order.enumerated().map { ($1, bySession[ExactText($1)]!.count, before[$0]) }, skippedLines: 0)
    }

    /// Reads NDJSON from `path` (standard input when `nil`) until the end of the input, appending
    /// continuously and flushing every `flushInterval`. A bad line, or a line of a session that cannot
    /// be opened for writing, is reported through `warning` and skipped (earlier lines are already
    /// written). Writers are closed (segments sealed) at the end.
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
        var carry: [UInt8] = []
        var lineNumber = 0
        let clock = ContinuousClock()
        var nextFlush = clock.now + flushInterval
        var chunk = [UInt8](repeating: 0, count: 1 << 16)

        func handle(_ line: UnsafeRawBufferPointer) throws {
            lineNumber += 1
            if NDJSONLines.isBlank(line) { return }
            do {
                let (session, event) = try NDJSONLines.parseLine(line, number: lineNumber, source: source, defaultSession: defaultSession)
                let key = ExactText(session)
                if writers[key] == nil {
                    // A session that cannot be opened (its writer lock is held elsewhere) costs its lines, not the stream.
                    do {
                        let writer = try SessionLogWriter(root: root, session: session, options: options)
                        writers[key] = writer
                        before[key] = Int(clamping: writer.nextSequence)
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

        while true {
            if try input.waitReadable(timeout: nextFlush - clock.now) {
                let count = try chunk.withUnsafeMutableBytes { buffer in Result { () throws(LogError) -> Int in try input.read(into: buffer) } }.get()
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
        if !carry.isEmpty { try carry.withUnsafeBytes { try handle($0) } }
        for session in order { try writers[ExactText(session)]!.close() }
        return IngestReport(sessions: order.map { ($0, counts[ExactText($0)] ?? 0, before[ExactText($0)] ?? 0) }, skippedLines: skipped)
    }
}
