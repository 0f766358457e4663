import Foundation
import MMMMetrics
@testable import MMMMetricsLog
import Testing

@Suite("Event log: format")
struct LogFormatTests {
    @Test("CRC32C matches the standard check value and is incremental")
    func crc() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let whole = CRC32C.checksum(data)
        let split = CRC32C.checksum(Array(data[300...]), continuing: CRC32C.checksum(Array(data[..<300])))
        #expect(whole == split)
        // 32 zero bytes: a published CRC-32C test vector (RFC 3720, B.4).
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    }

    @Test("block payloads round-trip random events of every kind bit for bit", arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func payloadRoundTrip(seed: UInt64) throws {
        let events = EventGenerator.events(count: 1 + Int(seed * 97 % 700), seed: seed)
        let payload = BlockPayload.encode(events)
        let decoded = try payload.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 10) }
        #expect(decoded.count == events.count)
        #expect(decoded.firstSequence == 10)
        #expect(sameEvents(decoded.events, events))
        for index in 0..<decoded.count {
            #expect(decoded.numericValue(at: index).map { $0.isNaN ? 0 : $0 } == events[index].value.numericValue.map { $0.isNaN ? 0 : $0 }
                    || decoded.numericValue(at: index)?.isNaN == events[index].value.numericValue?.isNaN)
        }
    }

    @Test("a damaged payload is an error, never a crash")
    func payloadDamage() {
        let payload = BlockPayload.encode(EventGenerator.events(count: 50, seed: 9))
        var failures = 0
        for cut in stride(from: 0, to: payload.count - 1, by: 3) {
            let short = Array(payload.prefix(cut))
            if (try? short.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0) }) == nil { failures += 1 }
        }
        #expect(failures == (0..<(payload.count - 1)).filter { $0 % 3 == 0 }.count)
        var random = SeededRandom(seed: 1)
        for _ in 0..<500 {
            var damaged = payload
            damaged[Int(random.next() % UInt64(damaged.count))] = UInt8(truncatingIfNeeded: random.next())
            _ = try? damaged.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0) }
        }
        #expect(throws: DecodeFailure.self) { try [UInt8]([9]).withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0) } }
    }

    @Test("varints and zigzag round-trip the extremes; overlong varints are errors")
    func varints() throws {
        var writer = ByteWriter()
        let values: [UInt64] = [0, 1, 127, 128, 300, .max, .max - 1, 1 << 63]
        for value in values { writer.varint(value) }
        let signed: [Int64] = [0, -1, 1, .min, .max]
        for value in signed { writer.zigzag(value) }
        let (decodedValues, decodedSigned, atEnd) = try writer.bytes.withUnsafeBytes { raw throws -> ([UInt64], [Int64], Bool) in
            var reader = ByteReader(raw)
            let unsigned = try values.map { _ in try reader.varint() }
            let zigzags = try signed.map { _ in try reader.zigzag() }
            return (unsigned, zigzags, reader.isAtEnd)
        }
        #expect(decodedValues == values)
        #expect(decodedSigned == signed)
        #expect(atEnd)
        let overlong = [UInt8](repeating: 0xFF, count: 11)
        #expect(throws: DecodeFailure.self) { try overlong.withUnsafeBytes { raw in var reader = ByteReader(raw); _ = try reader.varint() } }
        #expect(throws: DecodeFailure.self) { try [UInt8]([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02]).withUnsafeBytes { raw in var reader = ByteReader(raw); _ = try reader.varint() } }
        #expect(throws: DecodeFailure.self) { try [UInt8]([0x80]).withUnsafeBytes { raw in var reader = ByteReader(raw); _ = try reader.varint() } }
        #expect(throws: DecodeFailure.self) { try [UInt8]([1, 2]).withUnsafeBytes { raw in var reader = ByteReader(raw); _ = try reader.u32() } }
        #expect(throws: DecodeFailure.self) { try [UInt8]([2, 0xC3]).withUnsafeBytes { raw in var reader = ByteReader(raw); _ = try reader.string() } }
        #expect(throws: DecodeFailure.self) { try [UInt8]([5]).withUnsafeBytes { raw in var reader = ByteReader(raw); _ = try reader.count(limit: 4) } }
        #expect(DecodeFailure(offset: 3, reason: "r").description == "r at byte 3")
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

    @Test("JSON text: strict parsing with columns, exact integers, escapes, and compact sorted output")
    func jsonText() throws {
        #expect(try JSONText.parse(#" {"b": [1, -2.5e3, true, null, "x\u00e9\ud83d\ude80\n"], "a": {}} "#)
                == ["b": [1, -2500.0, true, nil, "xé🚀\n"], "a": [:]])
        #expect(try JSONText.parse("-9223372036854775808") == .integer(.min))
        #expect(try JSONText.parse("9223372036854775808") == .double(9.223372036854775808e18))
        #expect(try JSONText.parse(#""\"\\\/\b\f\r\t""#) == .string("\"\\/\u{8}\u{c}\r\t"))
        let failures: [(String, String)] = [
            ("{", "expected a string key"), (#"{"a" 1}"#, "expected ':'"), ("[1,]", "unexpected character"),
            (#"{"a":1,"a":2}"#, "duplicate key"), ("01", "leading zero"), ("1.", "expected digits after '.'"),
            ("1e", "expected digits in an exponent"), ("tru", "invalid literal"), (#""abc"#, "unterminated string"),
            (#""\x""#, "invalid escape"), (#""\ud800""#, "unpaired surrogate"), ("[1 2]", "expected ',' or ']'"),
            (#"{"a":1 "b":2}"#, "expected ',' or '}'"), ("1 2", "unexpected text after"), ("-", "expected digits"),
            (#""\u12G4""#, "invalid hex digit"), (#"{1:2}"#, "expected a string key"), ("\"a\u{1}\"", "control character"),
            (#""\ud800\u0041""#, "invalid low surrogate"), ("", "unexpected end of input"),
        ]
        for (text, reason) in failures {
            do {
                _ = try JSONText.parse(text)
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.reason.contains(reason), "\(text): \(error)")
            }
        }
        do { _ = try JSONText.parse(#"{"a":1,"a":2}"#) } catch { #expect(error.description == #"duplicate key "a" at column 8"#) }
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONSyntaxError.self) { try JSONText.parse(deep) }
        #expect(JSONText.encode(["b": 1, "a": [2.5, "x\u{1}\"\\\t\r\n"], "c": .double(.nan)]) == #"{"a":[2.5,"x\u0001\"\\\t\r\n"],"b":1,"c":null}"#)
        #expect(JSONText.encode([true, false, nil]) == "[true,false,null]")
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
