import Foundation
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

@Suite("Fixture logs")
struct FixtureLogTests {
    @Test("the good log verifies and reads back the source events exactly")
    func good() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        #expect(try LogMaintenance(root: root).verify().isEmpty)
        #expect(sameEvents(try readSession(root, "fixture-cook"), FixtureLogs.sourceEvents))
        #expect(try root.segmentPaths(session: "fixture-cook").count == 3)
    }

    @Test("torn tail: reported, readable, cut by a writer and by recover")
    func tornTail() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("torn-tail", into: temporary)
        let problems = try LogMaintenance(root: root).verify()
        #expect(problems.contains { $0.message.contains("torn tail") && $0.message.contains("60 bytes") })
        #expect(sameEvents(try readSession(root, "fixture-cook", mode: .strict), FixtureLogs.sourceEvents))
        let writer = try SessionLogWriter(root: root, session: "fixture-cook")
        #expect(writer.recovery?.truncatedBytes == 60)
        #expect(writer.nextSequence == 37)
        try writer.close()
        #expect(try LogMaintenance(root: root).verify().isEmpty)

        let second = TemporaryDirectory()
        let again = try FixtureLogs.copy("torn-tail", into: second)
        let actions = try LogMaintenance(root: again).recover()
        #expect(actions.first?.actions.contains { $0.contains("truncated a torn tail of 60 bytes") } == true)
        #expect(try LogMaintenance(root: again).verify().isEmpty)
    }

    @Test("bad block: strict fails, lenient skips 6 events with a warning, recover keeps the bytes")
    func badBlock() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("bad-block", into: temporary)
        let problems = try LogMaintenance(root: root).verify()
        #expect(problems.count == 1)
        #expect(problems.first?.message.contains("6 events lost") == true)
        #expect(throws: LogError.self) { try readSession(root, "fixture-cook", mode: .strict) }
        var warnings: [ReadWarning] = []
        let read = try LogReader(root: root).events(session: "fixture-cook", mode: .lenient) { warnings.append($0) }
        #expect(read.count == 31)
        #expect(read.map(\.sequence).contains(5) && !read.map(\.sequence).contains(6))
        #expect(warnings.count == 1)
        let path = try #require(try root.segmentPaths(session: "fixture-cook").first)
        let before = Corrupter.bytes(path)
        _ = try LogMaintenance(root: root).recover()
        #expect(Corrupter.bytes(path) == before)
    }

    @Test("stale index: reported, ignored when reading, rebuilt by recover")
    func staleIndex() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("stale-index", into: temporary)
        let problems = try LogMaintenance(root: root).verify()
        #expect(problems.count == 2)
        #expect(sameEvents(try readSession(root, "fixture-cook"), FixtureLogs.sourceEvents))
        _ = try LogMaintenance(root: root).recover()
        #expect(try LogMaintenance(root: root).verify().isEmpty)
    }
}
