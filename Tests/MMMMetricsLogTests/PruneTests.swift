import Foundation
import MMMMetricsCore
import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

@Suite("Prune")
struct PruneTests {
    /// Forty days from now: every session written by the test is older than 30 days then.
    static let later = MetricTimestamp(nanosecondsSinceEpoch: MetricTimestamp.now().nanosecondsSinceEpoch + 40 * 86_400 * 1_000_000_000)

    func files(_ root: LogRoot) -> [String] {
        (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []).sorted()
    }

    @Test("old sessions are archived, read back, then removed; recent ones and held ones stay")
    func archivesThenRemoves() throws {
        let temporary = TemporaryDirectory()
        let root = temporary.root
        let events = EventGenerator.cookSession(iterations: 3, seed: 7)
        try writeSession(root, "a/b c", events)
        try writeSession(root, "held", events)
        let holder = try SessionLogWriter(root: root, session: "held")
        defer { try? holder.close() }
        let archives = temporary.path + "/archives"
        // Now: nothing is old.
        let none = try LogMaintenance(root: root).prune(olderThan: .seconds(86_400 * 30), archiveDirectory: archives)
        #expect(none.actions.isEmpty)
        #expect(none.recentSessions == 2)
        let report = try LogMaintenance(root: root).prune(olderThan: .seconds(86_400 * 30), now: Self.later, archiveDirectory: archives)
        #expect(report.succeeded)
        #expect(report.actions.map(\.session) == ["a/b c", "held"])
        #expect(report.actions[0].outcome == .removed(archive: archives + "/a%2Fb%20c.mmmar"))
        #expect(report.actions[0].events == events.count)
        #expect(report.actions[1].outcome == .kept(reason: "a writer holds its lock"))
        #expect(try root.sessionIDs() == ["held"])
        let archived = try ArchiveSource(path: archives + "/a%2Fb%20c.mmmar")
        #expect(sameEvents(try LogReader(source: archived).events(session: "a/b c", mode: .strict).map(\.event), events))
    }

    @Test("a session that cannot be archived is kept, and the prune fails; without --archive-to it goes")
    func archiveFailureKeeps() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("bad-block", into: temporary)
        try writeSession(root, "fine", EventGenerator.cookSession(iterations: 1, seed: 1))
        let archives = temporary.path + "/archives"
        try FileManager.default.createDirectory(atPath: archives, withIntermediateDirectories: true)
        // An archive of the fine session already there with other bytes: never overwritten.
        try Data("not an archive".utf8).write(to: URL(fileURLWithPath: archives + "/fine.mmmar"))
        let report = try LogMaintenance(root: root).prune(olderThan: .seconds(60), now: Self.later, archiveDirectory: archives)
        #expect(!report.succeeded)
        #expect(try root.sessionIDs() == ["fine", "fixture-cook"])
        let reasons = report.actions.map { "\($0)" }
        #expect(reasons.contains { $0.hasPrefix("not removed fixture-cook") && $0.contains("cannot be archived") })
        #expect(reasons.contains { $0.hasPrefix("not removed fine") && $0.contains("already exists and holds something else") })
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: archives + "/fine.mmmar")), as: UTF8.self) == "not an archive")
        // The same archive as would be written is accepted (a second prune after an interrupted one).
        try FileManager.default.removeItem(atPath: archives + "/fine.mmmar")
        try SessionArchive.write(session: "fine", from: root, to: archives + "/fine.mmmar")
        let again = try LogMaintenance(root: root).prune(olderThan: .seconds(60), now: Self.later, archiveDirectory: archives)
        #expect(again.actions.first { $0.session == "fine" }?.outcome == .removed(archive: archives + "/fine.mmmar"))
        let plain = try LogMaintenance(root: root).prune(olderThan: .seconds(60), now: Self.later)
        #expect(plain.succeeded)
        #expect(try root.sessionIDs().isEmpty)
    }

    @Test("a dry run changes nothing, not even a lock file")
    func dryRun() throws {
        let temporary = TemporaryDirectory()
        let root = temporary.root
        try writeSession(root, "s", EventGenerator.cookSession(iterations: 1, seed: 2))
        try? FileManager.default.removeItem(atPath: root.path + "/sessions/s/LOCK")
        let before = files(root)
        let report = try LogMaintenance(root: root).prune(olderThan: .zero, now: Self.later, archiveDirectory: temporary.path + "/a", dryRun: true)
        #expect(report.actions.map(\.outcome) == [.wouldRemove(archive: temporary.path + "/a/s.mmmar")])
        #expect(files(root) == before)
        #expect(!FileManager.default.fileExists(atPath: temporary.path + "/a"))
    }

    @Test("activity is the later of the last event and the last file change; an interrupted prune's leftovers go")
    func activityAndLeftovers() throws {
        let temporary = TemporaryDirectory()
        let root = temporary.root
        // Events from 2020, written today (an import): not old by 30 days.
        let old = EventGenerator.cookSession(iterations: 1, seed: 3).map { event in
            var event = event
            event.timestamp = MetricTimestamp(nanosecondsSinceEpoch: 1_600_000_000_000_000_000 + (event.timestamp?.nanosecondsSinceEpoch ?? 0) % 1_000_000_000_000)
            return event
        }
        try writeSession(root, "imported", old)
        let hidden = root.path + "/sessions/.prune-1-2"
        try FileManager.default.createDirectory(atPath: hidden, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: hidden + "/00000000000000000000.seg"))
        let report = try LogMaintenance(root: root).prune(olderThan: .seconds(86_400 * 30))
        #expect(report.actions.isEmpty)
        #expect(report.recentSessions == 1)
        #expect(report.leftoversRemoved == [".prune-1-2"])
        #expect(!FileManager.default.fileExists(atPath: hidden))
        // Its files aged: now it is old.
        for file in try FileManager.default.contentsOfDirectory(atPath: root.path + "/sessions/imported") {
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_600_000_000)], ofItemAtPath: root.path + "/sessions/imported/" + file)
        }
        let aged = try LogMaintenance(root: root).prune(olderThan: .seconds(86_400 * 30))
        #expect(aged.actions.map(\.outcome) == [.removed(archive: nil)])
    }

    @Test("the CLI: one line per session, exit 1 when an archive could not be made")
    func cli() async throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("bad-block", into: temporary)
        let result = try await runAnalyzer(["prune", "--log", root.path, "--older-than", "0s", "--archive-to", temporary.path + "/a"])
        #expect(result.status == 1)
        #expect(result.out.hasPrefix("not removed fixture-cook ("))
        #expect(result.err.contains("removed 0 of 1 session inactive for 0s"))
        let bad = try await runAnalyzer(["prune", "--log", root.path, "--older-than", "soon"])
        #expect(bad.status != 0)
        #expect(bad.err.contains("--older-than \"soon\" is not a duration"))
    }
}
