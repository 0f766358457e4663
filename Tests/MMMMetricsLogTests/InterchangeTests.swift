import Foundation
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

@Suite("RFC 3339, NDJSON lines, session directory names, time expressions")
struct InterchangeTests {
    @Test("the process's arguments as bytes (the test runner's are text); open standard descriptors are left alone; an empty message writes nothing")
    func processArguments() {
        #expect(ProcessArguments.raw.map { String(decoding: $0, as: UTF8.self) } == Array(CommandLine.arguments.dropFirst()))
        #expect(ProcessArguments.notText(stoppingAtTerminator: true, environment: ["PATH", "MMM_METRICS_DIR"]) == nil)
        ProcessArguments.reserveStandardDescriptors()
        #expect(ProcessArguments.reservedStandardDescriptors.isEmpty)
        StandardError.write("")
    }

    @Test("RFC 3339: nine fractional digits out; up to nine in, with Z or an offset; bad text is rejected")
    func rfc3339() {
        let cases: [(String, Int64)] = [
            ("1970-01-01T00:00:00Z", 0), ("2026-11-28T10:00:00.123456789Z", 1_795_860_000_123_456_789),
            ("2026-11-28T10:00:02.5Z", 1_795_860_002_500_000_000), ("2026-11-28T11:00:02.5+01:00", 1_795_860_002_500_000_000),
            ("2026-11-28t10:00:02.5z", 1_795_860_002_500_000_000), ("1969-12-31T23:59:59.999999999Z", -1),
            ("2000-02-29T00:00:00Z", 951_782_400_000_000_000), ("2026-11-28T05:30:00-04:30", 1_795_860_000_000_000_000),
        ]
        for (text, nanos) in cases {
            #expect(RFC3339.parse(text)?.nanosecondsSinceEpoch == nanos, "\(text)")
        }
        #expect(RFC3339.format(MetricTimestamp(nanosecondsSinceEpoch: 1_795_860_000_123_456_789)) == "2026-11-28T10:00:00.123456789Z")
        #expect(RFC3339.format(MetricTimestamp(nanosecondsSinceEpoch: -1)) == "1969-12-31T23:59:59.999999999Z")
        #expect(RFC3339.format(MetricTimestamp(nanosecondsSinceEpoch: 0)) == "1970-01-01T00:00:00.000000000Z")
        for bad in ["2026-11-28", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-28T10:00:00.1234567891Z",
                    "2026-11-28T10:00:00", "2026-11-28T25:00:00Z", "2026-11-28T10:00:00.Z", "x", "2026-11-28T10:00:00Zjunk",
                    "2026-11-28T10:00:00+0100", "9999-12-31T23:59:59Z"] {
            #expect(RFC3339.parse(bad) == nil, "\(bad)")
        }
        var random = SeededRandom(seed: 3)
        for _ in 0..<2000 {
            let nanos = Int64(bitPattern: random.next()) / 4  // within ±2^61 ns: every such instant formats and parses back
            let text = RFC3339.format(MetricTimestamp(nanosecondsSinceEpoch: nanos))
            #expect(RFC3339.parse(text)?.nanosecondsSinceEpoch == nanos, "\(text)")
        }
        for extreme in [Int64.min, .max] {
            #expect(RFC3339.parse(RFC3339.format(MetricTimestamp(nanosecondsSinceEpoch: extreme)))?.nanosecondsSinceEpoch == extreme)
        }
    }

    @Test("NDJSON lines parse the contract's four examples and format them back")
    func ndjsonLines() throws {
        let lines = [
            #"{"ts":"2026-11-28T10:00:00.123456789Z","session":"s1","type":"counter","name":"command.executed","value":1,"tags":{"command":"build"}}"#,
            #"{"ts":"2026-11-28T10:00:01.000000000Z","session":"s1","type":"gauge","name":"quality.test_coverage","value":83.5,"tags":{"iteration":"1"}}"#,
            #"{"ts":"2026-11-28T10:00:02.500000000Z","session":"s1","type":"timer","name":"command.duration","duration_ns":1250000000,"tags":{"command":"test","iteration":"1"}}"#,
            #"{"ts":"2026-11-28T10:00:03.000000000Z","session":"s1","type":"custom","name":"error","data":{"kind":"lint","message":"lint failed"},"tags":{"iteration":"1"}}"#,
        ]
        for line in lines {
            let parsed = try NDJSONEvent.parse(line)
            #expect(parsed.session == "s1")
            #expect(NDJSONEvent.format(parsed.event, session: parsed.session) == line)
        }
        let gauge = try NDJSONEvent.parse(#"{"ts":"2026-11-28T10:00:00Z","type":"gauge","name":"g","value":3}"#)
        #expect(gauge.event.value == .gauge(3))
        #expect(gauge.session == nil)
        #expect(gauge.event.tags.isEmpty)
        for special in ["NaN", "Infinity", "-Infinity"] {
            let event = try NDJSONEvent.parse(#"{"ts":"2026-11-28T10:00:00Z","type":"gauge","name":"g","value":"\#(special)"}"#).event
            #expect(NDJSONEvent.format(event, session: nil).contains(#""value":"\#(special)""#))
        }
    }

    @Test("invalid NDJSON lines name the problem", arguments: [
        (#"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"c","value":1.5}"#, "integer"),
        (#"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"c"}"#, "missing \"value\""),
        (#"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"c","value":99999999999999999999}"#, "Int64"),
        (#"{"type":"counter","name":"c","value":1}"#, "missing \"ts\""),
        (#"{"ts":"yesterday","type":"counter","name":"c","value":1}"#, "RFC 3339"),
        (#"{"ts":"2026-11-28T10:00:00Z","type":"histogram","name":"c","value":1}"#, "counter, gauge, timer or custom"),
        (#"{"ts":"2026-11-28T10:00:00Z","type":"gauge","name":"c","value":"high"}"#, "gauge \"value\" must be a number"),
        (#"{"ts":"2026-11-28T10:00:00Z","type":"timer","name":"c","duration_ns":1.5}"#, "must be an integer"),
        (#"{"ts":"2026-11-28T10:00:00Z","type":"timer","name":"c","value":1}"#, "\"value\" does not belong to a timer"),
        (#"{"ts":"2026-11-28T10:00:00Z","type":"custom","name":"c"}"#, "missing \"data\""),
        (#"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"c","value":1,"tags":{"a":1}}"#, "tag \"a\" must be a string"),
        (#"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"c","value":1,"tags":[]}"#, "\"tags\" must be an object"),
        (#"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"c","value":1,"colour":"red"}"#, "unknown key \"colour\""),
        (#"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"","value":1}"#, "\"name\" must not be empty"),
        (#"{"ts":"2026-11-28T10:00:00Z","session":"","type":"counter","name":"c","value":1}"#, "\"session\" must not be empty"),
        (#"{"ts":5,"type":"counter","name":"c","value":1}"#, "\"ts\" must be a string"),
        (#"[1]"#, "expected a JSON object"),
        (#"{"ts":"#, "invalid JSON"),
        (#"{"ts":"2026-11-28T10:00:00Z","type":"timer","name":"c"}"#, "missing \"duration_ns\""),
        (#"{"ts":"2026-11-28T10:00:00Z","type":"gauge","name":"c"}"#, "missing \"value\""),
    ])
    func invalidLines(line: String, problem: String) {
        do {
            _ = try NDJSONEvent.parse(line)
            Issue.record("accepted \(line)")
        } catch {
            #expect(error.description.contains(problem), "\(error)")
        }
    }

    @Test("session directory names escape unsafe bytes and map back")
    func sessionNames() throws {
        for id in ["s1", "cook-2026.11.28_x", ".hidden", "a/b", "../up", "日本", "with space", "%41", "a.b"] {
            let name = LogRoot.directoryName(for: id)
            #expect(!name.contains("/"))
            #expect(!name.hasPrefix("."))
            #expect(LogRoot.sessionID(fromDirectoryName: name) == id)
        }
        #expect(LogRoot.sessionID(fromDirectoryName: "%4") == nil)
        #expect(LogRoot.sessionID(fromDirectoryName: "%41") == nil)  // "A" would be written plainly
        #expect(throws: LogError.self) { try LogRoot.validate(sessionID: "") }
        #expect(throws: LogError.self) { try LogRoot.validate(sessionID: "a\nb") }
        #expect(throws: LogError.self) { try LogRoot.validate(sessionID: String(repeating: "x", count: 2000)) }
        #expect(LogRoot.resolve("x/", environment: ["MMM_METRICS_DIR": "y"]).path == "x")
        #expect(LogRoot.resolve(nil, environment: ["MMM_METRICS_DIR": "y"]).path == "y")
        #expect(LogRoot.resolve(nil, environment: [:]).path == ".mmm/metrics")
        #expect(LogRoot(path: "z").description == "z")
    }

    @Test("time expressions: RFC 3339, now and relative")
    func timeExpressions() {
        let now = MetricTimestamp(nanosecondsSinceEpoch: 10_000_000_000_000)
        #expect(TimeExpression.parse("now", now: now) == now)
        let twoHoursEarlier: Int64 = 10_000_000_000_000 - 7_200_000_000_000
        let secondAndAHalfEarlier: Int64 = 10_000_000_000_000 - 1_500_000_000
        #expect(TimeExpression.parse("-2h", now: now)?.nanosecondsSinceEpoch == twoHoursEarlier)
        #expect(TimeExpression.parse("-1.5s", now: now)?.nanosecondsSinceEpoch == secondAndAHalfEarlier)
        #expect(TimeExpression.parse("-1d", now: now)?.nanosecondsSinceEpoch == 10_000_000_000_000 - 86_400_000_000_000)
        #expect(TimeExpression.parse("1970-01-01T00:00:01Z", now: now)?.nanosecondsSinceEpoch == 1_000_000_000)
        #expect(TimeExpression.parse("-xh", now: now) == nil)
        #expect(TimeExpression.parse("soon", now: now) == nil)
        #expect(TimeExpression.parse("-99999999w", now: now) == nil)
    }
}
