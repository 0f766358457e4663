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


/// Lines of NDJSON input: splitting, blank lines, and one line to an event with the line's number in errors.
enum NDJSONLines {
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
}
