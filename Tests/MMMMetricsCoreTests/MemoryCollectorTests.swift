import MMMMetricsCore
import MMMMetricsTestSupport
import Testing

@Suite("MemoryMetricsCollector and CompositeMetricsCollector")
struct MemoryCollectorTests {
    static func sample() -> [MetricEvent] {
        var events: [MetricEvent] = []
        var seed: UInt64 = 12345
        func next() -> UInt64 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return seed >> 33
        }
        for index in 0..<500 {
            let command = ["build", "test", "lint"][Int(next() % 3)]
            let nanos = Int64(next() % 5_000_000_000)
            events.append(.timer(name: "command.duration", duration: .nanoseconds(nanos),
                                 tags: ["command": command, "iteration": "\(index % 7)"],
                                 timestamp: MetricTimestamp(nanosecondsSinceEpoch: Int64(index) * 1000)))
        }
        events.append(.counter(name: "git.lines_added", value: 10, tags: ["iteration": "1"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1)))
        events.append(.counter(name: "git.lines_added", value: 32, tags: ["iteration": "2"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: 2)))
        events.append(.custom(name: "error", data: ["message": "m"], tags: ["iteration": "2"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: 3)))
        return events
    }

    static func filled(_ events: [MetricEvent] = sample()) async throws -> MemoryMetricsCollector {
        let collector = MemoryMetricsCollector(capacity: 10_000)
        try await collector.record(contentsOf: events)
        return collector
    }

    @Test("every aggregation agrees with an independent computation, per group")
    func aggregationsMatchReference() async throws {
        let events = Self.sample()
        let collector = try await Self.filled(events)
        let timers = events.filter { $0.name == "command.duration" }
        func seconds(_ event: MetricEvent) -> Double {
            guard case .timer(let duration) = event.value else { return .nan }
            let (s, atto) = duration.components
            return Double(s) + Double(atto) * 1e-18
        }
        for command in ["build", "test", "lint"] {
            let values = timers.filter { $0.tags["command"] == command }.map(seconds)
            let query = MetricsQuery(metricNames: ["command.duration"], groupBy: ["command"])
            func value(_ aggregation: Aggregation) async throws -> Double? {
                try await collector.aggregate(aggregation, for: query).rows.first { $0.group["command"] == command }?.value
            }
            #expect(try await value(.count) == Double(values.count))
            let sum = try #require(try await value(.sum))
            #expect(abs(sum - values.reduce(0, +)) < 1e-9)
            let average = try #require(try await value(.average))
            #expect(abs(average - values.reduce(0, +) / Double(values.count)) < 1e-9)
            #expect(abs(try #require(try await value(.min)) - values.min()!) < 1e-12)
            #expect(abs(try #require(try await value(.max)) - values.max()!) < 1e-12)
            for q in [0.0, 1, 25, 50, 75, 90, 95, 99, 99.9, 100] {
                let expected = try #require(Reference.percentile(values, q))
                let actual = try #require(try await value(.percentile(q)))
                #expect(abs(actual - expected) < 1e-12, "p\(q) of \(command)")
            }
        }
        let grouped = try await collector.aggregate(.count, for: MetricsQuery(metricNames: ["command.duration"], groupBy: ["command"]))
        #expect(grouped.rows.map { $0.group["command"] } == ["build", "lint", "test"])
        #expect(grouped.rows.map(\.count).reduce(0, +) == 500)
    }

    @Test("percentiles: closest-rank interpolation on small hand-checked inputs; empty gives no value")
    func percentileByHand() {
        #expect(Percentile.of(sorted: [1.0, 2, 3, 4], q: 50) == 2.5)
        #expect(Percentile.of(sorted: [1.0, 2, 3, 4], q: 25) == 1.75)
        #expect(Percentile.of(sorted: [1.0, 2, 3, 4], q: 100) == 4)
        #expect(Percentile.of(sorted: [1.0, 2, 3, 4], q: 0) == 1)
        #expect(Percentile.of(sorted: [7.0], q: 95) == 7)
        #expect(Percentile.of(sorted: [10.0, 20], q: 95) == 19.5)
        #expect(Percentile.of(sorted: [Double](), q: 50) == nil)
    }

    @Test("NaN never crashes: count counts it, other aggregations skip it; all-NaN gives no row")
    func nanValues() async throws {
        let collector = try await Self.filled([
            .gauge(name: "g", value: .nan), .gauge(name: "g", value: 1), .gauge(name: "g", value: 3), .gauge(name: "only.nan", value: .nan),
        ])
        let query = MetricsQuery(metricNames: ["g"])
        #expect(try await collector.aggregate(.count, for: query).value == 3)
        #expect(try await collector.aggregate(.sum, for: query).value == 4)
        #expect(try await collector.aggregate(.average, for: query).value == 2)
        #expect(try await collector.aggregate(.percentile(50), for: query).value == 2)
        #expect(try await collector.aggregate(.max, for: MetricsQuery(metricNames: ["only.nan"])).rows.isEmpty)
        #expect(try await collector.aggregate(.percentile(50), for: MetricsQuery(metricNames: ["only.nan"])).value == nil)
        #expect(try await collector.aggregate(.sum, for: MetricsQuery(metricNames: ["nothing"])).rows.isEmpty)
    }

    @Test("custom events only count; a percentile outside [0, 100] is an error")
    func customAndErrors() async throws {
        let collector = try await Self.filled()
        #expect(try await collector.aggregate(.count, for: MetricsQuery(metricNames: ["error"])).value == 1)
        await #expect(throws: MetricsReaderError.aggregationNeedsNumbers(aggregation: "sum", metric: "error")) {
            try await collector.aggregate(.sum, for: MetricsQuery(metricNames: ["error"]))
        }
        await #expect(throws: MetricsReaderError.percentileOutOfRange(101)) {
            try await collector.aggregate(.percentile(101), for: MetricsQuery())
        }
        await #expect(throws: MetricsReaderError.unknownAggregation("nope", known: AggregationRegistry.builtInNames.sorted())) {
            try await collector.aggregate(.custom("nope"), for: MetricsQuery())
        }
        await #expect(throws: MetricsReaderError.self) {
            try await collector.query(MetricsQuery(matchers: [TagMatcher("command", .matchesRegex, "(")]))
        }
    }

    @Test("queries filter by name glob, half-open time range, exact tags and matchers")
    func queries() async throws {
        let collector = try await Self.filled()
        let all = try await collector.query(MetricsQuery())
        #expect(all.events.count == 503)
        let git = try await collector.query(MetricsQuery(metricNames: ["git.*"]))
        #expect(git.events.map(\.counterValue) == [10, 32])
        let ranged = try await collector.query(MetricsQuery(
            metricNames: ["command.*"],
            timeRange: TimeRange(start: MetricTimestamp(nanosecondsSinceEpoch: 1000), end: MetricTimestamp(nanosecondsSinceEpoch: 3000))))
        #expect(ranged.events.map(\.timestamp?.nanosecondsSinceEpoch) == [1000, 2000])
        let tagged = try await collector.query(MetricsQuery(tags: ["iteration": "2"]))
        #expect(tagged.events.allSatisfy { $0.tags["iteration"] == "2" })
        #expect(tagged.events.contains { $0.name == "error" })
        let regex = try await collector.query(MetricsQuery(matchers: [TagMatcher("command", .matchesRegex, "b.*|t.st")]))
        #expect(Set(regex.events.compactMap { $0.tags["command"] }) == ["build", "test"])
        let notRegex = try await collector.query(MetricsQuery(metricNames: ["command.duration"], matchers: [TagMatcher("command", .notMatchesRegex, "b.*|t.st")]))
        #expect(Set(notRegex.events.compactMap { $0.tags["command"] }) == ["lint"])
        // Regexes match the whole value, as in PromQL.
        let partial = try await collector.query(MetricsQuery(matchers: [TagMatcher("command", .matchesRegex, "uil")]))
        #expect(partial.events.isEmpty)
        let notEqual = try await collector.query(MetricsQuery(metricNames: ["command.duration"], matchers: [TagMatcher("command", .notEqual, "lint")]))
        #expect(!notEqual.events.contains { $0.tags["command"] == "lint" })
        let equal = try await collector.query(MetricsQuery(matchers: [TagMatcher("command", .equal, "lint")]))
        #expect(equal.events.allSatisfy { $0.tags["command"] == "lint" })
        // A missing tag reads as "": git counters have no command tag.
        let missing = try await collector.query(MetricsQuery(matchers: [TagMatcher("command", .equal, "")]))
        #expect(missing.events.count == 3)
        // A group key the event lacks groups under "".
        let byCommand = try await collector.aggregate(.count, for: MetricsQuery(metricNames: ["git.*", "error"], groupBy: ["command"]))
        #expect(byCommand.rows == [AggregateRow(group: ["command": ""], value: 3, count: 3)])
    }

    @Test("the ring keeps the newest events and counts the dropped ones")
    func ring() async throws {
        let collector = MemoryMetricsCollector(capacity: 3)
        for index in 0..<5 { try await collector.record(.counter(name: "c", value: Int64(index))) }
        #expect(collector.events.map(\.counterValue) == [2, 3, 4])
        #expect(collector.droppedCount == 2)
        try await collector.flush()
        collector.reset()
        #expect(collector.events.isEmpty)
        #expect(collector.droppedCount == 0)
        collector.append(.counter(name: "c", value: 9))
        #expect(collector.events.map(\.counterValue) == [9])
    }

    @Test("a custom aggregation registered by name is a fold with merge")
    func customAggregation() async throws {
        struct TrimmedMean: AggregationFunction {
            func initialState() -> [Double] { [] }
            func step(_ state: inout [Double], _ value: Double) { state.append(value) }
            func merge(_ state: inout [Double], _ other: [Double]) { state += other }
            func result(_ state: [Double]) -> Double? {
                let sorted = state.sorted()
                let cut = sorted.count / 10
                let kept = sorted.dropFirst(cut).dropLast(cut)
                return kept.isEmpty ? nil : kept.reduce(0, +) / Double(kept.count)
            }
        }
        let functions = AggregationRegistry()
        functions.register("trimmed_mean", TrimmedMean())
        #expect(functions.registeredNames == ["trimmed_mean"])
        let collector = MemoryMetricsCollector(capacity: 100, functions: functions)
        for value in 1...20 { try await collector.record(.gauge(name: "g", value: Double(value), tags: ["half": value <= 10 ? "low" : "high"])) }
        try await collector.record(.gauge(name: "g", value: .nan))
        let result = try await collector.aggregate(.custom("trimmed_mean"), for: MetricsQuery(metricNames: ["g"]))
        #expect(result.value == 10.5)  // 3...18 averaged
        #expect(result.rows.first?.count == 21)

        var low = try GroupedAggregator(.custom("trimmed_mean"), functions: functions)
        var high = try GroupedAggregator(.custom("trimmed_mean"), functions: functions)
        for value in 1...10 { try low.add(value: Double(value), name: "g", group: []) }
        for value in 11...20 { try high.add(value: Double(value), name: "g", group: []) }
        low.merge(high)
        #expect(low.result().value == 10.5)
    }

    @Test("merging aggregators equals aggregating everything at once")
    func mergeBuiltIns() throws {
        for aggregation in [Aggregation.count, .sum, .average, .min, .max, .percentile(90), .first, .last, .standardDeviation] {
            var whole = try GroupedAggregator(aggregation, groupBy: ["k"])
            var left = try GroupedAggregator(aggregation, groupBy: ["k"])
            var right = try GroupedAggregator(aggregation, groupBy: ["k"])
            for index in 0..<100 {
                let group = [index % 3 == 0 ? "a" : "b"]
                // Timestamps out of order (first and last go by them, not by the order of adding).
                let value = Double(index * 7 % 31), timestamp = Int64(index * 37 % 101)
                try whole.add(value: value, timestamp: timestamp, name: "n", group: group)
                if index < 40 { try left.add(value: value, timestamp: timestamp, name: "n", group: group) } else {
                    try right.add(value: value, timestamp: timestamp, name: "n", group: group)
                }
            }
            left.merge(right)
            if aggregation == .standardDeviation {
                // Chan's combination of two running states equals one running state up to rounding.
                let merged = left.result().rows, single = whole.result().rows
                #expect(merged.map(\.group) == single.map(\.group))
                for (one, other) in zip(merged, single) { #expect(abs(one.value - other.value) < 1e-12 * other.value) }
                #expect(merged.allSatisfy { $0.value > 5 })
                continue
            }
            #expect(left.result() == whole.result(), "\(aggregation)")
            #expect(whole.groupKey(tags: ["k": "x"]) == ["x"])
            #expect(whole.groupKey(tags: [:], extraTags: ["k": "s"]) == ["s"])
        }
    }

    @Test("the composite collector calls every child even when one throws, then rethrows")
    func composite() async throws {
        let first = MemoryMetricsCollector()
        let second = MemoryMetricsCollector()
        let composite = CompositeMetricsCollector([first, FailingCollector(), second])
        await #expect(throws: FailingCollector.Failure.self) { try await composite.record(.counter(name: "a", value: 1)) }
        await #expect(throws: FailingCollector.Failure.self) { try await composite.record(contentsOf: [.counter(name: "b", value: 1)]) }
        await #expect(throws: FailingCollector.Failure.self) { try await composite.flush() }
        #expect(first.events.map(\.name) == ["a", "b"])
        #expect(second.events.map(\.name) == ["a", "b"])
        let fine = CompositeMetricsCollector([first])
        try await fine.record(.counter(name: "c", value: 1))
        try await fine.flush()
        #expect(fine.collectors.count == 1)
    }

    @Test("selectors use implicit extra tags (a stored log's session) under the event's own")
    func selectorExtraTags() throws {
        var selector = try EventSelector(MetricsQuery(tags: ["session": "s1"], matchers: [TagMatcher("session", .matchesRegex, "s.")]))
        let own = selector.selects(.counter(name: "x", value: 1), extraTags: ["session": "s1"])
        let otherSession = selector.selects(.counter(name: "x", value: 1), extraTags: ["session": "s2"])
        let overridden = selector.selects(.counter(name: "x", value: 1, tags: ["session": "other"]), extraTags: ["session": "s1"])
        #expect(own)
        #expect(!otherSession)
        #expect(!overridden)
        #expect(selector.selects(name: "anything"))
        #expect(selector.timeRange == nil)
    }
}

@Suite("Percentile selection")
struct PercentileSelectionTests {
    @Test("quickselect gives exactly the sorted answer, for random, duplicated and ordered inputs")
    func selectMatchesSort() {
        var random = SeededRandom(seed: 99)
        for trial in 0..<300 {
            let count = 1 + Int(random.next() % 400)
            var values: [Double] = (0..<count).map { _ in
                switch trial % 4 {
                case 0: Double(random.next() % 1000) / 7
                case 1: Double(random.next() % 5)  // many duplicates
                case 2: Double(trial)  // all equal
                default: 0
                }
            }
            if trial % 4 == 3 { values = (0..<count).map(Double.init) }  // already sorted
            if trial % 8 == 7 { values.reverse() }
            for q in [0.0, 1, 25, 50, 90, 95, 99, 99.9, 100, Double(random.next() % 1000) / 10] {
                var copy = values
                #expect(Percentile.select(&copy, q: q) == Percentile.of(sorted: values.sorted(), q: q), "trial \(trial) q \(q)")
            }
        }
        var empty: [Double] = []
        #expect(Percentile.select(&empty, q: 50) == nil)
    }
}
