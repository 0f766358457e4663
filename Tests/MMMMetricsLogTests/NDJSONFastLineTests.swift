import Foundation
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

/// The fast reader of the usual NDJSON line must take only lines the general parser accepts, and
/// read them to the same event; everything else it leaves to the parser.
@Suite("NDJSON: the fast reader of the usual line agrees with the parser")
struct NDJSONFastLineTests {
    static let tricky: [String] = [
        // The usual lines, as export writes them.
        #"{"ts":"2026-11-28T10:00:00.123456789Z","session":"s1","type":"counter","name":"command.executed","value":1,"tags":{"command":"build","status":"ok"}}"#,
        #"{"ts":"2026-11-28T10:00:00Z","session":"s1","type":"gauge","name":"quality.test_coverage","value":83.5,"tags":{}}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"timer","name":"command.duration","duration_ns":1500000000,"tags":{"command":"test"}}"#,
        #"{"ts":"2026-11-28T10:00:00Z","session":"s1","type":"custom","name":"error","data":{"kind":"build","message":"ld: \u00e9 failed"},"tags":{}}"#,
        // Spacing, key order, tags out of order, no tags, negative and extreme integers.
        #"  { "name" : "a.b" , "type" : "counter" , "value" : -0 , "ts" : "2026-11-28T10:00:00+01:00" }  "#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n","value":-9223372036854775808,"tags":{"z":"1","a":"2","m":""}}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n","value":9223372036854775807}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n","value":9223372036854775808}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n","value":123456789012345678}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n","value":1234567890123456789}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n","value":1.0}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n","value":1e2}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n","value":01}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n","value":-}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"gauge","name":"n","value":1e400}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"gauge","name":"n","value":1e-400}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"gauge","name":"n","value":-0.0}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"gauge","name":"n","value":7}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"gauge","name":"n","value":"NaN"}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"gauge","name":"n","value":true}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"timer","name":"n","duration_ns":-5}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"timer","name":"n","duration_ns":5.5}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"timer","name":"n","duration_ns":5,"value":1}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"custom","name":"n","data":null}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"custom","name":"n","data":{"a":1,"a":2}}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"custom","name":"n"}"#,
        // What the parser refuses, or the fast reader leaves to it.
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n","value":1,"value":2}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n","value":1,"extra":2}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"","value":1}"#,
        #"{"ts":"2026-11-28T10:00:00Z","session":"","type":"counter","name":"n","value":1}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n","value":1,"tags":{"a":"1","a":"2"}}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n","value":1,"tags":{"a":1}}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n","value":1,"tags":[]}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"caf\u00e9","value":1}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"café","value":1}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n\"q","value":1}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"Counter","name":"n","value":1}"#,
        #"{"ts":"2026-11-28T25:00:00Z","type":"counter","name":"n","value":1}"#,
        #"{"ts":"3026-11-28T10:00:00Z","type":"counter","name":"n","value":1}"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n","value":1} x"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n","value":1"#,
        #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"n","value":1,}"#,
        #"{}"#, #"[]"#, #""#, #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"\#(String(repeating: "x", count: 5000))","value":1}"#,
        #"{"ts":"2026-11-28T10:00:00Z","session":"a\u0000b","type":"counter","name":"n","value":1}"#,
    ]

    @Test("every tricky line: the fast reader declines, or reads what the parser reads")
    func agreement() {
        var taken = 0
        for line in Self.tricky {
            let fast = NDJSONFastPath.parse(line)
            let slow = try? NDJSONEvent.parse(line)
            if let fast {
                taken += 1
                #expect(slow != nil, "the fast reader takes a line the parser refuses: \(line)")
                #expect(fast.session == slow?.session, "\(line)")
                #expect(fast.event == slow?.event, "\(line)")
                #expect(fast.event.value.kindName == slow?.event.value.kindName, "\(line)")
                if case .gauge(let a) = fast.event.value, case .gauge(let b)? = slow?.event.value {
                    #expect(a.bitPattern == b.bitPattern, "\(line)")
                }
            }
        }
        // The reader is not a no-op: the ordinary lines above are its to read.
        #expect(taken >= 12)
    }

    @Test("decimals read by the fast reader are the parser's doubles, bit for bit, at every digit count and around the cut-offs")
    func decimalsAgreeBitForBit() {
        var random = SeededRandom(seed: 11)
        var texts = ["0.0", "-0.0", "0.1", "0.2", "0.3", "83.5", "1.000000000000000", "123456789012345.0", "12345678901234.5",
                     "0.000000000000001", "0.0000000000000001", "999999999999999.9", "9.007199254740993", "1.7976931348623157",
                     "00.5", "0.", "1.5e3", "1.5E-3", "-1.25", "-999999999999999", "4.35", "2.675", "1.005", "0.1234567890123456789"]
        for _ in 0..<3_000 {
            let integerDigits = Int(random.next() % 16), fractionDigits = Int(random.next() % 18) + 1
            let integer = integerDigits == 0 ? "0" : String((random.next() % 9) + 1) + String((1..<integerDigits).map { _ in Character(String(random.next() % 10)) })
            let fraction = String((0..<fractionDigits).map { _ in Character(String(random.next() % 10)) })
            texts.append((random.next() % 2 == 0 ? "-" : "") + integer + "." + fraction)
        }
        var taken = 0
        for text in texts {
            let line = #"{"ts":"2026-11-28T10:00:00Z","type":"gauge","name":"n","value":"# + text + "}"
            let fast = NDJSONFastPath.parse(line)
            let slow = try? NDJSONEvent.parse(line)
            guard let fast else { continue }
            taken += 1
            guard case .gauge(let a) = fast.event.value, case .gauge(let b)? = slow?.event.value else {
                Issue.record("\(text): fast \(fast.event.value), parser \(String(describing: slow?.event.value))")
                continue
            }
            #expect(a.bitPattern == b.bitPattern, "\(text): \(a) against \(b)")
        }
        #expect(taken > 2_000)
    }

    @Test("a session id the log cannot store is refused, not read as a line without a session")
    func invalidSessionIsNotMissing() {
        let line = #"{"ts":"2026-11-28T10:00:00Z","session":"\#(String(repeating: "s", count: 1025))","type":"counter","name":"n","value":1}"#
        #expect(NDJSONFastPath.parse(line) == nil)
        #expect((try? NDJSONEvent.parse(line)) != nil)  // the line parses; its id is refused when stored
    }

    @Test("the lines export writes are all taken by the fast reader")
    func exportedLinesAreTaken() throws {
        let lines = try String(contentsOf: FixtureLogs.directory.appendingPathComponent("cook-session.ndjson"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count > 10)
        for line in lines {
            let formatted = try NDJSONEvent.parse(String(line))
            let exported = NDJSONEvent.format(formatted.event, session: formatted.session)
            let fast = NDJSONFastPath.parse(exported)
            if exported.utf8.allSatisfy({ $0 < 0x80 }), !exported.contains("\\") {
                #expect(fast == formatted, "\(exported)")
            } else {
                #expect(fast == nil || fast == formatted, "\(exported)")
            }
        }
    }
}
