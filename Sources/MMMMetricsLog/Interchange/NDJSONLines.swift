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
            let end = newline(in: bytes, from: start) ?? bytes.count
            number += 1
            var lineEnd = end
            if lineEnd > start, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            try body(UnsafeRawBufferPointer(rebasing: bytes[start..<lineEnd]), number)
            start = end + 1
        }
    }

    /// The offset of the first `\n` at or after `start`, eight bytes at a time.
    static func newline(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        var offset = start
        let ones: UInt64 = 0x0101_0101_0101_0101
        let pattern = ones &* 0x0A
        while offset + 8 <= bytes.count {
            // A zero byte in word ^ pattern is a newline (the classic "has zero byte" test).
            // The lowest flagged byte is exact (borrows only run upwards), so read the word with
            // its first byte lowest on every platform.
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) ^ pattern
            let found = (word &- ones) & ~word & (ones &* 0x80)
            if found != 0 { return offset + found.trailingZeroBitCount / 8 }
            offset += 8
        }
        while offset < bytes.count {
            if base.load(fromByteOffset: offset, as: UInt8.self) == 0x0A { return offset }
            offset += 1
        }
        return nil
    }

    static func isBlank(_ line: UnsafeRawBufferPointer) -> Bool {
        // Almost every line starts with its object.
        if let first = line.first, first == UInt8(ascii: "{") { return false }
        return line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    /// Where a line stops being UTF-8: the first byte that starts no valid character, by its column
    /// (in characters, as JSON errors count) and value.
    static func invalidUTF8(_ line: UnsafeRawBufferPointer) -> String {
        var iterator = line.makeIterator()
        var decoder = UTF8()
        var offset = 0
        var column = 1
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
                column += 1
            case .emptyInput:
                return "not valid UTF-8"
            case .error:
                let byte = offset < line.count ? line[offset] : 0
                return "not valid UTF-8: byte 0x\(HexText.padded(byte, width: 2)) at column \(column) (byte offset \(offset)) starts no valid character"
            }
        }
    }

    /// Parses one line into a session and event; `defaultSession` applies to lines without `session`.
    static func parseLine(_ line: UnsafeRawBufferPointer, number: Int, source: String, defaultSession: String?) throws(IngestError) -> (String, MetricEvent) {
        guard let text = String(validating: line.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw IngestError(source: source, line: number, message: invalidUTF8(line))
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

/// Lines to events for one input: the usual line through ``NDJSONFastLine``, every other one (and
/// every error) through ``NDJSONLines/parseLine(_:number:source:defaultSession:)``.
struct NDJSONLineParser {
    let source: String
    let defaultSession: String?
    /// Whether `defaultSession` is a valid session id (checked once, not per line).
    private let defaultSessionIsValid: Bool
    private var fast = NDJSONFastLine()

    init(source: String, defaultSession: String?) {
        self.source = source
        self.defaultSession = defaultSession
        defaultSessionIsValid = defaultSession.map { (try? LogRoot.validate(sessionID: $0)) != nil } ?? false
    }

    /// The session and event of a line, or the error naming the line.
    mutating func parse(_ line: UnsafeRawBufferPointer, number: Int) throws(IngestError) -> (String, MetricEvent) {
        if let (session, event) = fast.parse(line) {
            if let session { return (session, event) }
            if defaultSessionIsValid, let defaultSession { return (defaultSession, event) }
        }
        return try NDJSONLines.parseLine(line, number: number, source: source, defaultSession: defaultSession)
    }
}
