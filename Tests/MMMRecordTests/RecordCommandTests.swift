import Foundation
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsRecord
import MMMMetricsTestSupport
import Testing

/// The mmm-record binary built beside the test bundle.
let recorderPath = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mmm-record").path

/// Runs the mmm-record binary (or `executable`); stdout and stderr as bytes; `status` as a shell
/// reports it (128 + N for a death by signal N), `signaled` whether a signal ended it.
func runRecorder(
    _ arguments: [String], stdin: Data = Data(), directory: String? = nil, environment: [String: String] = [:], executable: String = recorderPath
) async throws -> (status: Int32, out: Data, err: Data, signaled: Bool) {
    try await offThePool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // Recording failures are counted in a file of the test's (by default in the home directory).
        let failures = ["MMM_RECORD_FAILURES": NSTemporaryDirectory() + "mmm-record-tests-failures.log"]
        process.environment = ProcessInfo.processInfo.environment.merging(failures.merging(environment) { $1 }) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        writeToChild(input.fileHandleForWriting, stdin)
        try input.fileHandleForWriting.close()
        // Read both pipes at once, so a full stderr pipe cannot stall the child while stdout is read.
        let errData = LockedState(Data())
        let reader = Thread { errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while reader.isExecuting || !reader.isFinished { Thread.sleep(forTimeInterval: 0.001) }
        let signaled = process.terminationReason == .uncaughtSignal
        return (signaled ? 128 + process.terminationStatus : process.terminationStatus, outData, errData.withLock { $0 }, signaled)
    }
}

/// A git repository in a temporary directory, with one commit.
struct GitRepository {
    let directory = TemporaryDirectory("repo")
    var path: String { directory.path }

    init() throws {
        try git("init", "-q")
        try git("config", "user.email", "test@example.com")
        try git("config", "user.name", "Test")
        try write("a.txt", "one\ntwo\nthree\n")
        try write("b.txt", "keep\n")
        try git("add", ".")
        try git("commit", "-qm", "first")
    }

    func write(_ name: String, _ text: String) throws { try write(name, Data(text.utf8)) }
    func write(_ name: String, _ data: Data) throws { try data.write(to: URL(fileURLWithPath: path + "/" + name)) }

    @discardableResult
    func git(_ arguments: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", path] + arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return String(decoding: data, as: UTF8.self)
    }

    /// `git diff --numstat HEAD`, summed independently of the product's parser.
    func numstat() throws -> (files: Int64, added: Int64, removed: Int64) {
        var files: Int64 = 0, added: Int64 = 0, removed: Int64 = 0
        for line in try git("diff", "--numstat", "HEAD").split(separator: "\n") {
            let fields = line.components(separatedBy: "\t")
            files += 1
            added += Int64(fields[0]) ?? 0
            removed += Int64(fields[1]) ?? 0
        }
        return (files, added, removed)
    }
}


@Suite("mmm-record: recording from any language")
struct RecordCommandTests {
    func events(_ root: LogRoot, _ session: String = "s") throws -> [MetricEvent] {
        try LogReader(root: root).events(session: session, mode: .strict).map(\.event)
    }

    @Test("run passes exit statuses through as a shell reports them: 0, 1, 3, 127, 126, 128 + signal")
    func exitStatuses() async throws {
        let temporary = TemporaryDirectory()
        let log = temporary.path + "/log"
        let notExecutable = temporary.path + "/script.sh"
        try Data("#!/bin/sh\necho hi\n".utf8).write(to: URL(fileURLWithPath: notExecutable))
        let cases: [([String], Int32)] = [
            (["sh", "-c", "exit 0"], 0), (["sh", "-c", "exit 1"], 1), (["sh", "-c", "exit 3"], 3),
            (["no-such-command-here"], 127), ([temporary.path + "/missing"], 127), ([notExecutable], 126),
            (["sh", "-c", "kill -TERM $$"], 143), (["sh", "-c", "kill -USR1 $$"], 138), (["sh", "-c", "kill -KILL $$"], 137),
            (["sh", "-c", "exit 143"], 143),  // the status of a SIGTERM, exited with: no signal recorded
        ]
        for (command, status) in cases {
            let result = try await runRecorder(["run", "--log", log, "--session", "s", "--iteration", "2", "--"] + command)
            #expect(result.status == status, "\(command)")
            // A command a signal ended ends mmm-record with the same signal (its caller sees a death
            // by signal, as without it); an exit with 143 stays an exit.
            #expect(result.signaled == command.contains { $0.hasPrefix("kill") }, "\(command)")
        }
        let recorded = try events(LogRoot(path: log))
        let durations = recorded.filter { $0.name == "command.duration" }
        #expect(durations.map { $0.tags["status"] } == cases.map { $0.1 == 0 ? "ok" : "error" })
        #expect(durations.allSatisfy { $0.tags["iteration"] == "2" })
        let errors = recorded.filter { $0.name == "error" }
        let recordedStatuses: [Int64] = errors.compactMap { event in
            if case .custom(.object(let data)) = event.value, case .integer(let status)? = data["exit_status"] { return status }
            return nil
        }
        let failedStatuses: [Int64] = cases.map(\.1).filter { $0 != 0 }.map { Int64($0) }
        #expect(recordedStatuses == failedStatuses)
        // Which failures were deaths by a signal: only the three kills.
        let signals: [Int64?] = errors.map { event in
            if case .custom(.object(let data)) = event.value, case .integer(let signal)? = data["signal"] { return signal }
            return nil
        }
        #expect(signals == [nil, nil, nil, nil, nil, 15, 10, 9, nil])
        #expect(errors.contains { event in
            if case .custom(.object(let data)) = event.value, case .string(let message)? = data["message"] { return message == "sh was killed by signal 9 (status 137)" }
            return false
        })
        #expect(try LogMaintenance(root: LogRoot(path: log)).verify().isEmpty)
    }

    @Test("run outlives a SIGTERM or SIGINT sent to it alone: SIGTERM is passed to the command, and the outcome is recorded")
    func signalsWhileRunning() async throws {
        let temporary = TemporaryDirectory()
        let log = temporary.path + "/log"
        let recorder = URL(fileURLWithPath: recorderPath)
        let failures = temporary.path + "/failures.log"
        @Sendable func start(_ name: String, _ seconds: String) throws -> Process {
            let process = Process()
            process.executableURL = recorder
            process.arguments = ["run", "--log", log, "--session", "s", "--name", name, "--", "sleep", seconds]
            process.environment = ProcessInfo.processInfo.environment.merging(["MMM_RECORD_FAILURES": failures]) { $1 }
            try process.run()
            return process
        }
        // Timed on a thread of its own: the cooperative pool can be held for many seconds by other
        // tests, which delayed the signals (not mmm-record) by up to 30 s in a full run.
        let (termStatus, intStatus) = try await offThePool { () throws -> (Int32, Int32) in
            // SIGTERM to mmm-record alone: the command gets it and dies of it; mmm-record records that.
            // Sent until it exits: a first one may come before mmm-record catches it.
            let terminated = try start("term", "30")
            let deadline = ContinuousClock.now + .seconds(20)
            while terminated.isRunning, ContinuousClock.now < deadline {
                usleep(300_000)
                if terminated.isRunning { kill(terminated.processIdentifier, SIGTERM) }
            }
            terminated.waitUntilExit()
            // SIGINT to mmm-record alone (not from a terminal, which signals the command too): the
            // command runs to its end and is recorded as it ended.
            let interrupted = try start("int", "1")
            usleep(300_000)
            kill(interrupted.processIdentifier, SIGINT)
            interrupted.waitUntilExit()
            return (terminated.terminationReason == .uncaughtSignal ? terminated.terminationStatus : -1, interrupted.terminationStatus)
        }
        // The command died of the SIGTERM passed on; mmm-record records it, then ends with SIGTERM too.
        #expect(termStatus == SIGTERM)
        #expect(intStatus == 0)
        let recorded = try events(LogRoot(path: log)).filter { $0.name == "command.duration" }
        #expect(recorded.map { $0.tags["command"] } == ["term", "int"])
        #expect(recorded.map { $0.tags["status"] } == ["error", "ok"])
        if case .timer(let duration) = recorded.first?.value { #expect(duration < .seconds(10)) } else { Issue.record("no timer") }
    }

    @Test("run hands the command its arguments and environment byte for byte, also bytes that are not UTF-8")
    func bytesThatAreNotText() async throws {
        let temporary = TemporaryDirectory()
        let log = temporary.path + "/log"
        // A shell passes the bytes (Process takes arguments as text): an argument 'f\351\377.txt' and
        // a variable 'v\351', which the command prints back.
        let script = #"X=$(printf 'v\351') exec "$0" run --log "$1" --session s --name show -- sh -c 'printf "%s|%s" "$1" "$X"' inner "$(printf 'f\351\377.txt')""#
        let result = try await runRecorder(["-c", script, recorderPath, log], executable: "/bin/sh")
        #expect(result.status == 0)
        #expect(result.out == Data(Array("f".utf8) + [0xE9, 0xFF] + Array(".txt|v".utf8) + [0xE9]))
        let recorded = try events(LogRoot(path: log)).filter { $0.name == "command.duration" }
        #expect(recorded.count == 1 && recorded.first?.tags["command"] == "show")
    }

    @Test("run leaves stdin, stdout and stderr untouched, byte for byte: binary, unterminated lines")
    func passthrough() async throws {
        let temporary = TemporaryDirectory()
        let log = temporary.path + "/log"
        let input = Data([0, 255, 10, 1, 2, 13, 10] + Array("no newline at the end".utf8))
        let echoed = try await runRecorder(["run", "--log", log, "--session", "s", "--", "cat"], stdin: input)
        #expect(echoed.status == 0)
        #expect(echoed.out == input)
        #expect(echoed.err.isEmpty)
        let mixed = try await runRecorder(["run", "--log", log, "--session", "s", "--", "sh", "-c",
                                           #"printf 'out\000\377'; printf 'err\001 no newline' >&2; exit 5"#])
        #expect(mixed.status == 5)
        #expect(mixed.out == Data([111, 117, 116, 0, 255]))
        #expect(mixed.err == Data("err\u{1} no newline".utf8))
        // The error event keeps the end of stderr.
        let error = try #require(try events(LogRoot(path: log)).last { $0.name == "error" })
        guard case .custom(.object(let data)) = error.value else { Issue.record("no data"); return }
        #expect(data["stderr_tail"] == .string("err\u{1} no newline"))
    }

    @Test("eight concurrent runs of one session are all recorded; the log stays valid and in one segment")
    func concurrentRuns() async throws {
        let temporary = TemporaryDirectory()
        let log = temporary.path + "/log"
        let statuses = try await withThrowingTaskGroup(of: Int32.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try await runRecorder(["run", "--log", log, "--session", "s", "--name", "job\(index)", "--", "sh", "-c", "sleep 0.1; exit \(index % 2)"]).status
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.sorted() == [0, 0, 0, 0, 1, 1, 1, 1])
        let recorded = try events(LogRoot(path: log))
        #expect(Set(recorded.filter { $0.name == "command.duration" }.compactMap { $0.tags["command"] }) == Set((0..<8).map { "job\($0)" }))
        #expect(recorded.filter { $0.name == "error" }.count == 4)
        #expect(try LogMaintenance(root: LogRoot(path: log)).verify().isEmpty)
        #expect(try LogRoot(path: log).segmentPaths(session: "s").count == 1)
    }

    @Test("a log that cannot be written changes neither the command's status nor its output: a prefixed warning only")
    func unwritableLog() async throws {
        let temporary = TemporaryDirectory()
        let file = temporary.path + "/a-file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let failures = temporary.path + "/state/failures.log"
        for (number, status): (Int, Int32) in [(1, 0), (2, 4)] {
            let result = try await runRecorder(["run", "--log", file + "/log", "--session", "s", "--", "sh", "-c", "echo hi; exit \(status)"],
                                               environment: ["MMM_RECORD_FAILURES": failures])
            #expect(result.status == status)
            #expect(result.out == Data("hi\n".utf8))
            let message = String(decoding: result.err, as: UTF8.self)
            #expect(message.hasPrefix("mmm-record: warning: the command ran, but its metrics were not recorded"))
            #expect(message.contains("(recording failure \(number) counted in \(failures))"))
        }
        let start = try await runRecorder(["start", "--log", file + "/log", "--session", "s"], environment: ["MMM_RECORD_FAILURES": failures])
        #expect(start.status == 1)
        #expect(String(decoding: start.err, as: UTF8.self).hasPrefix("mmm-record: error:"))
        let lines = try String(contentsOfFile: failures, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.allSatisfy { $0.split(separator: "\t", omittingEmptySubsequences: false).count == 4 && $0.contains("\ts\t") })
    }

    @Test("a held lock is waited for up to --lock-timeout; run still exits with the command's status")
    func lockTimeout() async throws {
        let temporary = TemporaryDirectory()
        let root = temporary.root
        let holder = try SessionLogWriter(root: root, session: "s")
        let waited = try await runRecorder(["run", "--log", root.path, "--session", "s", "--lock-timeout", "0.3", "--", "sh", "-c", "exit 2"])
        #expect(waited.status == 2)
        #expect(String(decoding: waited.err, as: UTF8.self).contains("already being written by pid \(getpid())"))
        // Released while another waits: the waiting one lands.
        async let later = runRecorder(["start", "--log", root.path, "--session", "s", "--lock-timeout", "20"])
        try await Task.sleep(for: .milliseconds(300))
        try holder.close()
        #expect(try await later.status == 0)
        #expect(try events(root).map(\.name) == ["session.start"])

        // Locked by another tool, with the pid of a writer long gone in LOCK: that pid is not blamed.
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let lockPath = root.path + "/sessions/s/LOCK"
        try Data("\(gone.processIdentifier)\n".utf8).write(to: URL(fileURLWithPath: lockPath))
        let outside = open(lockPath, O_RDONLY)
        #expect(flock(outside, LOCK_EX) == 0)
        defer { close(outside) }
        let blamed = try await runRecorder(["start", "--log", root.path, "--session", "s", "--lock-timeout", "0.2"])
        let blame = String(decoding: blamed.err, as: UTF8.self)
        #expect(blame.contains("already being written by another writer") && !blame.contains("pid \(gone.processIdentifier)"), "\(blame)")
    }

    @Test("a SIGTERM while run waits for the session's lock after the command ends the wait, and mmm-record with it")
    func signalDuringLockWait() async throws {
        let temporary = TemporaryDirectory()
        let root = temporary.root
        let holder = try SessionLogWriter(root: root, session: "s")
        // It waited out --lock-timeout (20 s), recorded nothing, and exited 0 as the command did. The
        // time is taken in the shell: this test may wait long for a thread when all tests run.
        let result = try await shell(
            #"start=$(date +%s); MMM_RECORD_FAILURES="$1.failures" "$0" run --log "$1" --session s --lock-timeout 20 -- true & pid=$!; "#
                + #"sleep 0.5; kill -TERM $pid; wait $pid; status=$?; echo "took $(( $(date +%s) - start )) s" >&2; exit $status"#,
            log: root.path)
        let took = result.err.split(separator: "\n").last.flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } }
        #expect(took.map { $0 < 10 } == true, "\(result.err)")
        #expect(result.status == 128 + SIGTERM, "\(result)")
        #expect(result.err.contains("not recorded: waiting for the lock of session s interrupted by signal 15 (SIGTERM)"), "\(result.err)")
        // Counted as a recording failure, as a lock held too long is.
        #expect(try String(contentsOfFile: root.path + ".failures", encoding: .utf8).split(separator: "\n").count == 1)

        // A wait past a second is said in tenths (it said "2.7019871 seconds"); timed in the shell,
        // as this test may start late.
        try holder.close()
        let waited = try await shell(#"flock "$1/sessions/s/LOCK" sleep 3 & sleep 0.3; "$0" start --log "$1" --session s --lock-timeout 20"#, log: root.path)
        #expect(waited.status == 0)
        #expect(waited.err.contains(try Regex(#"waited [0-9]+\.[0-9] s for session s's lock \(held by pid [0-9?]+\)"#)), "\(waited.err)")
    }

    @Test("iteration end counts what git diff --numstat counts since begin, binary files as changed without lines; untracked only when asked")
    func gitCounts() async throws {
        let repository = try GitRepository()
        let log = repository.path + "/.git/mmm-log"  // inside .git: not a work-tree change itself
        let begin = try await runRecorder(["iteration", "begin", "--log", log, "--session", "s", "--iteration", "1"], directory: repository.path)
        #expect(begin.status == 0)
        try repository.write("a.txt", "one\n2\nthree\nfour\n")
        try repository.write("c.bin", Data([0, 1, 2, 0]))
        try repository.git("add", "c.bin")
        try repository.git("rm", "-q", "b.txt")
        try repository.write("untracked.txt", "u1\nu2\nu3")
        try repository.git("commit", "-qm", "second")  // a commit during the iteration still counts from begin's HEAD
        try repository.write("a.txt", "one\n2\nthree\nfour\nfive\n")
        let expected = try repository.numstat()
        let end = try await runRecorder(["iteration", "end", "--log", log, "--session", "s", "--iteration", "1"], directory: repository.path)
        #expect(end.status == 0, "\(String(decoding: end.err, as: UTF8.self))")
        func counters(_ events: [MetricEvent]) -> [String: Int64] {
            Dictionary(events.compactMap { event in if case .counter(let value) = event.value { (event.name, value) } else { nil } }) { $1 }
        }
        // begin's HEAD is the first commit; numstat against it:
        let sinceBegin = try repository.git("diff", "--numstat", "HEAD~1").split(separator: "\n")
        let added = sinceBegin.reduce(Int64(0)) { $0 + (Int64($1.components(separatedBy: "\t")[0]) ?? 0) }
        let removed = sinceBegin.reduce(Int64(0)) { $0 + (Int64($1.components(separatedBy: "\t")[1]) ?? 0) }
        let recorded = counters(try events(LogRoot(path: log)))
        #expect(recorded == ["git.files_changed": Int64(sinceBegin.count), "git.lines_added": added, "git.lines_removed": removed])
        #expect(expected.files <= Int64(sinceBegin.count))
        #expect(try events(LogRoot(path: log)).contains { $0.name == "iteration.duration" && $0.tags["iteration"] == "1" })

        // With --include-untracked the untracked file counts, its three lines added.
        _ = try await runRecorder(["iteration", "begin", "--log", log, "--session", "u", "--iteration", "1"], directory: repository.path)
        _ = try await runRecorder(["iteration", "end", "--log", log, "--session", "u", "--iteration", "1", "--include-untracked"],
                                  directory: repository.path)
        let withUntracked = counters(try events(LogRoot(path: log), "u"))
        let tracked = try repository.numstat()
        #expect(withUntracked["git.files_changed"] == tracked.files + 1)
        #expect(withUntracked["git.lines_added"] == tracked.added + 3)
        // end without begin is an error naming the iteration.
        let orphan = try await runRecorder(["iteration", "end", "--log", log, "--session", "u", "--iteration", "9"], directory: repository.path)
        #expect(orphan.status != 0)
        #expect(String(decoding: orphan.err, as: UTF8.self).contains("iteration begin --iteration 9"))
    }

    @Test("start, quality (values and reports) and end record the catalog events the report reads")
    func sessionAndQuality() async throws {
        let temporary = TemporaryDirectory()
        let log = temporary.path + "/log"
        let lcov = temporary.path + "/lcov.info"
        try Data("SF:a.swift\nLH:3\nLF:4\nend_of_record\nSF:b.swift\nLH:1\nLF:4\nend_of_record\n".utf8).write(to: URL(fileURLWithPath: lcov))
        let lint = temporary.path + "/lint.txt"
        try Data("a.swift:1:1: warning: x\nnote: y\nb.swift:2:2: Warning: z\nerror: e\n".utf8).write(to: URL(fileURLWithPath: lint))
        #expect(try await runRecorder(["start", "--log", log, "--session", "s", "--meta", "playbook=p.yml", "--meta", "goal=a=b"]).status == 0)
        #expect(try await runRecorder(["iteration", "begin", "--log", log, "--session", "s", "--iteration", "1"], directory: temporary.path).status == 0)
        #expect(try await runRecorder(["run", "--log", log, "--session", "s", "--iteration", "1", "--name", "test", "--", "true"]).status == 0)
        #expect(try await runRecorder(["iteration", "end", "--log", log, "--session", "s", "--iteration", "1"], directory: temporary.path).status == 0)
        #expect(try await runRecorder(["quality", "--log", log, "--session", "s", "--iteration", "1", "--lcov", lcov, "--lint-output", lint,
                                       "--complexity-score", "12.5"]).status == 0)
        #expect(try await runRecorder(["end", "--log", log, "--session", "s", "--status", "completed"]).status == 0)
        let recorded = try events(LogRoot(path: log))
        #expect(recorded.map(\.name) == ["session.start", "iteration.begin", "command.duration", "iteration.duration",
                                         "quality.test_coverage", "quality.lint_warnings", "quality.complexity_score", "session.end"])
        #expect(recorded.first?.value == .custom(["playbook": "p.yml", "goal": "a=b", "recorded_by": "mmm-record"]))
        #expect(recorded.first { $0.name == "quality.test_coverage" }?.value == .gauge(50))
        #expect(recorded.first { $0.name == "quality.lint_warnings" }?.value == .gauge(2))
        let report = try await runAnalyzer(["report", "--log", log, "--session", "s", "--format", "json"])
        #expect(report.status == 0)
        #expect(report.out.contains(#""final_status":"completed""#))
        // Mistakes: a bad status, a bad --meta, a missing report, nothing to record.
        #expect(try await runRecorder(["end", "--log", log, "--session", "s", "--status", "done"]).status == 64)
        #expect(try await runRecorder(["start", "--log", log, "--session", "s", "--meta", "novalue"]).status == 64)
        // Quality values in range, each from one source.
        let info = temporary.path + "/q.info"
        try Data("LH:1\nLF:2\n".utf8).write(to: URL(fileURLWithPath: info))
        for flags in [["--test-coverage", "150"], ["--documentation-coverage", "100.5"], ["--lint-warnings", "1.5"],
                      ["--lint-warnings", "99999999999999999999"], ["--test-coverage", "50", "--lcov", info],
                      ["--lcov", info, "--cobertura", info], ["--lint-warnings", "3", "--lint-output", info]] {
            let refused = try await runRecorder(["quality", "--log", log, "--session", "s", "--iteration", "1"] + flags)
            #expect(refused.status == 64, "\(flags)")
        }
        let llvm = temporary.path + "/over.json"
        try Data(#"{"data":[{"totals":{"lines":{"percent":101}}}]}"#.utf8).write(to: URL(fileURLWithPath: llvm))
        // A report's figure out of range is a fault in the report, named with it, as Cobertura's is (exit 1, not a usage error).
        let overLLVM = try await runRecorder(["quality", "--log", log, "--session", "s", "--iteration", "1", "--llvm-cov-json", llvm])
        #expect(overLLVM.status == 1)
        #expect(String(decoding: overLLVM.err, as: UTF8.self).contains("over.json: data[0].totals.lines.percent 101.0 is not a percentage in [0, 100]"))
        // One value per key: a repeated key, a Unicode-equivalent one, the key mmm-record sets.
        for metas in [["k=v", "k=w"], ["caf\u{E9}=1", "cafe\u{301}=2"], ["recorded_by=me"]] {
            let refused = try await runRecorder(["start", "--log", log, "--session", "s"] + metas.flatMap { ["--meta", $0] })
            #expect(refused.status == 64)
            #expect(String(decoding: refused.err, as: UTF8.self).contains("--meta"))
        }
        let missing = try await runRecorder(["quality", "--log", log, "--session", "s", "--iteration", "1", "--lcov", temporary.path + "/nope"])
        #expect(String(decoding: missing.err, as: UTF8.self).contains("nope: No such file or directory"))
        #expect(try await runRecorder(["quality", "--log", log, "--session", "s", "--iteration", "1"]).status == 64)
        #expect(try await runRecorder(["run", "--log", log, "--session", "s"]).status == 64)
    }

    @Test("the recorded example session (Fixtures/sessions) reads as the loop ran: 3 iterations, a failed test in the second, git counts, quality")
    func recordedSession() async throws {
        let log = FixtureLogs.directory.appendingPathComponent("sessions/cook-loop-example").path
        #expect(try LogMaintenance(root: LogRoot(path: log)).verify().isEmpty)
        let report = try await runAnalyzer(["report", "--log", log, "--latest", "--format", "json"])
        #expect(report.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.out.utf8)) as? [String: Any])
        #expect(json["final_status"] as? String == "completed")
        let iterations = try #require(json["iterations"] as? [[String: Any]])
        #expect(iterations.map { $0["commands_executed"] as? Int } == [3, 3, 3])
        #expect(iterations.map { ($0["errors"] as? [Any])?.count } == [0, 1, 0])
        #expect(iterations.map { $0["lines_added"] as? Int } == [1, 1, 1])
        let quality = try #require(json["quality"] as? [String: Any])
        #expect(quality["test_coverage"] as? Double == 75)
        #expect(quality["lint_warnings"] as? Double == 1)
    }

    @Test("found by a hostile review: run returns when the command exits (not its background children), argv[0] as typed, scripts without #! run with sh, a bad interpreter is 127, a second end is refused")
    func reviewFindings() async throws {
        let temporary = TemporaryDirectory()
        let log = temporary.path + "/log"
        // (This harness's own Foundation Process leaks a descriptor that the daemon inherits, so the
        // harness waits for the daemon; the recorded duration shows when mmm-record saw the exit.)
        let daemon = try await runRecorder(["run", "--log", log, "--session", "s", "--", "sh", "-c", "sleep 3 >/dev/null 2>&1 & echo started"])
        #expect(daemon.status == 0)
        #expect(try events(LogRoot(path: log)).first { $0.name == "command.duration" }.map { event in
            if case .timer(let duration) = event.value { duration < .seconds(2) } else { false }
        } == true)
        let name = try await runRecorder(["run", "--log", log, "--session", "s", "--", "sh", "-c", "echo $0"])
        #expect(name.out == Data("sh\n".utf8))
        let script = temporary.path + "/no-shebang"
        try Data("echo hi; exit 7\n".utf8).write(to: URL(fileURLWithPath: script))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        let plain = try await runRecorder(["run", "--log", log, "--session", "s", "--", script])
        #expect(plain.status == 7)
        #expect(plain.out == Data("hi\n".utf8))
        let bad = temporary.path + "/bad-interpreter"
        try Data("#!/nonexistent/interpreter\n".utf8).write(to: URL(fileURLWithPath: bad))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bad)
        #expect(try await runRecorder(["run", "--log", log, "--session", "s", "--", bad]).status == 127)
        let many = try await runRecorder(["run", "--log", log, "--session", "s", "--", "sh", "-c", "echo $#", "x"] + (1...5_000).map(String.init))
        #expect(many.out == Data("5000\n".utf8))
        // iteration end twice would count the changes twice: the second is refused.
        #expect(try await runRecorder(["iteration", "begin", "--log", log, "--session", "t", "--iteration", "1"], directory: temporary.path).status == 0)
        #expect(try await runRecorder(["iteration", "end", "--log", log, "--session", "t", "--iteration", "1"], directory: temporary.path).status == 0)
        let again = try await runRecorder(["iteration", "end", "--log", log, "--session", "t", "--iteration", "1"], directory: temporary.path)
        #expect(again.status == 1)
        // The time it ended in RFC 3339, as everything else prints times (it was nanoseconds since the epoch).
        #expect(String(decoding: again.err, as: UTF8.self).contains("already ended at 20"))
        // A report path that is a directory says so (it was "NSCocoaErrorDomain error 256").
        let directoryReport = try await runRecorder(["quality", "--log", log, "--session", "t", "--iteration", "1", "--lint-output", temporary.path])
        #expect(directoryReport.status != 0)
        #expect(String(decoding: directoryReport.err, as: UTF8.self).contains("is a directory, not a report"))
        // An lcov file whose totals pass Int64 is a number, not a trap; more hit than found is an error.
        let lcov = temporary.path + "/o.lcov"
        try Data("LH:1\nLF:9223372036854775807\nLF:9223372036854775807\n".utf8).write(to: URL(fileURLWithPath: lcov))
        #expect(try await runRecorder(["quality", "--log", log, "--session", "t", "--iteration", "1", "--lcov", lcov]).status == 0)
        try Data("LH:10\nLF:5\n".utf8).write(to: URL(fileURLWithPath: lcov))
        #expect(try await runRecorder(["quality", "--log", log, "--session", "t", "--iteration", "1", "--lcov", lcov]).status == 1)
    }

    /// Runs `script` with /bin/sh, `$0` the mmm-record binary and `$1` the log: for what only a
    /// shell sets up (closed or full standard error, ignored signals, bytes that are not UTF-8).
    private func shell(_ script: String, log: String) async throws -> (status: Int32, signaled: Bool, out: String, err: String) {
        let result = try await runRecorder(["-c", script, recorderPath, log], executable: "/bin/sh")
        return (result.status, result.signaled, String(decoding: result.out, as: UTF8.self), String(decoding: result.err, as: UTF8.self))
    }

    private func errorData(_ log: String) throws -> [[String: JSONValue]] {
        try events(LogRoot(path: log)).compactMap { event in
            if event.name == "error", case .custom(.object(let data)) = event.value { data } else { nil }
        }
    }

    @Test("found by a second hostile review: unwritable stderr, ignored SIGCHLD, a binary without #!, a reader gone, nohup, odd names, text that is not UTF-8")
    func secondReviewFindings() async throws {
        let temporary = TemporaryDirectory()
        let log = temporary.path + "/log"
        // Standard error closed, or full: the message is dropped, not a crash (SIGILL, 132), and recorded.
        #expect(try await shell(#""$0" run --log "$1" --session s -- ./nothing-here 2>&-"#, log: log).status == 127)
        #expect(try await shell(#""$0" run --log "$1" --session s -- ./nothing-here 2>/dev/full"#, log: log).status == 127)
        #expect(try errorData(log).map { $0["message"] } == Array(repeating: .string("./nothing-here: No such file or directory"), count: 2))
        // Started with SIGCHLD ignored (the system would reap the command unseen): failures stay failures.
        let ignored = try await shell(#"trap '' CHLD; "$0" run --log "$1" --session s -- sh -c 'exit 3'; echo "status $?""#, log: log)
        #expect(ignored.out == "status 3\n")
        // A binary file without #! is not run as shell commands (bash and dash refuse it too).
        let binary = temporary.path + "/foreign"
        try Data([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0, 10] + Array("touch \(temporary.path)/ran\n".utf8)).write(to: URL(fileURLWithPath: binary))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary)
        let foreign = try await runRecorder(["run", "--log", log, "--session", "s", "--", binary])
        #expect(foreign.status == 126)
        #expect(String(decoding: foreign.err, as: UTF8.self).contains("cannot execute binary file"))
        #expect(!FileManager.default.fileExists(atPath: temporary.path + "/ran"))
        // The reader of standard error goes away: the command meets a closed pipe as it would without
        // mmm-record, which records how it ended (it died of SIGPIPE itself, recording nothing). The
        // command stops at its first failed write: SIGPIPE where it has its default, else EPIPE (a
        // test runner starts processes with SIGPIPE ignored, which they keep, as from a shell).
        let piped = try await shell(#""$0" run --log "$1" --session s -- sh -c 'while echo line >&2; do :; done; exit 9' 2>&1 | head -1"#, log: log)
        #expect(piped.out == "line\n")
        let closed = try errorData(log).last
        #expect(closed?["signal"] == .integer(Int64(SIGPIPE)) || closed?["exit_status"] == .integer(9))
        // A signal ignored on entry stays ignored, in mmm-record and in the command (nohup, background jobs).
        let nohup = try await shell(#"trap '' HUP; "$0" run --log "$1" --session s -- sh -c 'kill -HUP $$; echo survived'"#, log: log)
        #expect(nohup.out == "survived\n")
        #expect(nohup.status == 0)
        // Names: the last part of the path, nothing expanded; a directory in PATH is passed over.
        for command in [".", "..", "~"] { _ = try await runRecorder(["run", "--log", log, "--session", "s", "--", command]) }
        let labels = try events(LogRoot(path: log)).filter { $0.name == "command.duration" && $0.tags["command"].map { [".", "..", "~"].contains($0) } == true }
        #expect(labels.map { $0.tags["command"] } == [".", "..", "~"])
        try FileManager.default.createDirectory(atPath: temporary.path + "/bin/tool", withIntermediateDirectories: true)
        let tool = try await runRecorder(["run", "--log", log, "--session", "s", "--", "tool"], environment: ["PATH": temporary.path + "/bin:/usr/bin:/bin"])
        #expect(tool.status == 127)
        #expect(String(decoding: tool.err, as: UTF8.self).contains("tool: command not found"))
        // An option that is not UTF-8 would name another directory: refused, nothing written.
        let latin = try await shell(#""$0" run --log "$1$(printf '\351')" --session s -- true"#, log: temporary.path + "/other")
        #expect(latin.status == 64)
        #expect(latin.err.contains("is not UTF-8 text"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).allSatisfy { !$0.hasPrefix("other") })
    }

    @Test("found by a third hostile review: a chatty background process, standard error full or closed, the reader gone before the last write, closed descriptors")
    func thirdReviewFindings() async throws {
        let temporary = TemporaryDirectory()
        let log = temporary.path + "/log"
        // A background process writing to standard error far more often than every 10 ms (for 3 s):
        // the command's exit after 0.3 s is still seen (it took the background process's 3 s).
        let chatty = try await shell(#""$0" run --log "$1" --session s --name chatty -- sh -c '(timeout 3 sh -c "while :; do echo bg >&2; done") & sleep 0.3; exit 0' 2>/dev/null"#, log: log)
        #expect(chatty.status == 0)
        let duration = try events(LogRoot(path: log)).first { $0.tags["command"] == "chatty" }.map { event -> Duration in
            if case .timer(let duration) = event.value { duration } else { .zero }
        }
        #expect(duration.map { $0 > .milliseconds(250) && $0 < .seconds(2) } == true, "\(String(describing: duration))")
        // Standard error full or closed: the command's status stays its own (it was 141: the command's
        // standard error was closed under it).
        for redirect in ["2>/dev/full", "2>&-"] {
            let result = try await shell(#""$0" run --log "$1" --session s -- sh -c 'echo one >&2; sleep 0.1; echo two >&2; exit 3' "# + redirect, log: log)
            #expect(result.status == 3, "\(redirect)")
        }
        // The reader goes away while the command sleeps: its next write meets the closed pipe, as
        // without mmm-record (SIGPIPE at its default, which a test runner's children do not have).
        let late = try await shell(#"env --default-signal=PIPE "$0" run --log "$1" --session s -- sh -c 'echo early >&2; sleep 0.3; echo late >&2; exit 5' 2>&1 | head -1"#, log: log)
        #expect(late.out == "early\n")
        #expect(try errorData(log).last?["signal"] == .integer(Int64(SIGPIPE)))
        // Started with standard output closed: the command finds it closed too (a duplicate fails),
        // and no file of the log takes its number.
        let closed = try await shell(#""$0" run --log "$1" --session s -- sh -c '(exec 3>&1) 2>/dev/null && echo open >&2 || echo closed >&2' >&-"#, log: log)
        #expect(closed.err.hasSuffix("closed\n"), "\(closed.err)")
        // The reader gone before the command starts: its first write meets the closed pipe, always
        // (it was a race with the relay).
        let before = try await shell(#"(sleep 0.3; exec env --default-signal=PIPE "$0" run --log "$1" --session s -- sh -c 'echo x >&2; exit 3') 2>&1 | true"#, log: log)
        #expect(before.status == 0)
        #expect(try errorData(log).last?["signal"] == .integer(Int64(SIGPIPE)))
        // `--log ""` falls back to $MMM_METRICS_DIR, so that is checked too.
        let empty = try await shell(#"MMM_METRICS_DIR="$1/x$(printf '\351')" "$0" run --log "" --session s -- true"#, log: temporary.path)
        #expect(empty.status == 64)
        #expect(try LogMaintenance(root: LogRoot(path: log)).verify().isEmpty)
    }
}
