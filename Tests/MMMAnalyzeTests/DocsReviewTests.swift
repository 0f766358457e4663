import Foundation
import MMMMetricsCore
import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

/// What a review of the documentation against the built tools found (sixteenth session): each test
/// failed on the code before.
@Suite("mmm-analyze: documentation review findings")
struct DocsReviewTests {
    static func ingest(_ root: String, _ lines: [String]) async throws {
        let result = try await runAnalyzer(["ingest", "--log", root], stdin: Data((lines.joined(separator: "\n") + "\n").utf8))
        #expect(result.status == 0, "\(result.err)")
    }

    @Test("a log root that does not exist is named alike by sessions and archive (a mistyped path is not an empty log); serve says so and would start")
    func missingRoot() async throws {
        let temporary = TemporaryDirectory()
        let missing = temporary.path + "/nope"
        for arguments in [["sessions"], ["sessions", "--format", "json"], ["archive", "--latest", "-o", temporary.path + "/a.mmmar"]] {
            let result = try await runAnalyzer(arguments + ["--log", missing])
            #expect(result.status == 1, "\(arguments): \(result.err)")
            #expect(result.err.contains("cannot open \(missing): No such file or directory"), "\(arguments): \(result.err)")
            #expect(result.out.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    @Test("argument errors found while running print the command's own usage and exit 64")
    func commandUsage() async throws {
        let temporary = TemporaryDirectory()
        try await Self.ingest(temporary.path, [#"{"ts":"2026-11-28T10:00:00Z","session":"s","type":"counter","name":"c","value":1}"#])
        let prune = try await runAnalyzer(["prune", "--log", temporary.path, "--older-than", "1y"])
        #expect(prune.status == 64)
        #expect(prune.err.contains("Usage: mmm-analyze prune"), "\(prune.err)")
        #expect(prune.err.contains("See 'mmm-analyze help prune'"))
        let serve = try await runAnalyzer(["serve", "--log", temporary.path, "--listen", "::1:9464"])
        #expect(serve.status == 64, "\(serve.err)")
        #expect(serve.err.contains("is not HOST:PORT"))
    }

    @Test("report --latest on a root with only MMM's old files says how to import them, as --session does")
    func latestLegacyHint() async throws {
        let temporary = TemporaryDirectory()
        let root = temporary.path + "/legacy"
        try LegacyFixtures.currentJSON(in: root)
        let result = try await runAnalyzer(["report", "--log", root, "--latest"])
        #expect(result.status == 1)
        #expect(result.err.contains("holds only MMM's old metrics files (current.json)"), "\(result.err)")
        #expect(result.err.contains("mmm-analyze import-legacy --log \(root)"))
    }

    @Test("a session.end without a text status reports incomplete; the summary's command count is the command table's, iterations or not")
    func statusAndCommandCount() async throws {
        let temporary = TemporaryDirectory()
        func event(_ fields: String) -> String { #"{"ts":"2026-11-28T10:00:00Z","session":"e",\#(fields)}"# }
        var lines = [event(#""type":"custom","name":"session.start","data":{}"#), event(#""type":"custom","name":"session.end","data":{"status":5}"#)]
        for tag in ["1", "01", "+5", "x"] {
            lines.append(event(#""type":"timer","name":"command.duration","duration_ns":1000000,"tags":{"command":"c","iteration":"\#(tag)"}"#))
        }
        try await Self.ingest(temporary.path, lines)
        let text = try await runAnalyzer(["report", "--log", temporary.path, "--session", "e"])
        #expect(text.status == 0, "\(text.err)")
        #expect(text.out.contains("incomplete"), "\(text.out)")
        #expect(text.out.contains("4 commands"), "\(text.out)")
        let json = try await runAnalyzer(["report", "--log", temporary.path, "--session", "e", "--format", "json"])
        #expect(json.out.contains(#""final_status":"incomplete""#), "\(json.out)")
    }

    @Test("export says when a name or time filter matched nothing, and when --since is not before --until")
    func emptyExportSaid() async throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let name = try await runAnalyzer(["export", "--log", root.path, "--name", "nosuch*"])
        #expect(name.status == 0 && name.out.isEmpty)
        #expect(name.err.contains(#"no stored event named "nosuch*" was exported"#), "\(name.err)")
        let range = try await runAnalyzer(["export", "--log", root.path, "--since", "2026-11-28T10:02:00Z", "--until", "2026-11-28T10:01:00Z"])
        #expect(range.err.contains("is not before --until"), "\(range.err)")
        let all = try await runAnalyzer(["export", "--log", root.path, "--name", "command.*"])
        #expect(!all.out.isEmpty && all.err.isEmpty, "\(all.err)")
    }

    @Test("export --format legacy-current keeps the current.json it first replaces as current.json.orig")
    func legacyExportKeepsOriginal() async throws {
        let temporary = TemporaryDirectory()
        let root = temporary.path + "/lo"
        let original = LegacyFixtures.directory + "/" + LegacyFixtures.files.last!
        try LegacyFixtures.currentJSON(in: root)
        let imported = try await runAnalyzer(["import-legacy", "--log", root, "--session", "a", root])
        #expect(imported.status == 0, "\(imported.err)")
        for round in 0..<2 {
            let export = try await runAnalyzer(["export", "--log", root, "--latest", "--format", "legacy-current"])
            #expect(export.status == 0, "\(export.err)")
            #expect(export.err.contains("kept the previous") == (round == 0), "\(export.err)")
        }
        #expect(FileManager.default.contents(atPath: root + "/current.json.orig") == FileManager.default.contents(atPath: original))
    }

    @Test("names --format csv quotes a tag key holding a comma within its field, so the field reads as one CSV record")
    func namesCSVKeys() async throws {
        let temporary = TemporaryDirectory()
        try await Self.ingest(temporary.path, [#"{"ts":"2026-11-28T10:00:00Z","session":"s","type":"counter","name":"c","value":1,"tags":{"k,x":"1","y":"2"}}"#])
        let csv = try await runAnalyzer(["names", "--log", temporary.path, "--format", "csv"])
        #expect(csv.out.contains(#"c,counter,1,"""k,x"",y",1"#), "\(csv.out)")
    }
}
