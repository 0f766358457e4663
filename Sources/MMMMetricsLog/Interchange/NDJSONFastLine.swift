import MMMMetricsCore
import MMMMetricsLogFormat

/// The usual NDJSON event line, read straight into an event without building a JSON tree.
///
/// `ingest` spent about 70% of its time in the general parser (a dictionary per line, a `String`
/// per key). Lines as `export` writes them, and as most tools write them, have ASCII text without
/// escapes and the eight known keys once each: those are read here in one pass. Every other line
/// (escapes, non-ASCII text, an unknown, repeated or missing key, a value of the wrong kind, an
/// event over the limits, any syntax error) answers `nil`, and the caller reads it with
/// ``NDJSONEvent/parse(_:)``, which accepts exactly the lines this accepts, with the same event,
/// and says what is wrong with the others. `NDJSONFastLineTests` and the `ndjson` fuzz target check
/// that the two agree.
struct NDJSONFastLine {
    /// Recently seen strings longer than Swift's inline 15 bytes (metric names, paths), so that a
    /// repeated one costs a comparison instead of an allocation.
    private var interned = [String?](repeating: nil, count: 1024)
    /// The previous line's session, already validated as a session id.
    private var lastSession: String?

    private struct Keys: OptionSet {
        let rawValue: UInt8
        static let ts = Keys(rawValue: 1)
        static let session = Keys(rawValue: 2)
        static let type = Keys(rawValue: 4)
        static let name = Keys(rawValue: 8)
        static let value = Keys(rawValue: 16)
        static let duration = Keys(rawValue: 32)
        static let data = Keys(rawValue: 64)
        static let tags = Keys(rawValue: 128)
    }

    /// The line's session (its own, already a valid session id, or `nil` when it names none) and
    /// event; `nil` when the line is not of the usual shape or not valid.
    mutating func parse(_ line: UnsafeRawBufferPointer) -> (session: String?, event: MetricEvent)? {
        guard let base = line.baseAddress else { return nil }
        var cursor = Cursor(base: base, end: line.count)
        cursor.skipWhitespace()
        guard cursor.take(UInt8(ascii: "{")) else { return nil }
        var seen = Keys()
        var timestamp: MetricTimestamp?
        var session: String?
        var type: (start: Int, count: Int)?
        var name: String?
        var number: JSONValue?
        var duration: Int64?
        var data: JSONValue?
        var tags: [Tag] = []
        cursor.skipWhitespace()
        if !cursor.take(UInt8(ascii: "}")) {
            while true {
                guard let key = cursor.memberKey() else { return nil }
                let which: Keys
                switch key.count {
                case 2 where cursor.equals(key, "ts"):
                    which = .ts
                    guard let text = cursor.asciiString(),
                        case .success(let parsed) = RFC3339.parseChecked(bytes: UnsafeRawBufferPointer(start: base + text.start, count: text.count))
                    else { return nil }
                    timestamp = parsed
                case 4 where cursor.equals(key, "type"):
                    which = .type
                    guard let text = cursor.asciiString() else { return nil }
                    type = text
                case 4 where cursor.equals(key, "name"):
                    which = .name
                    guard let text = cursor.asciiString(), text.count > 0 else { return nil }
                    name = string(cursor, text)
                case 7 where cursor.equals(key, "session"):
                    which = .session
                    // An id that is not valid is the parser's error to report, never "no session".
                    guard let text = cursor.asciiString(), text.count > 0, let id = sessionID(cursor, text) else { return nil }
                    session = id
                case 5 where cursor.equals(key, "value"):
                    which = .value
                    guard let value = cursor.number() else { return nil }
                    number = value
                case 11 where cursor.equals(key, "duration_ns"):
                    which = .duration
                    guard case .integer(let nanoseconds)? = cursor.number() else { return nil }
                    duration = nanoseconds
                case 4 where cursor.equals(key, "data"):
                    which = .data
                    var parser = JSONParser(bytes: UnsafeRawBufferPointer(start: base, count: cursor.end))
                    parser.position = cursor.position
                    guard let value = try? parser.value(depth: 1) else { return nil }
                    cursor.position = parser.position
                    data = value
                case 4 where cursor.equals(key, "tags"):
                    which = .tags
                    guard readTags(&cursor, into: &tags) else { return nil }
                default:
                    return nil
                }
                guard !seen.contains(which) else { return nil }
                seen.insert(which)
                cursor.skipWhitespace()
                if cursor.take(UInt8(ascii: ",")) { continue }
                guard cursor.take(UInt8(ascii: "}")) else { return nil }
                break
            }
        }
        cursor.skipWhitespace()
        guard cursor.position == cursor.end, let timestamp, let name, let type else { return nil }

        let value: MetricValue
        let typeBytes = type.count
        if typeBytes == 7, cursor.equals(type, "counter") {
            guard seen.intersection([.duration, .data]).isEmpty, case .integer(let count)? = number else { return nil }
            value = .counter(count)
        } else if typeBytes == 5, cursor.equals(type, "gauge") {
            guard seen.intersection([.duration, .data]).isEmpty else { return nil }
            switch number {
            case .integer(let integer)?: value = .gauge(Double(integer))
            case .double(let double)?: value = .gauge(double)
            default: return nil
            }
        } else if typeBytes == 5, cursor.equals(type, "timer") {
            guard seen.intersection([.value, .data]).isEmpty, let duration else { return nil }
            value = .timer(.nanoseconds(duration))
        } else if typeBytes == 6, cursor.equals(type, "custom") {
            guard seen.intersection([.value, .duration]).isEmpty, let data else { return nil }
            value = .custom(data)
        } else {
            return nil
        }
        // Export writes tags in key order; anything else is sorted here, and a repeated key is the
        // general parser's error to report.
        if tags.indices.dropFirst().contains(where: { !(tags[$0 - 1].key < tags[$0].key) }) {
            tags.sort { $0.key < $1.key }
            if tags.indices.dropFirst().contains(where: { tags[$0 - 1].key == tags[$0].key }) { return nil }
        }
        let event = MetricEvent(name: name, value: value, tags: Tags(presorted: tags), timestamp: timestamp)
        guard EventLimits.violation(event) == nil else { return nil }
        return (session, event)
    }

    private mutating func readTags(_ cursor: inout Cursor, into tags: inout [Tag]) -> Bool {
        guard cursor.take(UInt8(ascii: "{")) else { return false }
        cursor.skipWhitespace()
        if cursor.take(UInt8(ascii: "}")) { return true }
        tags.reserveCapacity(4)
        while true {
            guard let key = cursor.memberKey(), let value = cursor.asciiString() else { return false }
            tags.append(Tag(key: string(cursor, key), value: string(cursor, value)))
            cursor.skipWhitespace()
            if cursor.take(UInt8(ascii: ",")) { continue }
            return cursor.take(UInt8(ascii: "}"))
        }
    }

    /// The session id, reusing the previous line's string (and its validation) when it is the same.
    private mutating func sessionID(_ cursor: Cursor, _ text: (start: Int, count: Int)) -> String? {
        let bytes = UnsafeRawBufferPointer(start: cursor.base + text.start, count: text.count)
        if var last = lastSession, last.utf8.count == text.count {
            if last.withUTF8({ ExactText.bytesEqual(UnsafeRawBufferPointer($0), bytes) }) { return last }
        }
        let id = string(cursor, text)
        guard (try? LogRoot.validate(sessionID: id)) != nil else { return nil }
        lastSession = id
        return id
    }

    /// A string for ASCII bytes; one seen recently is reused when longer than the inline 15 bytes.
    private mutating func string(_ cursor: Cursor, _ text: (start: Int, count: Int)) -> String {
        let pointer = cursor.base + text.start
        let bytes = UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: UInt8.self), count: text.count)
        guard text.count > 15 else { return String(decoding: bytes, as: UTF8.self) }
        let head = pointer.loadUnaligned(as: UInt64.self)
        let tail = pointer.loadUnaligned(fromByteOffset: text.count - 8, as: UInt64.self)
        let hash = (head &* 0x9E37_79B9_7F4A_7C15) ^ (tail &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(text.count)
        let slot = Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> 54)
        if var cached = interned[slot], cached.utf8.count == text.count,
            cached.withUTF8({ ExactText.bytesEqual(UnsafeRawBufferPointer($0), UnsafeRawBufferPointer(bytes)) })
        {
            return cached
        }
        let made = String(decoding: bytes, as: UTF8.self)
        interned[slot] = made
        return made
    }

    /// A position in the line.
    private struct Cursor {
        let base: UnsafeRawPointer
        let end: Int
        var position = 0

        init(base: UnsafeRawPointer, end: Int) {
            self.base = base
            self.end = end
        }

        @inline(__always) func byte(_ offset: Int) -> UInt8 { base.load(fromByteOffset: offset, as: UInt8.self) }

        @inline(__always) mutating func skipWhitespace() {
            while position < end {
                switch byte(position) {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        @inline(__always) mutating func take(_ expected: UInt8) -> Bool {
            guard position < end, byte(position) == expected else { return false }
            position += 1
            return true
        }

        /// A string of printable ASCII without escapes: where its bytes are (between the quotes).
        mutating func asciiString() -> (start: Int, count: Int)? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = position
            while position < end {
                let character = byte(position)
                if character == UInt8(ascii: "\"") {
                    position += 1
                    return (start, position - 1 - start)
                }
                guard character >= 0x20, character < 0x80, character != UInt8(ascii: "\\") else { return nil }
                position += 1
            }
            return nil
        }

        /// An object member's key and its colon, with the whitespace around them; the cursor is
        /// then at the value.
        mutating func memberKey() -> (start: Int, count: Int)? {
            skipWhitespace()
            guard let key = asciiString() else { return nil }
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipWhitespace()
            return key
        }

        func equals(_ text: (start: Int, count: Int), _ literal: StaticString) -> Bool {
            guard text.count == literal.utf8CodeUnitCount else { return false }
            return ExactText.bytesEqual(
                UnsafeRawBufferPointer(start: base + text.start, count: text.count),
                UnsafeRawBufferPointer(start: literal.utf8Start, count: text.count))
        }

        /// 10^0 ... 10^15, each exact in a double.
        private static let powersOfTen: [Double] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15]

        /// A JSON number: integers of up to 18 digits and short decimals here, anything else by the general parser
        /// (which knows every rule: leading zeros, exponents, the Int64 and Double ranges).
        mutating func number() -> JSONValue? {
            let start = position
            var scan = position
            let negative = scan < end && byte(scan) == UInt8(ascii: "-")
            if negative { scan += 1 }
            let digitsStart = scan
            var magnitude: Int64 = 0
            while scan < end, scan - digitsStart < 18 {
                let character = byte(scan)
                guard character >= 0x30, character <= 0x39 else { break }
                magnitude = magnitude * 10 + Int64(character - 0x30)
                scan += 1
            }
            let digits = scan - digitsStart
            let next = scan < end ? byte(scan) : 0
            let simple = digits > 0 && !(digits > 1 && byte(digitsStart) == 0x30)
                && !(next >= 0x30 && next <= 0x39) && next != UInt8(ascii: ".") && next != UInt8(ascii: "e") && next != UInt8(ascii: "E")
            if simple {
                position = scan
                return .integer(negative ? -magnitude : magnitude)
            }
            // A decimal of at most 15 significant digits and no exponent (83.5, 0.25): the digits as
            // an integer below 2^53 and 10^k for k <= 22 are both exact doubles, so one IEEE
            // division is the correctly rounded value, the same double as the general parser's strtod.
            if digits > 0, digits < 16, next == UInt8(ascii: "."), !(digits > 1 && byte(digitsStart) == 0x30) {
                var fractionEnd = scan + 1
                var mantissa = magnitude
                while fractionEnd < end, fractionEnd - scan - 1 + digits < 15 {
                    let character = byte(fractionEnd)
                    guard character >= 0x30, character <= 0x39 else { break }
                    mantissa = mantissa * 10 + Int64(character - 0x30)
                    fractionEnd += 1
                }
                let fractionDigits = fractionEnd - scan - 1
                let after = fractionEnd < end ? byte(fractionEnd) : 0
                if fractionDigits > 0, !(after >= 0x30 && after <= 0x39), after != UInt8(ascii: "e"), after != UInt8(ascii: "E") {
                    position = fractionEnd
                    let value = Double(mantissa) / Self.powersOfTen[fractionDigits]
                    return .double(negative ? -value : value)
                }
            }
            var parser = JSONParser(bytes: UnsafeRawBufferPointer(start: base, count: end))
            parser.position = start
            guard let first = parser.current, first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39),
                let value = try? parser.number()
            else { return nil }
            position = parser.position
            return value
        }
    }
}

/// For tests and benchmarks: ``NDJSONFastLine`` on one line.
@_spi(Benchmarks) public enum NDJSONFastPath {
    /// The line's session and event when the fast reader takes the line, `nil` when it leaves the
    /// line to the general parser.
    @_spi(Benchmarks) public static func parse(_ line: String) -> NDJSONEvent? {
        var reader = NDJSONFastLine()
        var line = line
        return line.withUTF8 { bytes in reader.parse(UnsafeRawBufferPointer(bytes)).map { NDJSONEvent(session: $0.session, event: $0.event) } }
    }
}
