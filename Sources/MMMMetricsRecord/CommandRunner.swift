import Foundation

/// Runs a command as a shell would, its standard input and output passed through untouched and its
/// standard error passed through byte for byte while its last bytes are kept (for the error event).
public enum CommandRunner {
    /// How a command ended.
    public struct Outcome: Sendable, Hashable {
        /// The exit status a shell would report: the command's own, 128 + N for a death by signal N,
        /// 127 when the command was not found, 126 when it could not be executed.
        public var status: Int32
        /// Wall-clock time from start to exit.
        public var duration: Duration
        /// The last lines of standard error (at most ``stderrTailLimit`` bytes, whole lines where possible).
        public var stderrTail: String
        /// Why the command did not start, when it did not.
        public var startFailure: String?
    }

    /// The most standard-error bytes kept for the error event.
    public static let stderrTailLimit = 2_048

    /// Runs `arguments[0]` with the rest as its arguments, searched in `PATH` when it has no `/`, in
    /// this process's environment.
    public static func run(_ arguments: [String]) -> Outcome {
        let environment = ProcessInfo.processInfo.environment
        let clock = ContinuousClock()
        let start = clock.now
        guard let command = arguments.first, !command.isEmpty else {
            return Outcome(status: 127, duration: .zero, stderrTail: "", startFailure: "no command given")
        }
        let executable: String
        switch resolve(command, path: environment["PATH"] ?? "/usr/bin:/bin") {
        case .found(let path): executable = path
        case .notFound: return Outcome(status: 127, duration: clock.now - start, stderrTail: "", startFailure: "\(command): command not found")
        case .notExecutable(let path):
            return Outcome(status: 126, duration: clock.now - start, stderrTail: "", startFailure: "\(path): Permission denied")
        }
        // A child inherits the spawning thread's blocked signals; a shell's children block none (a
        // parent that blocked SIGTERM would make `kill -TERM $$` in the command do nothing).
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        pthread_sigmask(SIG_SETMASK, &unblocked, nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(arguments.dropFirst())
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        do {
            try process.run()
        } catch {
            return Outcome(status: 126, duration: clock.now - start, stderrTail: "", startFailure: "\(executable): \(error.localizedDescription)")
        }
        var tail: [UInt8] = []
        let reader = errors.fileHandleForReading
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            FileHandle.standardError.write(chunk)
            tail.append(contentsOf: chunk)
            if tail.count > 2 * stderrTailLimit { tail.removeFirst(tail.count - stderrTailLimit) }
        }
        process.waitUntilExit()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return Outcome(status: status, duration: clock.now - start, stderrTail: lastLines(tail), startFailure: nil)
    }

    /// Where a command name leads.
    enum Resolution: Equatable {
        case found(String)
        case notFound
        case notExecutable(String)
    }

    /// A shell's lookup: a name with `/` is a path; otherwise the first executable file of that name
    /// in `PATH` (a non-executable match makes it "not executable" when no executable one follows).
    static func resolve(_ command: String, path: String) -> Resolution {
        let manager = FileManager.default
        func check(_ candidate: String) -> Resolution {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: candidate, isDirectory: &isDirectory) else { return .notFound }
            return !isDirectory.boolValue && manager.isExecutableFile(atPath: candidate) ? .found(candidate) : .notExecutable(candidate)
        }
        if command.contains("/") { return check(command) }
        var fallback = Resolution.notFound
        for directory in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + command
            switch check(candidate) {
            case .found(let found): return .found(found)
            case .notExecutable(let path): if fallback == .notFound { fallback = .notExecutable(path) }
            case .notFound: continue
            }
        }
        return fallback
    }

    /// The last bytes as text, from a line start when one is within the limit.
    static func lastLines(_ bytes: [UInt8]) -> String {
        var kept = bytes.suffix(stderrTailLimit)
        if bytes.count > stderrTailLimit, let newline = kept.firstIndex(of: 10), newline < kept.endIndex - 1 {
            kept = kept[(newline + 1)...]
        }
        return String(decoding: kept, as: UTF8.self)
    }
}
