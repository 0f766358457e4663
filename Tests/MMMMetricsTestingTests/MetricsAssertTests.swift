import MMMMetrics
import MMMMetricsTesting
import Testing

@Suite("MetricsAssert")
struct MetricsAssertTests {
    func recorded() async throws -> MetricsAssert {
        let probe = MetricsAssert()
        let registry = MetricsRegistry(config: MetricsConfig())
        registry.register(probe.collector)
        await registry.increment("c", by: 2, tags: ["k": "v"])
        await registry.gauge("g", value: 1.5)
        await registry.record(.timer(name: "t", duration: .seconds(1)))
        try await registry.flush()
        return probe
    }

    @Test("passing assertions record no issue")
    func passing() async throws {
        let probe = try await recorded()
        probe.assertCounter("c", expected: 2)
        probe.assertGauge("g", expected: 1.5)
        probe.assertGauge("g", expected: 1.6, tolerance: 0.2)
        probe.assertTimerCalled("t")
        probe.assertTimerCalled("t", times: 1)
        probe.assertTags("c", include: ["k": "v"])
        #expect(probe.events.count == 3)
        probe.reset()
        probe.assertNoMetrics()
    }

    @Test("each failed assertion is a test issue naming expected, actual and what was recorded")
    func failing() async throws {
        let probe = try await recorded()
        let cases: [(String, () -> Void)] = [
            ("expected counter c to total 3, but it totals 2", { probe.assertCounter("c", expected: 3) }),
            ("no counter was recorded under that name", { probe.assertCounter("g", expected: 1) }),
            ("expected gauge g to be 2.0, but its last value is 1.5", { probe.assertGauge("g", expected: 2) }),
            ("no gauge was recorded under that name", { probe.assertGauge("missing", expected: 2) }),
            ("expected timer t to be recorded 2 time(s), but it was recorded 1 time(s)", { probe.assertTimerCalled("t", times: 2) }),
            ("expected timer x to be recorded, but it was not", { probe.assertTimerCalled("x") }),
            ("expected an event c with tags {k=\"w\"}, but none has them", { probe.assertTags("c", include: ["k": "w"]) }),
            ("expected no metrics, but 3 event(s) were recorded", { probe.assertNoMetrics() }),
        ]
        for (message, assertion) in cases {
            withKnownIssue {
                assertion()
            } matching: { issue in
                let text = issue.comments.map(\.rawValue).joined()
                return text.contains(message) && text.contains("recorded under that name")
            }
        }
        withKnownIssue {
            probe.assertCounter("c", expected: 5)
        } matching: { issue in
            issue.comments.map(\.rawValue).joined().contains(#"c{k="v"} counter 2"#)
        }
        // Totalled exactly: max + max + 2 is no 0 (a wrapping sum made it one).
        let wrapping = MetricsAssert()
        try await wrapping.collector.record(contentsOf: [.counter(name: "w", value: .max), .counter(name: "w", value: .max), .counter(name: "w", value: 2)])
        withKnownIssue {
            wrapping.assertCounter("w", expected: 0)
        } matching: { issue in
            issue.comments.map(\.rawValue).joined().contains("it totals 18446744073709551616 (past Int64's range)")
        }
    }

    @Test("a long listing is cut after twenty events")
    func longListing() async throws {
        let probe = MetricsAssert()
        for index in 0..<25 { probe.memory.append(.custom(name: "many", data: .integer(Int64(index)))) }
        withKnownIssue {
            probe.assertNoMetrics()
        } matching: { issue in
            issue.comments.map(\.rawValue).joined().contains("… and 5 more")
        }
    }
}
