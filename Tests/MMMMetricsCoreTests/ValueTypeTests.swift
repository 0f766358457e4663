import Foundation
import MMMMetricsCore
import Testing

@Suite("Tags, JSON values, globs, timestamps")
struct ValueTypeTests {
    @Test("tags keep unique keys in order; later values win; merge and remove")
    func tags() {
        let tags: Tags = ["b": "2", "a": "1", "b": "3"]
        #expect(tags.keys == ["a", "b"])
        #expect(tags["b"] == "3")
        #expect(tags.count == 2)
        #expect(!tags.isEmpty)
        #expect(Tags().isEmpty)
        #expect(tags.description == "{a=\"1\", b=\"3\"}")
        #expect(tags.dictionary == ["a": "1", "b": "3"])
        #expect(Tags(["z": "9", "y": "8"]).keys == ["y", "z"])
        #expect(Tags([("k", "1"), ("k", "2")])["k"] == "2")
        var mutable = tags
        mutable["c"] = "4"
        mutable["a"] = nil
        mutable["missing"] = nil
        mutable["b"] = "5"
        #expect(mutable == ["b": "5", "c": "4"])
        let merged = tags.merging(["b": "x", "0": "first", "z": "last"])
        #expect(merged == ["0": "first", "a": "1", "b": "x", "z": "last"])
        #expect(merged.keys == ["0", "a", "b", "z"])
        #expect(tags.merging([:]) == tags)
        #expect(Tags().merging(tags) == tags)
        #expect(merged.removing(["0", "z"]) == ["a": "1", "b": "x"])
        #expect(merged.contains(["a": "1"]))
        #expect(!merged.contains(["a": "2"]))
        #expect(Set([tags, ["a": "1", "b": "3"]]).count == 1)
        #expect(tags.map(\.key) == ["a", "b"])
    }

    @Test("tags and structured metrics encode as JSON with snake_case keys")
    func codable() throws {
        let tags: Tags = ["command": "build"]
        let data = try JSONEncoder().encode(tags)
        #expect(String(decoding: data, as: UTF8.self) == #"{"command":"build"}"#)
        #expect(try JSONDecoder().decode(Tags.self, from: data) == tags)

        let session = SessionMetrics(
            sessionId: "s1", startTime: MetricTimestamp(nanosecondsSinceEpoch: 5),
            iterations: [IterationMetrics(iterationNumber: 1, durationSeconds: 2, commandsExecuted: 3, filesChanged: 4,
                                          linesAdded: 5, linesRemoved: 6, errors: [ErrorMetric(message: "m", kind: "k")])],
            totalDurationSeconds: 9, finalStatus: .completed, quality: QualityMetrics(testCoverage: 80))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(session), as: UTF8.self)
        for key in ["session_id", "start_time", "total_duration_seconds", "final_status", "iteration_number", "duration_seconds",
                    "commands_executed", "files_changed", "lines_added", "lines_removed", "test_coverage", "lint_warnings\":null",
                    "complexity_score", "documentation_coverage"] {
            #expect(json.contains(key), "missing \(key) in \(json)")
        }
        let decoded = try JSONDecoder().decode(SessionMetrics.self, from: Data(json.utf8))
        #expect(decoded == session)
    }

    @Test("JSON values: literals, accessors, Codable round trip")
    func jsonValue() throws {
        let value: JSONValue = ["s": "text", "i": 3, "d": 2.5, "b": true, "n": nil, "a": [1, "x"], "o": ["k": "v"]]
        #expect(value["s"]?.stringValue == "text")
        #expect(value["i"]?.integerValue == 3)
        #expect(value["i"]?.doubleValue == 3)
        #expect(value["d"]?.doubleValue == 2.5)
        #expect(value["d"]?.integerValue == nil)
        #expect(JSONValue.double(4).integerValue == 4)
        #expect(value["s"]?.doubleValue == nil)
        #expect(value["s"]?.integerValue == nil)
        #expect(value["i"]?.stringValue == nil)
        #expect(value["missing"] == nil)
        #expect(JSONValue.string("x")["k"] == nil)
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data("9223372036854775807".utf8)) == .integer(.max))
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data("1e300".utf8)) == .double(1e300))
    }

    @Test("name globs: * matches any run; literals match exactly")
    func globs() {
        let cases: [(String, String, Bool)] = [
            ("command.*", "command.duration", true), ("command.*", "command.", true), ("command.*", "commands", false),
            ("*", "", true), ("*", "anything", true), ("*.duration", "iteration.duration", true), ("*.duration", "duration", false),
            ("a*b*c", "abc", true), ("a*b*c", "aXbYc", true), ("a*b*c", "acb", false), ("a*b*c", "abcb", false),
            ("a**b", "ab", true), ("exact", "exact", true), ("exact", "exactly", false), ("*mid*", "xmidy", true),
            ("*mid*", "mi", false), ("é*", "été", true), ("a*aa", "aa", false), ("a*aa", "aaa", true), ("ab*ab*ab", "ababab", true),
            ("ab*ab*ab", "abab", false),
        ]
        for (pattern, name, expected) in cases {
            #expect(NameGlob(pattern).matches(name) == expected, "\(pattern) vs \(name)")
        }
        #expect(NameGlob("x").isLiteral)
        #expect(!NameGlob("x*").isLiteral)
        #expect(NameGlob("x*").description == "x*")
        let list = NameGlobList(["exact", "pre*"])
        #expect(list.matches("exact"))
        #expect(list.matches("prefix"))
        #expect(!list.matches("other"))
        #expect(!NameGlobList([]).matches("x"))
        #expect(NameGlobList([]).isEmpty)
    }

    @Test("timestamps and durations convert exactly")
    func time() {
        let timestamp = MetricTimestamp(secondsSinceEpoch: 1.5)
        #expect(timestamp?.nanosecondsSinceEpoch == 1_500_000_000)
        #expect(timestamp?.secondsSinceEpoch == 1.5)
        // Outside Int64 nanoseconds (and NaN): nil, never a trap.
        #expect(MetricTimestamp(secondsSinceEpoch: 1e300) == nil)
        #expect(MetricTimestamp(secondsSinceEpoch: -9.3e9) == nil)
        #expect(MetricTimestamp(secondsSinceEpoch: .nan) == nil)
        #expect(MetricTimestamp(secondsSinceEpoch: 9.2e9)?.nanosecondsSinceEpoch == 9_200_000_000_000_000_000)
        #expect(MetricTimestamp(nanosecondsSinceEpoch: 1) < MetricTimestamp(nanosecondsSinceEpoch: 2))
        let now = MetricTimestamp.now().secondsSinceEpoch
        #expect(abs(now - Date().timeIntervalSince1970) < 5)
        #expect(Duration.nanoseconds(1_234_567_891).totalNanoseconds == 1_234_567_891)
        #expect(Duration.nanoseconds(-5).totalNanoseconds == -5)
        #expect(Duration.seconds(Int64.max).totalNanoseconds == .max)
        #expect(Duration.seconds(Int64.min).totalNanoseconds == .min)
        #expect(Duration.milliseconds(1500).secondsAsDouble == 1.5)
        #expect(MetricValue.timer(.milliseconds(250)).numericValue == 0.25)
        #expect(MetricValue.custom(nil).numericValue == nil)
        #expect(MetricValue.counter(3).numericValue == 3)
        #expect([MetricValue.counter(1), .gauge(1), .timer(.zero), .custom(nil)].map(\.kindName) == ["counter", "gauge", "timer", "custom"])
    }

    @Test("time ranges are half-open")
    func timeRange() {
        let range = TimeRange(start: MetricTimestamp(nanosecondsSinceEpoch: 10), end: MetricTimestamp(nanosecondsSinceEpoch: 20))
        #expect(range.contains(MetricTimestamp(nanosecondsSinceEpoch: 10)))
        #expect(!range.contains(MetricTimestamp(nanosecondsSinceEpoch: 20)))
        #expect(!range.contains(MetricTimestamp(nanosecondsSinceEpoch: 9)))
        #expect(range.overlaps(low: MetricTimestamp(nanosecondsSinceEpoch: 0), high: MetricTimestamp(nanosecondsSinceEpoch: 10)))
        #expect(!range.overlaps(low: MetricTimestamp(nanosecondsSinceEpoch: 0), high: MetricTimestamp(nanosecondsSinceEpoch: 9)))
        #expect(!range.overlaps(low: MetricTimestamp(nanosecondsSinceEpoch: 20), high: MetricTimestamp(nanosecondsSinceEpoch: 30)))
        #expect(TimeRange().contains(MetricTimestamp(nanosecondsSinceEpoch: .min)))
    }

    @Test("errors describe themselves with their context")
    func errorDescriptions() {
        #expect(MetricsReaderError.aggregationNeedsNumbers(aggregation: "sum", metric: "error").description.contains("only count"))
        #expect(MetricsReaderError.percentileOutOfRange(101).description.contains("101"))
        #expect(MetricsReaderError.unknownAggregation("x", known: ["sum"]).description.contains("known: sum"))
        #expect(MetricsReaderError.invalidRegex("(", reason: "r").description.contains("\"(\""))
        #expect(MetricsConfigError.unknownKey("metrics.x").description.contains("metrics.x"))
        #expect(MetricsConfigError.unknownCollector(name: "a", registered: []).description.contains("registered: none"))
        #expect(MetricsConfigError.unreadableFile(path: "p", reason: "r").description == "p: r")
        #expect(MetricsConfigError.pluginFailed(name: "n", reason: "r").description.contains("'n'"))
        #expect(TagMatcher("k", .matchesRegex, #"a"b\c"#).description == #"k=~"a\"b\\c""#)
        #expect(Aggregation.percentile(95).name == "percentile(95.0)")
        #expect([Aggregation.sum, .average, .min, .max, .count, .custom("t")].map(\.name) == ["sum", "avg", "min", "max", "count", "t"])
    }
}

@Suite("JSONValue printing")
struct JSONValuePrintingTests {
    @Test("description is compact JSON with sorted keys, escapes and null for non-finite numbers")
    func description() {
        let value: JSONValue = ["b": [1, 2.5, true, nil], "a": "x\"\\\n\r\t\u{1}", "c": .double(.infinity)]
        #expect(value.description == #"{"a":"x\"\\\n\r\t\u0001","b":[1,2.5,true,null],"c":null}"#)
        #expect(JSONValue.bool(false).description == "false")
    }
}

@Suite("Regular expressions that backtrack exponentially")
struct RegexSafetyTests {
    @Test("a repeated group that can match in more than one length is found; escapes, classes, fixed {n} inside and ? outside are not",
          arguments: [
              ("(a+)+b", 4), ("(\\w*\\s?)*", 8), ("((ab)*c)+", 8), ("(x{2,})*", 7), ("([a-z]+)*", 8),
              ("(a?){28}a{28}", 4), ("(ab?)+", 5), ("(a{1,3}){2}", 8), ("(a{3}){1,5}", nil), ("(a?)?", nil),
              ("(ab)+", nil), ("(build|test)+", nil), ("a+b*(c)?", nil), ("(a{2})+", nil), ("(a+)?", nil),
              ("\\(a+\\)+", nil), ("[(a+)]+", nil), ("(a+)", nil), ("", nil),
          ] as [(String, Int?)])
    func nested(pattern: String, offset: Int?) {
        #expect(RegexSafety.nestedRepetition(in: pattern) == offset, "\(pattern)")
    }
}
