public import MMMMetricsCore
import MMMMetricsLogFormat

/// One line of the NDJSON event format (docs/FORMAT.md, "NDJSON events"):
/// `{"ts":"…","session":"s1","type":"counter","name":"…","value":1,"tags":{…}}`.
public struct NDJSONEvent: Sendable, Hashable {
    /// The session, when the line names one.
    public var session: String?
    /// The event (with its timestamp).
    public var event: MetricEvent

    /// Wraps an event.
    public init(session: String?, event: MetricEvent) {
        self.session = session
        self.event = event
    }

    /// Why a line is not a valid event, naming the key where it applies.
    public struct LineError: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong.
        public var message: String
        public var description: String { message }
    }

    private static let allowedKeys: Set<String> = ["ts", "session", "type", "name", "value", "duration_ns", "data", "tags"]

    /// Parses one line.
    public static func parse(_ line: String) throws(LineError) -> NDJSONEvent {
        let json: JSONValue
        do { json = try JSONText.parse(line) } catch { throw LineError(message: "invalid JSON: \(error)") }
        guard case .object(let object) = json else { throw LineError(message: "expected a JSON object") }
        if let unknown = object.keys.sorted().first(where: { !allowedKeys.contains($0) }) {
            throw LineError(message: "unknown key \"\(unknown)\" (known: ts, session, type, name, value, duration_ns, data, tags)")
        }
        func string(_ key: String) throws(LineError) -> String {
            guard let value = object[key] else { throw LineError(message: "missing \"\(key)\"") }
            guard case .string(let text) = value else { throw LineError(message: "\"\(key)\" must be a string") }
            return text
        }
        let tsText = try string("ts")
        let timestamp: MetricTimestamp
        switch RFC3339.parseChecked(tsText) {
        case .success(let parsed): timestamp = parsed
        case .failure(.syntax):
            throw LineError(message: "\"ts\" is not an RFC 3339 timestamp with at most nine fractional digits: \(tsText.prefix(80).debugDescription)")
        case .failure(.outOfRange):
            throw LineError(message: "\"ts\" \(tsText.prefix(80).debugDescription) is outside the supported range, \(RFC3339.supportedRange)")
        }
        let name = try string("name")
        guard !name.isEmpty else { throw LineError(message: "\"name\" must not be empty") }
        var session: String?
        if object["session"] != nil {
            session = try string("session")
            guard !session!.isEmpty else { throw LineError(message: "\"session\" must not be empty") }
        }
        var tags = Tags()
        if let rawTags = object["tags"] {
            guard case .object(let members) = rawTags else { throw LineError(message: "\"tags\" must be an object of strings") }
            for (key, value) in members {
                guard case .string(let text) = value else { throw LineError(message: "tag \"\(key)\" must be a string") }
                tags[key] = text
            }
        }
        let type = try string("type")
        func only(_ key: String) throws(LineError) {
            for other in ["value", "duration_ns", "data"] where other != key && object[other] != nil {
                throw LineError(message: "\"\(other)\" does not belong to a \(type) event")
            }
        }
        let value: MetricValue
        switch type {
        case "counter":
            try only("value")
            guard let raw = object["value"] else { throw LineError(message: "missing \"value\"") }
            guard case .integer(let count) = raw else { throw LineError(message: "counter \"value\" must be an integer in the Int64 range") }
            value = .counter(count)
        case "gauge":
            try only("value")
            switch object["value"] {
            case .integer(let number)?: value = .gauge(Double(number))
            case .double(let number)?: value = .gauge(number)
            case .string("NaN")?: value = .gauge(.nan)
            case .string("Infinity")?: value = .gauge(.infinity)
            case .string("-Infinity")?: value = .gauge(-.infinity)
            case nil: throw LineError(message: "missing \"value\"")
            default: throw LineError(message: "gauge \"value\" must be a number (or \"NaN\", \"Infinity\", \"-Infinity\")")
            }
        case "timer":
            try only("duration_ns")
            guard let raw = object["duration_ns"] else { throw LineError(message: "missing \"duration_ns\"") }
            guard case .integer(let nanoseconds) = raw else { throw LineError(message: "timer \"duration_ns\" must be an integer") }
            value = .timer(.nanoseconds(nanoseconds))
        case "custom":
            try only("data")
            guard let data = object["data"] else { throw LineError(message: "missing \"data\"") }
            value = .custom(data)
        default:
            throw LineError(message: "\"type\" must be counter, gauge, timer or custom, not \(type.debugDescription)")
        }
        let event = MetricEvent(name: name, value: value, tags: tags, timestamp: timestamp)
        if let violation = EventLimits.violation(event) { throw LineError(message: "event too large to store: \(violation)") }
        return NDJSONEvent(session: session, event: event)
    }

    /// The line for an event (without the newline): keys in a fixed order, `ts` with nine fractional digits.
    package static func format(_ event: MetricEvent, session: String?, into output: inout [UInt8]) {
        output.append(contentsOf: #"{"ts":""#.utf8)
        RFC3339.append(event.timestamp ?? MetricTimestamp(nanosecondsSinceEpoch: 0), to: &output)
        output.append(UInt8(ascii: "\""))
        if let session {
            output.append(contentsOf: #","session":"#.utf8)
            JSONText.appendString(session, to: &output)
        }
        output.append(contentsOf: #","type":""#.utf8)
        output.append(contentsOf: event.value.kindName.utf8)
        output.append(contentsOf: #"","name":"#.utf8)
        JSONText.appendString(event.name, to: &output)
        switch event.value {
        case .counter(let count):
            output.append(contentsOf: #","value":"#.utf8)
            output.append(contentsOf: String(count).utf8)
        case .gauge(let number):
            output.append(contentsOf: #","value":"#.utf8)
            if number.isNaN {
                output.append(contentsOf: #""NaN""#.utf8)
            } else if number.isInfinite {
                output.append(contentsOf: (number > 0 ? #""Infinity""# : #""-Infinity""#).utf8)
            } else {
                JSONText.appendDouble(number, to: &output)
            }
        case .timer(let duration):
            output.append(contentsOf: #","duration_ns":"#.utf8)
            output.append(contentsOf: String(duration.totalNanoseconds).utf8)
        case .custom(let data):
            output.append(contentsOf: #","data":"#.utf8)
            JSONText.append(data, to: &output)
        }
        output.append(contentsOf: #","tags":{"#.utf8)
        for (index, tag) in event.tags.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            JSONText.appendString(tag.key, to: &output)
            output.append(UInt8(ascii: ":"))
            JSONText.appendString(tag.value, to: &output)
        }
        output.append(contentsOf: "}}".utf8)
    }

    /// The line for an event, as a string.
    public static func format(_ event: MetricEvent, session: String?) -> String {
        var output: [UInt8] = []
        format(event, session: session, into: &output)
        return String(decoding: output, as: UTF8.self)
    }
}
