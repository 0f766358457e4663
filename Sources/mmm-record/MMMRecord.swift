import ArgumentParser
import Foundation
import MMMMetricsCore
import MMMMetricsLog
import MMMMetricsRecord

@main
struct MMMRecord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mmm-record",
        abstract: "Record a cook run's catalog events from any language: a shell script, a Makefile, a CI job.",
        discussion: """
            The log root is --log DIR, else $MMM_METRICS_DIR, else .mmm/metrics under the current directory.
            Many mmm-record processes of one session may run at once: each waits for the session's lock
            (--lock-timeout). See docs/RECORD.md.
            """,
        version: PackageVersion.current,
        subcommands: [Start.self, End.self, Iteration.self, Run.self, Quality.self]
    )

    /// `run`'s command (everything after `--`) is handed over as it is, not parsed: ArgumentParser
    /// takes time quadratic in the number of arguments, and `run -- cc $(files)` has thousands.
    static func main() {
        // Closed standard descriptors are held until exit (the command still finds them closed).
        ProcessArguments.reserveStandardDescriptors()
        // Options are read as text (a log directory, a session id): one that is not UTF-8 would name
        // another directory. The command after `--` is passed on as bytes.
        if let problem = ProcessArguments.notText(stoppingAtTerminator: true, environment: ["MMM_METRICS_DIR", "MMM_RECORD_FAILURES"]) {
            StandardError.write("mmm-record: error: \(problem)\n")
            Foundation.exit(64)
        }
        var arguments = Array(CommandLine.arguments.dropFirst())
        var passthrough: [String]?
        if arguments.first == "run", let dash = arguments.firstIndex(of: "--") {
            passthrough = Array(arguments[(dash + 1)...])
            arguments = Array(arguments[...dash]) + (passthrough!.isEmpty ? [] : ["command"])
        }
        do {
            var command = try parseAsRoot(arguments)
            if var run = command as? Run, let passthrough {
                run.command = passthrough
                command = run
            }
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every subcommand takes.
struct Common: ParsableArguments {
    @Option(help: "The log root (default: $MMM_METRICS_DIR, else .mmm/metrics).") var log: String?
    @Option(help: "The session id.") var session: String
    @Option(help: "Seconds to wait for another writer of the session to release its lock.") var lockTimeout: Double = 30

    func validate() throws {
        guard lockTimeout >= 0, lockTimeout <= 86_400 else { throw ValidationError("--lock-timeout must be in [0, 86400] seconds") }
        do { try LogRoot.validate(sessionID: session) } catch { throw ValidationError("--session: \(error)") }
    }

    var recorder: SessionRecorder {
        SessionRecorder(root: LogRoot.resolve(log, environment: ProcessInfo.processInfo.environment), session: session,
                        lockTimeout: .milliseconds(Int64(lockTimeout * 1000)))
    }

    /// Appends, saying on stderr when it waited long for the lock.
    func record(_ events: [MetricEvent]) throws {
        let recorder = self.recorder
        let appended: SessionRecorder.Appended
        do {
            appended = try recorder.append(events)
        } catch {
            let counted = RecordingFailures.note(
                session: session, root: recorder.root.path, reason: "\(error)", environment: ProcessInfo.processInfo.environment)
            throw CountedFailure(description: "\(error)" + (counted.map { " (recording failure \($0.count) counted in \($0.path))" }
                ?? " (not counted either: the failures file cannot be written; set MMM_RECORD_FAILURES)"))
        }
        if appended.waited > .seconds(1) {
            // Tenths of a second: "9.7 s", not Duration's "9.659219217999999 seconds".
            let tenths = appended.waited.components.seconds * 10 + appended.waited.components.attoseconds / 100_000_000_000_000_000
            StandardError.write("mmm-record: waited \(tenths / 10).\(tenths % 10) s for session \(session)'s lock (held by pid \(appended.holder.map(String.init) ?? "?"))\n")
        }
    }
}

/// A failure to record, with where it was counted.
struct CountedFailure: Error, CustomStringConvertible {
    let description: String
}

/// A failure of a subcommand that wraps no command: printed with the prefix, exit 1.
struct RecordFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Prints an error with the prefix and exits 1 (for the subcommands that wrap no command).
func failing(_ body: () throws -> Void) throws {
    do { try body() } catch let error as ValidationError { throw error } catch {
        StandardError.write("mmm-record: error: \(error)\n")
        throw ExitCode(1)
    }
}

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record session.start.")
    @OptionGroup var common: Common
    @Option(help: "Metadata for session.start's data, KEY=VALUE; repeatable.") var meta: [String] = []

    func run() throws {
        let pairs = try meta.map { item -> (String, String) in
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else { throw ValidationError("--meta \(item): expected KEY=VALUE") }
            return (String(item[..<equals]), String(item[item.index(after: equals)...]))
        }
        // The data is a JSON object: one value per key. Swift's dictionary would let a later key
        // that is Unicode-equivalent to an earlier one silently replace it (as `ingest` refuses).
        var earlier: [String: String] = ["recorded_by": "recorded_by"]
        for (key, _) in pairs {
            if let first = earlier[key] {
                if key == "recorded_by" { throw ValidationError("--meta recorded_by: mmm-record sets it") }
                if Array(first.utf8) == Array(key.utf8) { throw ValidationError("--meta \(key): given twice") }
                throw ValidationError("--meta \(key.debugDescription): Unicode-equivalent to the earlier key \(first.debugDescription)")
            }
            earlier[key] = key
        }
        try failing { try common.record([RecordedEvents.sessionStart(metadata: pairs)]) }
    }
}

struct End: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record session.end.")
    enum Status: String, ExpressibleByArgument, CaseIterable { case completed, failed, interrupted }
    @OptionGroup var common: Common
    @Option(help: "completed, failed or interrupted.") var status: Status

    func run() throws { try failing { try common.record([RecordedEvents.sessionEnd(status: status.rawValue)]) } }
}

struct Iteration: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mark an iteration's beginning, or its end (iteration.duration and, in a git work tree, git.* since its beginning).")
    enum Edge: String, ExpressibleByArgument, CaseIterable { case begin, end }
    @Argument(help: "begin or end.") var edge: Edge
    @OptionGroup var common: Common
    @Option(help: "The iteration number.") var iteration: Int
    @Flag(help: "Count untracked files (not ignored) as changed, their lines as added.") var includeUntracked = false

    func validate() throws { guard iteration >= 0 else { throw ValidationError("--iteration must be 0 or more") } }

    func run() throws {
        let directory = FileManager.default.currentDirectoryPath
        try failing {
            switch edge {
            case .begin:
                try common.record([RecordedEvents.iterationBegin(iteration, head: GitChanges.head(in: directory))])
            case .end:
                // What begin remembered is an event in the log: the latest iteration.begin of this iteration.
                guard let begin = try common.recorder.latest("iteration.begin", tag: "iteration", String(iteration)),
                    let began = begin.timestamp
                else { throw RecordFailure("no 'iteration begin --iteration \(iteration)' recorded in session \(common.session)") }
                // Counters add up in reports: a second end of one begin would count its changes twice.
                if let ended = try common.recorder.latest("iteration.duration", tag: "iteration", String(iteration))?.timestamp, ended >= began {
                    throw RecordFailure("iteration \(iteration) already ended at \(RFC3339.format(ended)); begin it again first")
                }
                let now = MetricTimestamp.now()
                // A begin stamped in the future (another clock) or absurdly long ago (a crafted log) must not trap.
                let (elapsed, overflow) = now.nanosecondsSinceEpoch.subtractingReportingOverflow(began.nanosecondsSinceEpoch)
                let duration = Duration.nanoseconds(overflow ? 0 : max(0, elapsed))
                var changes: GitChanges?
                if case .custom(.object(let data)) = begin.value, case .string(let head)? = data["head"] {
                    changes = GitChanges.since(head, in: directory, includeUntracked: includeUntracked)
                }
                try common.record(RecordedEvents.iterationEnd(iteration, duration: duration, changes: changes))
            }
        }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command, its input and output untouched; record command.duration (and error when it fails); exit with its status.")
    @OptionGroup var common: Common
    @Option(help: "The iteration number.") var iteration: Int?
    @Option(help: "The command's name in the metrics (default: the command's file name).") var name: String?
    @Argument(parsing: .postTerminator, help: "-- COMMAND ARGS…") var command: [String] = []

    func validate() throws { if command.isEmpty { throw ValidationError("give the command after --: mmm-record run --session S -- make test") } }

    func run() throws {
        // A SIGTERM or SIGHUP (or Ctrl-C) while the command runs ends the command, not the recording.
        let outcome = CommandRunner.run(rawArguments: Self.rawCommand(parsed: command), outlivingSignals: true)
        if let failure = outcome.startFailure { StandardError.write("mmm-record: \(failure)\n") }
        let label = name ?? Self.label(of: command[0])
        // A failure to record never changes the command's status or output: said on stderr only.
        do {
            try common.record(RecordedEvents.command(label, iteration: iteration, outcome: outcome))
        } catch {
            StandardError.write("mmm-record: warning: the command ran, but its metrics were not recorded: \(error)\n")
        }
        // A command a signal ended: end this process with the same signal, so its caller sees what
        // it would have seen without mmm-record between (a shell's loop stops at Ctrl-C; the shell
        // says "Segmentation fault"). Status 128 + N only if the signal does not end this process.
        if let signal = outcome.signal { InterruptSignal.endWith(signal) }
        // A termination signal that came after the command's exit (while waiting for the session's
        // lock, say) was for this process: it ends with it, the outcome recorded if it could be.
        let late = InterruptSignal.caught
        if late != 0 { InterruptSignal.endWith(late) }
        Foundation.exit(outcome.status)
    }

    /// The command's name for the metrics: the last part of its path (`./build.sh`: `build.sh`), or
    /// the whole name when it has no such part (`/`, `.`, `..`). No `~` is expanded: nothing ran one.
    static func label(of command: String) -> String {
        if let last = command.split(separator: "/").last { return String(last) }
        return command.isEmpty ? "command" : command
    }
}

extension Run {
    /// The command after `--` as this process got it, in bytes: the argument parser hands over text,
    /// with bytes that are not UTF-8 replaced (a Latin-1 file name on Linux would reach the command
    /// changed). The parsed arguments when the raw ones are not the same arguments.
    static func rawCommand(parsed: [String]) -> [[UInt8]] {
        let argv = ProcessArguments.raw
        let text = parsed.map { Array($0.utf8) }
        guard let terminator = argv.firstIndex(of: Array("--".utf8)) else { return text }
        let raw = Array(argv[(terminator + 1)...])
        guard raw.count == parsed.count, zip(raw, parsed).allSatisfy({ String(decoding: $0, as: UTF8.self) == $1 }) else { return text }
        return raw
    }
}

struct Quality: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record quality gauges for an iteration, given or read from reports.")
    @OptionGroup var common: Common
    @Option(help: "The iteration number.") var iteration: Int
    @Option(help: "Test coverage in percent.") var testCoverage: Double?
    @Option(help: "Lint warnings.") var lintWarnings: Double?
    @Option(help: "Complexity score.") var complexityScore: Double?
    @Option(help: "Documentation coverage in percent.") var documentationCoverage: Double?
    @Option(help: "Test coverage from an lcov tracefile.") var lcov: String?
    @Option(help: "Test coverage from a Cobertura XML report.") var cobertura: String?
    @Option(help: "Test coverage from llvm-cov export JSON.") var llvmCovJson: String?
    @Option(help: "Lint warnings: lines with 'warning:' in this compiler or linter output.") var lintOutput: String?

    func validate() throws {
        // One source per value: a report and a flag (or two reports) for the same gauge are a mistake.
        let coverageSources = [testCoverage != nil, lcov != nil, cobertura != nil, llvmCovJson != nil].filter { $0 }.count
        guard coverageSources <= 1 else { throw ValidationError("give test coverage once: --test-coverage, --lcov, --cobertura or --llvm-cov-json") }
        guard lintWarnings == nil || lintOutput == nil else { throw ValidationError("give lint warnings once: --lint-warnings or --lint-output") }
        for (flag, percent) in [("--test-coverage", testCoverage), ("--documentation-coverage", documentationCoverage)] {
            if let percent, !(0...100).contains(percent) { throw ValidationError("\(flag) \(percent): a percentage is 0 to 100") }
        }
        if let lintWarnings, !(lintWarnings >= 0 && lintWarnings <= 1e15 && lintWarnings.rounded() == lintWarnings) {
            throw ValidationError("--lint-warnings \(lintWarnings): a count of warnings is a whole number, 0 or more")
        }
    }

    func run() throws {
        try failing {
            var values: [(name: String, value: Double)] = []
            let coverage = try testCoverage ?? lcov.map(QualityReports.lcovCoverage) ?? cobertura.map(QualityReports.coberturaCoverage)
                ?? llvmCovJson.map(QualityReports.llvmCovCoverage)
            if let coverage {
                values.append(("quality.test_coverage", coverage))
            }
            if let warnings = try lintWarnings ?? lintOutput.map({ Double(try QualityReports.warningLines($0)) }) {
                values.append(("quality.lint_warnings", warnings))
            }
            if let complexityScore { values.append(("quality.complexity_score", complexityScore)) }
            if let documentationCoverage { values.append(("quality.documentation_coverage", documentationCoverage)) }
            guard !values.isEmpty else { throw ValidationError("give at least one value or report (see --help)") }
            guard values.allSatisfy({ $0.value.isFinite }) else { throw ValidationError("quality values must be finite numbers") }
            try common.record(RecordedEvents.quality(iteration: iteration, values))
        }
    }
}
