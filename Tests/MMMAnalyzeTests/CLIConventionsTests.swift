import Foundation
import MMMMetricsAnalysis
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

/// The command-line conventions of issue 12: times, -o, --version, --format words, --latest,
/// mistakes, ingest appending.
@Suite("mmm-analyze: command-line conventions")
struct CLIConventionsTests {
    static let hour: Int64 = 3_600_000_000_000

    @Test("times: a date is midnight UTC, a time without seconds or offset is UTC, an offset is honoured; bad forms are refused")
    func timeForms() throws {
        let midnight = try #require(RFC3339.parse("2026-11-29T00:00:00Z"))
        #expect(TimeExpression.parse("2026-11-29") == midnight)
        let ten = midnight.nanosecondsSinceEpoch + 10 * Self.hour
        for text in ["2026-11-29T10:00", "2026-11-29 10:00", "2026-11-29t10:00", "2026-11-29T10:00Z", "2026-11-29T10:00:00", "2026-11-29 10:00:00.000"] {
            #expect(TimeExpression.parse(text)?.nanosecondsSinceEpoch == ten, "\(text)")
        }
        #expect(TimeExpression.parse("2026-11-29T10:00:30")?.nanosecondsSinceEpoch == ten + 30_000_000_000)
        #expect(TimeExpression.parse("2026-11-29T10:00+02:00")?.nanosecondsSinceEpoch == ten - 2 * Self.hour)
        #expect(TimeExpression.parse("2026-11-29 10:00-01:30")?.nanosecondsSinceEpoch == ten + 90 * 60_000_000_000)
        for bad in ["2026-11-31", "2026-13-01", "2026-11-29T25:00", "2026-11-29T10", "2026-11-29T10:00+2", "2026-11-29X10:00", "2026-11-2", "2026-11-29T10:00:", "12345-01-01", "3000-01-01", ""] {
            #expect(TimeExpression.parse(bad) == nil, "\(bad)")
        }
        // The relative forms and RFC 3339 keep working.
        #expect(TimeExpression.parse("-2h", now: MetricTimestamp(nanosecondsSinceEpoch: 10 * Self.hour))?.nanosecondsSinceEpoch == 8 * Self.hour)
        #expect(TimeExpression.parse("2026-11-29T10:00:00.5Z")?.nanosecondsSinceEpoch == ten + 500_000_000)
    }

    @Test("--since/--until take -2h as their value, and dates and times in every form, on export; the query language takes them too")
    func timeOptions() async throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let events = try readSession(root, "fixture-cook")
        func expected(_ start: String, _ end: String) throws -> Int {
            let (low, high) = (try #require(TimeExpression.parse(start)), try #require(TimeExpression.parse(end)))
            return events.filter { $0.timestamp! >= low && $0.timestamp! < high }.count
        }
        let relative = try await runAnalyzer(["export", "--log", root.path, "--since", "-2h"])
        #expect(relative.status == 0, "\(relative.err)")
        #expect(relative.out.isEmpty)  // the fixture is from 2026-11-28
        let old = try await runAnalyzer(["export", "--log", root.path, "--since", "-100000d", "--until", "-1h"])
        #expect(old.out.split(separator: "\n").count == 37)
        for (start, end) in [("2026-11-28", "2026-11-29"), ("2026-11-28T10:01", "2026-11-28 10:02"), ("2026-11-28 11:01+01:00", "2026-11-28T10:01:30")] {
            let result = try await runAnalyzer(["export", "--log", root.path, "--since", start, "--until", end])
            #expect(result.status == 0, "\(result.err)")
            #expect(result.out.split(separator: "\n").count == (try expected(start, end)), "\(start) … \(end)")
        }
        #expect(try expected("2026-11-28T10:01", "2026-11-28 10:02") > 0)
        let bad = try await runAnalyzer(["export", "--log", root.path, "--until", "2026-11-31"])
        #expect(bad.status != 0)
        #expect(bad.err.contains("--until \"2026-11-31\" is not"))
        let query = try await runAnalyzer(["query", "--log", root.path, "--format", "json", "count(command.duration) since 2026-11-28 until 2026-11-28T10:01"])
        #expect(query.status == 0, "\(query.err)")
        let inRange = events.filter { $0.name == "command.duration" && $0.timestamp! < TimeExpression.parse("2026-11-28T10:01")! }.count
        #expect(query.out.contains(#""value":\#(inRange)"#), "\(query.out)")
    }

    @Test("-o FILE on every command that writes data: the file holds what standard output would, - is standard output, the session data is refused")
    func outputEverywhere() async throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let segment = try #require(try root.segmentPaths(session: "fixture-cook").first)
        let before = Corrupter.bytes(segment)
        let commands: [[String]] = [
            ["query", "max(command.duration) by (command)"],
            ["report", "--session", "fixture-cook"], ["export"], ["sessions"], ["stats"], ["names"],
        ]
        for (index, command) in commands.enumerated() {
            let plain = try await runAnalyzer(command + ["--log", root.path])
            #expect(plain.status == 0, "\(command): \(plain.err)")
            #expect(!plain.out.isEmpty)
            let dash = try await runAnalyzer(command + ["--log", root.path, "-o", "-"])
            #expect(dash.out == plain.out, "\(command) -o -")
            let file = temporary.path + "/out-\(index)"
            let written = try await runAnalyzer(command + ["--log", root.path, "--output", file])
            #expect(written.status == 0 && written.out.isEmpty, "\(command) -o FILE")
            #expect(try String(contentsOfFile: file, encoding: .utf8) == plain.out, "\(command) -o FILE")
            let refused = try await runAnalyzer(command + ["--log", root.path, "-o", segment])
            #expect(refused.status == 1, "\(command)")
            #expect(refused.err.contains("refusing to write"), "\(command): \(refused.err)")
        }
        // archive: to a file, or the same bytes to standard output.
        let archive = temporary.path + "/cook.mmmar"
        #expect(try await runAnalyzer(["archive", "--log", root.path, "--session", "fixture-cook", "-o", archive]).status == 0)
        let piped = temporary.path + "/piped.mmmar"
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "exec \"$0\" archive --log \"$1\" --session fixture-cook -o - > \"$2\"", analyzerPath(), root.path, piped]
        try shell.run()
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 0)
        #expect(Corrupter.bytes(piped) == Corrupter.bytes(archive))
        #expect(try await runAnalyzer(["archive", "--log", root.path, "--session", "fixture-cook", "-o", segment]).status == 1)
        // legacy-current to standard output.
        let legacy = try await runAnalyzer(["export", "--log", root.path, "--session", "fixture-cook", "--format", "legacy-current", "-o", "-"])
        #expect(legacy.status == 0)
        guard case .object = try JSONText.parse(legacy.out.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            Issue.record("legacy-current to standard output is not a JSON object: \(legacy.out)")
            return
        }
        #expect(Corrupter.bytes(segment) == before)
    }

    @Test("an error message that cannot be written (standard error closed or full) is dropped, not a crash; an argument that is not UTF-8 is refused by name")
    func unwritableErrorsAndBytes() async throws {
        let temporary = TemporaryDirectory()
        // A shell sets up what Process cannot: a closed or full standard error, bytes that are not UTF-8.
        func shell(_ script: String) async throws -> (status: Int32, signaled: Bool, err: String) {
            try await offThePool {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", script, analyzerPath(), temporary.path]
                let err = Pipe()
                process.standardError = err
                process.standardOutput = FileHandle.nullDevice
                try process.run()
                let data = err.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                return (process.terminationStatus, process.terminationReason == .uncaughtSignal, String(decoding: data, as: UTF8.self))
            }
        }
        // FileHandle's write traps (SIGILL, 132) when standard error cannot take the message.
        for redirect in ["2>&-", "2>/dev/full"] {
            let result = try await shell(#""$0" query --log "$1/none" 'count(x)' "# + redirect + "; echo $? >&2")
            #expect(result.err == "1\n", "\(redirect)")
        }
        // --log in Latin-1 would be read as another directory (U+FFFD in place of the byte).
        let latin = try await shell(#""$0" ingest /dev/null --log "$1/log$(printf '\351')""#)
        #expect(latin.status == 64)
        #expect(latin.err.contains("argument 4") && latin.err.contains("not UTF-8"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).isEmpty)
        // Standard output closed, then named as the output: said so (it was "/: open failed: Is a directory").
        let root = try FixtureLogs.copy("good", into: temporary)
        #expect(root.path == temporary.path + "/good")
        let closed = try await shell(#""$0" query --log "$1/good" 'count(command.duration)' --output /dev/stdout >&-"#)
        #expect(closed.status == 1)
        #expect(closed.err.contains("/dev/stdout: cannot be written: it leads to /, a directory (standard output was closed when this process started)"), "\(closed.err)")
        let directory = try await shell(#""$0" query --log "$1/good" 'count(command.duration)' --output "$1""#)
        #expect(directory.status == 1)
        #expect(directory.err.contains(temporary.path + ": cannot be written: a directory\n"), "\(directory.err)")
    }

    @Test("--version prints the package version")
    func version() async throws {
        let result = try await runAnalyzer(["--version"])
        #expect(result.status == 0)
        #expect(result.out == PackageVersion.current + "\n")
        #expect(PackageVersion.current.split(separator: ".").count == 3)
    }

    @Test("the same --format words for the same shape: table|json|csv for tables, including verify; others are refused with the list")
    func formats() async throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        for command in [["sessions"], ["stats"], ["names"], ["verify"], ["query", "count(error)"]] {
            for format in ["table", "json", "csv"] {
                let result = try await runAnalyzer(command + ["--log", root.path, "--format", format])
                #expect(result.status == 0, "\(command) \(format): \(result.err)")
                if format == "json" { #expect((try? JSONText.parse(result.out.trimmingCharacters(in: .whitespacesAndNewlines))) != nil, "\(command)") }
            }
            let wrong = try await runAnalyzer(command + ["--log", root.path, "--format", "text"])
            #expect(wrong.status != 0, "\(command)")
            #expect(wrong.err.contains("table") && wrong.err.contains("csv"), "\(command): \(wrong.err)")
        }
        let verify = try await runAnalyzer(["verify", "--log", root.path, "--format", "json"])
        #expect(verify.out == #"{"ok":true,"problems":[]}"# + "\n")
        #expect(try await runAnalyzer(["verify", "--log", root.path, "--format", "csv"]).out == "session,file,offset,message\n")
        let damaged = try FixtureLogs.copy("bad-block", into: temporary)
        let problems = try await runAnalyzer(["verify", "--log", damaged.path, "--format", "json"])
        #expect(problems.status == 1)
        #expect(problems.out.hasPrefix(#"{"ok":false,"problems":[{"#))
        let csv = try await runAnalyzer(["verify", "--log", damaged.path, "--format", "csv"])
        #expect(csv.status == 1)
        #expect(csv.out.split(separator: "\n").count == 1 + (try LogMaintenance(root: damaged).verify()).count)
        for format in ["text", "json", "markdown", "html"] {
            #expect(try await runAnalyzer(["report", "--log", root.path, "--latest", "--format", format]).status == 0)
        }
        #expect(try await runAnalyzer(["report", "--log", root.path, "--latest", "--format", "table"]).status != 0)
        #expect(try await runAnalyzer(["export", "--log", root.path, "--format", "csv"]).status != 0)
    }
}

extension CLIConventionsTests {
    /// Two sessions whose last events are an hour apart, the older one written second.
    static func twoSessions(_ temporary: TemporaryDirectory) throws -> LogRoot {
        let root = LogRoot(path: temporary.path + "/log")
        let start: Int64 = 1_795_900_000_000_000_000
        func events(_ last: Int64) -> [MetricEvent] {
            (0..<5).map { .counter(name: "command.executed", value: 1, tags: ["command": "build"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: last - Int64(4 - $0) * 1000)) }
        }
        try writeSession(root, "z-newer", events(start + Self.hour))
        try writeSession(root, "a-older", events(start) + events(start - Self.hour))
        return root
    }

    @Test("--latest picks the session whose last event is newest, in report, export, archive and query; an empty log is an error")
    func latest() async throws {
        let temporary = TemporaryDirectory()
        let root = try Self.twoSessions(temporary)
        #expect(try LogMaintenance(root: root).latestSession() == "z-newer")
        let tie = SessionList(sessions: [
            SessionSummary(session: "b", lastTimestamp: 5, events: 1, segments: 1, bytes: 1, lastSegmentSealed: true),
            SessionSummary(session: "c", lastTimestamp: 5, events: 1, segments: 1, bytes: 1, lastSegmentSealed: true),
            SessionSummary(session: "d", events: 0, segments: 0, bytes: 0, lastSegmentSealed: false),
            SessionSummary(session: "a", lastTimestamp: 4, events: 1, segments: 1, bytes: 1, lastSegmentSealed: true),
        ], skipped: SkippedData())
        #expect(tie.latest?.session == "c")
        #expect(SessionList(sessions: [], skipped: SkippedData()).latest == nil)
        for command in [["report"], ["export"], ["query", "count(command.executed) by (session)"]] {
            let latest = try await runAnalyzer(command + ["--log", root.path, "--latest"])
            let named = try await runAnalyzer(command + ["--log", root.path, "--session", "z-newer"])
            #expect(latest.status == 0, "\(command): \(latest.err)")
            #expect(latest.out == named.out, "\(command)")
        }
        #expect(try await runAnalyzer(["query", "--log", root.path, "--latest", "count(command.executed)"]).out.contains("5"))
        let archive = temporary.path + "/latest.mmmar"
        let archived = try await runAnalyzer(["archive", "--log", root.path, "--latest", "-o", archive])
        #expect(archived.err.contains("archived session z-newer"))
        let both = try await runAnalyzer(["report", "--log", root.path, "--latest", "--session", "a-older"])
        #expect(both.status != 0)
        #expect(both.err.contains("not both"))
        let neither = try await runAnalyzer(["report", "--log", root.path])
        #expect(neither.status != 0)
        #expect(neither.err.contains("--session ID or --latest"))
        let empty = temporary.path + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        for command in [["report"], ["export"], ["archive", "-o", temporary.path + "/x.mmmar"], ["query", "count(*)"]] {
            let result = try await runAnalyzer(command + ["--log", empty, "--latest"])
            #expect(result.status == 1, "\(command)")
            #expect(result.err.contains("--latest: no session with events in \(empty)"), "\(command): \(result.err)")
        }
    }

    @Test("names: each name's type, events, tag keys and sessions match an independent count over generated sessions")
    func names() async throws {
        let temporary = TemporaryDirectory()
        let root = LogRoot(path: temporary.path + "/log")
        let sessions = ["one": EventGenerator.events(count: 700, seed: 71), "two": EventGenerator.events(count: 300, seed: 72),
                        "cook": EventGenerator.cookSession(iterations: 4, seed: 73)]
        for (id, events) in sessions { try writeSession(root, id, events, options: LogWriterOptions(blockMaxEvents: 64)) }
        func word(_ value: MetricValue) -> (Int, String) {
            switch value {
            case .counter: (0, "counter")
            case .gauge: (1, "gauge")
            case .timer: (2, "timer")
            case .custom: (3, "custom")
            }
        }
        func expected(_ only: [String]) -> [String: (type: String, events: Int, tags: [String], sessions: Int)] {
            var kinds: [String: Set<Int>] = [:], words: [Int: String] = [:], counts: [String: Int] = [:]
            var tags: [String: Set<String>] = [:], holders: [String: Set<String>] = [:]
            for id in only {
                for event in sessions[id]! {
                    let (rank, name) = word(event.value)
                    words[rank] = name
                    kinds[event.name, default: []].insert(rank)
                    counts[event.name, default: 0] += 1
                    tags[event.name, default: []].formUnion(event.tags.keys)
                    holders[event.name, default: []].insert(id)
                }
            }
            return counts.reduce(into: [:]) { result, entry in
                result[entry.key] = (kinds[entry.key]!.sorted().map { words[$0]! }.joined(separator: "|"), entry.value,
                                     tags[entry.key]!.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }, holders[entry.key]!.count)
            }
        }
        func check(_ arguments: [String], _ only: [String]) async throws {
            let result = try await runAnalyzer(["names", "--log", root.path, "--format", "json"] + arguments)
            #expect(result.status == 0, "\(result.err)")
            let json = try JSONText.parse(result.out.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(json["skipped_events"] == 0 && json["skipped_places"] == 0)
            guard case .array(let rows)? = json["names"] else { Issue.record("no names array"); return }
            let want = expected(only)
            #expect(rows.count == want.count)
            var previous: [UInt8]? = nil
            for row in rows {
                guard case .string(let name)? = row["name"], let entry = want[name] else { Issue.record("unexpected \(row)"); continue }
                if let previous { #expect(previous.lexicographicallyPrecedes(Array(name.utf8)), "names in byte order") }
                previous = Array(name.utf8)
                #expect(row["type"] == .string(entry.type), "\(name)")
                #expect(row["events"] == .integer(Int64(entry.events)), "\(name)")
                #expect(row["tags"] == .array(entry.tags.map { .string($0) }), "\(name)")
                #expect(row["sessions"] == .integer(Int64(entry.sessions)), "\(name)")
                if case .object(let members) = row { #expect(Set(members.keys) == ["events", "name", "sessions", "tags", "type"]) }
            }
        }
        try await check([], ["one", "two", "cook"])
        try await check(["--session", "two"], ["two"])
        let table = try await runAnalyzer(["names", "--log", root.path, "--session", "cook"])
        #expect(table.out.hasPrefix("NAME"))
        #expect(table.out.contains("command.duration"))
        let csv = try await runAnalyzer(["names", "--log", root.path, "--session", "cook", "--format", "csv"])
        #expect(csv.out.hasPrefix("name,type,events,tags,sessions\n"))
        #expect(csv.out.contains("command.duration,timer,12,\"command,iteration,status\",1\n"))
        let missing = try await runAnalyzer(["names", "--log", root.path, "--session", "nope"])
        #expect(missing.status == 1)
        #expect(missing.err.contains("no session nope"))
        let empty = temporary.path + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect(try await runAnalyzer(["names", "--log", empty]).out == "no events in \(empty)\n")
        #expect(try await runAnalyzer(["names", "--log", empty, "--format", "json"]).out == #"{"names":[],"skipped_events":0,"skipped_places":0}"# + "\n")
    }

    @Test("names over damaged data: lenient warns on stderr and counts what it skipped in JSON; --strict fails naming the file and offset")
    func namesDamaged() async throws {
        let temporary = TemporaryDirectory()
        let damaged = try FixtureLogs.copy("bad-block", into: temporary)
        let lenient = try await runAnalyzer(["names", "--log", damaged.path, "--format", "json"])
        #expect(lenient.status == 0)
        let json = try JSONText.parse(lenient.out.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(json["skipped_events"] == 6 && json["skipped_places"] == 1)
        #expect(lenient.err.contains("offset 376"))
        #expect(lenient.err.contains("leave out 6 events"))
        guard case .array(let rows)? = json["names"] else { Issue.record("no names"); return }
        #expect(rows.reduce(0) { total, row in if case .integer(let n)? = row["events"] { total + Int(n) } else { total } } == 31)
        let strict = try await runAnalyzer(["names", "--log", damaged.path, "--strict"])
        #expect(strict.status == 1)
        #expect(strict.out.isEmpty)
        #expect(strict.err.contains("offset 376"))
    }
}

extension CLIConventionsTests {
    @Test("mistakes: an unknown command names itself and the nearest; help NOPE is an error; a missing input file reads the same everywhere")
    func mistakes() async throws {
        let typo = try await runAnalyzer(["reprot"])
        #expect(typo.status != 0)
        #expect(typo.out.isEmpty)
        #expect(typo.err.contains("unknown command 'reprot'; did you mean 'report'?"))
        #expect(try await runAnalyzer(["sesions", "--log", "x"]).err.contains("did you mean 'sessions'?"))
        #expect(try await runAnalyzer(["improt"]).err.contains("did you mean 'import'?"))
        let far = try await runAnalyzer(["frobnicate"])
        #expect(far.status != 0)
        #expect(far.err.contains("unknown command 'frobnicate'; the commands are ingest, export"))
        let help = try await runAnalyzer(["help", "NOPE"])
        #expect(help.status != 0)
        #expect(help.err.contains("unknown command 'NOPE'"))
        let helpReport = try await runAnalyzer(["help", "report"])
        #expect(helpReport.status == 0)
        #expect(helpReport.out.contains("--latest"))
        #expect(try await runAnalyzer(["--help"]).out.contains("names"))
        let temporary = TemporaryDirectory()
        let missing = temporary.path + "/missing.file"
        for command in [["ingest", missing], ["ingest", "--follow", missing], ["import", missing], ["import-legacy", "--session", "s", missing]] {
            let result = try await runAnalyzer(command + ["--log", temporary.path + "/log"])
            #expect(result.status == 1, "\(command)")
            #expect(result.err == "mmm-analyze: error: cannot open \(missing): No such file or directory\n", "\(command): \(result.err)")
        }
        for command in [["verify"], ["stats"], ["names"], ["export"], ["report", "--latest"], ["query", "count(*)"], ["recover"]] {
            let result = try await runAnalyzer(command + ["--log", missing])
            #expect(result.status == 1, "\(command)")
            #expect(result.err.hasPrefix("mmm-analyze: error: cannot open \(missing): No such file or directory ("), "\(command): \(result.err)")
        }
    }

    @Test("ingest into a session that already holds events says so, with the new total")
    func ingestAppends() async throws {
        let temporary = TemporaryDirectory()
        let log = temporary.path + "/log"
        let lines = AnalyzerLogCommandTests.contractLines
        let first = try await runAnalyzer(["ingest", "--log", log], stdin: Data(lines.utf8))
        #expect(first.err == "ingested 4 events into session s1\n")
        let second = try await runAnalyzer(["ingest", "--log", log], stdin: Data(lines.utf8))
        #expect(second.status == 0)
        #expect(second.err == "appended 4 events to session s1, which now holds 8\n")
        let file = temporary.path + "/more.ndjson"
        try lines.write(toFile: file, atomically: true, encoding: .utf8)
        let followed = try await runAnalyzer(["ingest", "--log", log, "--follow", file])
        #expect(followed.err.contains("appended 4 events to session s1, which now holds 12"), "\(followed.err)")
        #expect(try readSession(LogRoot(path: log), "s1").count == 12)
    }
}

extension CLIConventionsTests {
    @Test("the library behind the commands, called directly: names, verify's report, archive bytes, ingest counts, the latest session")
    func library() throws {
        let temporary = TemporaryDirectory()
        let root = try Self.twoSessions(temporary)
        let names = try LogMaintenance(root: root).names()
        #expect(names.names == [NameSummary(name: "command.executed", type: "counter", events: 15, tags: ["command"], sessions: 2)])
        #expect(try names.rendered(as: .csv) == "name,type,events,tags,sessions\ncommand.executed,counter,15,command,2\n")
        #expect(try names.rendered(as: .table).hasPrefix("NAME"))
        #expect(try LogMaintenance(root: root).names(session: "z-newer").names.first?.events == 5)
        #expect(throws: LogError.self) { try LogMaintenance(root: root).names(session: "nope") }
        let damaged = try FixtureLogs.copy("bad-block", into: temporary)
        var warnings = 0
        let lenient = try LogMaintenance(root: damaged).names { _ in warnings += 1 }
        #expect(lenient.skipped.events == 6 && warnings == 1)
        #expect(throws: LogError.self) { try LogMaintenance(root: damaged).names(mode: .strict) }
        let problems = VerifyReport(problems: try LogMaintenance(root: damaged).verify())
        #expect(!problems.ok)
        #expect(try problems.rendered(as: .table) == problems.problems.map { "\($0)\n" }.joined())
        #expect(VerifyReport(problems: [VerifyProblem(session: "s", file: "f", offset: nil, message: "m, n")]).rows == [["s", "f", "", "m, n"]])
        let (bytes, segments) = try SessionArchive.encoded(session: "z-newer", from: root)
        let file = temporary.path + "/z.mmmar"
        #expect(try SessionArchive.write(session: "z-newer", from: root, to: file) == segments)
        #expect(Corrupter.bytes(file) == bytes)
        let line = Array(#"{"ts":"2026-11-28T10:00:00Z","session":"z-newer","type":"counter","name":"x","value":1}"#.utf8) + [0x0A]
        let report = try NDJSONIngest.ingest(line + line, source: "test", into: root, defaultSession: nil)
        #expect(report.sessions.map(\.before) == [5] && report.sessions.map(\.events) == [2])
        let fresh = try NDJSONIngest.ingest(line, source: "test", into: LogRoot(path: temporary.path + "/fresh"), defaultSession: nil)
        #expect(fresh.sessions.map(\.before) == [0])
        #expect(throws: LogError.self) { try LogMaintenance(root: LogRoot(path: temporary.path + "/none")).latestSession() }
    }
}
