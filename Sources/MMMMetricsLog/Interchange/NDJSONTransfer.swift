import MMMMetricsCore
import MMMMetricsLogFormat

/// An invalid NDJSON input line: where and why.
public struct IngestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The input's name (a path, or `stdin`).
    public var source: String
    /// The 1-based line number.
    public var line: Int
    /// What is wrong with the line.
    public var message: String

    public var description: String { "\(source):\(line): \(message)" }
}

/// What an ingest appended.
public struct IngestReport: Sendable {
    /// Events appended per session, in order of first appearance.
    public var sessions: [(id: String, events: Int)]
    /// Lines skipped in follow mode (bad lines are errors otherwise).
    public var skippedLines: Int

    /// Events appended in all.
    public var totalEvents: Int { sessions.reduce(0) { $0 + $1.events } }
}

/// NDJSON in and out of a log root: the contract other tools build on.
public enum NDJSONTransfer {
    /// Calls `body` with each line's bytes (without `\n` or a trailing `\r`) and its 1-based number.
    static func forEachLine(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Int) throws -> Void) rethrows {
        var start = 0
        var number = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            number += 1
            var lineEnd = end
            if lineEnd > start, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            try body(UnsafeRawBufferPointer(rebasing: bytes[start..<lineEnd]), number)
            start = end + 1
        }
    }

    static func isBlank(_ line: UnsafeRawBufferPointer) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    /// Parses one line into a session and event; `defaultSession` applies to lines without `session`.
    static func parseLine(_ line: UnsafeRawBufferPointer, number: Int, source: String, defaultSession: String?) throws(IngestError) -> (String, MetricEvent) {
        guard let text = String(validating: line.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw IngestError(source: source, line: number, message: "not valid UTF-8")
        }
        let parsed: NDJSONEvent
        do { parsed = try NDJSONEvent.parse(text) } catch {
            throw IngestError(source: source, line: number, message: error.message)
        }
        guard let session = parsed.session ?? defaultSession else {
            throw IngestError(source: source, line: number, message: "no \"session\" in the line and no --session given")
        }
        do { try LogRoot.validate(sessionID: session) } catch {
            throw IngestError(source: source, line: number, message: "\(error)")
        }
        return (session, parsed.event)
    }

    /// Validates every line of `bytes`, then appends the events to their sessions. Nothing is written
    /// when any line is invalid: the error names the line.
    public static func ingest(
        _ bytes: [UInt8], source: String, into root: LogRoot, defaultSession: String?, options: LogWriterOptions = LogWriterOptions()
    ) throws -> IngestReport {
        var order: [String] = []
        var bySession: [String: [MetricEvent]] = [:]
        try bytes.withUnsafeBytes { raw in
            try forEachLine(raw) { line, number in
                if isBlank(line) { return }
                let (session, event) = try parseLine(line, number: number, source: source, defaultSession: defaultSession)
                if bySession[session] == nil { order.append(session) }
                bySession[session, default: []].append(event)
            }
        }
        // Take every lock before writing anything, so a busy session cannot leave the input half
        // written; if anything fails, undo what was written, so a failed ingest leaves nothing behind.
        var opened: [(writer: SessionLogWriter, checkpoint: SessionLogWriter.Checkpoint)] = []
        do {
            for session in order {
                let writer = try SessionLogWriter(root: root, session: session, options: options)
                opened.append((writer, try writer.checkpoint()))
            }
            for (session, (writer, _)) in zip(order, opened) {
                try writer.append(contentsOf: bySession[session]!)
                try writer.close()
            }
        } catch {
            for (writer, checkpoint) in opened.reversed() { writer.rollBack(to: checkpoint) }
            throw error
        }
        return IngestReport(sessions: order.map { ($0, bySession[$0]!.count) }, skippedLines: 0)
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
        var writers: [String: SessionLogWriter] = [:]
        var order: [String] = []
        var counts: [String: Int] = [:]
        var skipped = 0
        var carry: [UInt8] = []
        var lineNumber = 0
        let clock = ContinuousClock()
        var nextFlush = clock.now + flushInterval
        var chunk = [UInt8](repeating: 0, count: 1 << 16)

        func handle(_ line: UnsafeRawBufferPointer) throws {
            lineNumber += 1
            if isBlank(line) { return }
            do {
                let (session, event) = try parseLine(line, number: lineNumber, source: source, defaultSession: defaultSession)
                if writers[session] == nil {
                    // A session that cannot be opened (its writer lock is held elsewhere) costs its lines, not the stream.
                    do {
                        writers[session] = try SessionLogWriter(root: root, session: session, options: options)
                    } catch {
                        throw IngestError(source: source, line: lineNumber, message: "cannot write session \(session): \(error)")
                    }
                    order.append(session)
                }
                try writers[session]!.append(event)
                counts[session, default: 0] += 1
            } catch let error as IngestError {
                skipped += 1
                warning(error)
            }
        }

        func flushAll() throws {
            for session in order { try writers[session]!.flush() }
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
                    try complete.withUnsafeBytes { raw in try forEachLine(raw) { line, _ in try handle(line) } }
                }
            }
            if clock.now >= nextFlush { try flushAll() }
        }
        if !carry.isEmpty { try carry.withUnsafeBytes { try handle($0) } }
        for session in order { try writers[session]!.close() }
        return IngestReport(sessions: order.map { ($0, counts[$0] ?? 0) }, skippedLines: skipped)
    }

    /// Writes a session's events (every session's, by id, when `session` is nil) as NDJSON lines in
    /// sequence order, through `write` in chunks.
    public static func export(
        from source: any LogSource, session: String?, filter: ReadFilter = ReadFilter(), mode: ReadMode = .lenient,
        warning: (ReadWarning) -> Void = { _ in }, write: ([UInt8]) throws -> Void
    ) throws {
        let reader = LogReader(source: source)
        let sessions = try session.map { [$0] } ?? reader.sessions()
        let names = NameGlobList(filter.names)
        var output: [UInt8] = []
        output.reserveCapacity(1 << 20)
        for id in sessions {
            try reader.replay(session: id, filter: filter, mode: mode, warning: warning) { block in
                for index in 0..<block.count {
                    if !names.isEmpty, !names.matches(block.name(at: index)) { continue }
                    if let range = filter.timeRange, !range.contains(MetricTimestamp(nanosecondsSinceEpoch: block.timestamps[index])) { continue }
                    NDJSONEvent.format(block.event(at: index), session: id, into: &output)
                    output.append(0x0A)
                    if output.count >= 1 << 20 {
                        try write(output)
                        output.removeAll(keepingCapacity: true)
                    }
                }
            }
        }
        if !output.isEmpty { try write(output) }
    }
}
