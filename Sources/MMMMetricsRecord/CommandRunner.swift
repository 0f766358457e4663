import Foundation
import MMMMetricsLog
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        /// The signal that ended the command, when one did (`status` is then 128 + it, which a
        /// command can also exit with).
        public var signal: Int32?

        /// An outcome as given.
        public init(status: Int32, duration: Duration, stderrTail: String, startFailure: String? = nil, signal: Int32? = nil) {
            self.status = status
            self.duration = duration
            self.stderrTail = stderrTail
            self.startFailure = startFailure
            self.signal = signal
        }
    }

    /// The most standard-error bytes kept for the error event.
    public static let stderrTailLimit = 2_048

    /// Runs `arguments[0]` with the rest as its arguments, searched in `PATH` when it has no `/`, in
    /// this process's environment.
    ///
    /// With `outlivingSignals`, this process catches SIGINT, SIGTERM, SIGHUP and SIGQUIT from now on
    /// rather than dying of them while the command runs: a SIGTERM or SIGHUP is passed on to the
    /// command, and the call returns when the command exits, so its outcome (128 + N when the signal
    /// killed it) can still be recorded. A Ctrl-C or Ctrl-\ at a terminal reaches the command itself
    /// (one process group), so SIGINT and SIGQUIT are not passed on twice. A signal caught after the
    /// command's exit is left caught: `mmm-record` stops waiting for the session's lock then, and
    /// ends with that signal once the outcome is dealt with.
    public static func run(_ arguments: [String], outlivingSignals: Bool = false) -> Outcome {
        run(rawArguments: arguments.map { Array($0.utf8) }, outlivingSignals: outlivingSignals)
    }

    /// ``run(_:outlivingSignals:)`` with the arguments as bytes, which the command gets exactly as
    /// given: an argument need not be UTF-8 (a file name on Linux may be any bytes but NUL; a NUL
    /// ends an argument, as in C). The environment is passed on as the process has it, bytes and all.
    ///
    /// For the calling process, from the first command on: SIGCHLD is not ignored (its exit status
    /// is waited for), and SIGPIPE is (standard error is forwarded, and a reader that went away
    /// must not end the caller); the command gets SIGPIPE's default unless the caller started with
    /// it ignored.
    public static func run(rawArguments arguments: [[UInt8]], outlivingSignals: Bool = false) -> Outcome {
        // First of all: a message about the command (not found, say) to a standard error whose reader
        // went away, or forwarding the command's, must not end this process before the outcome is
        // recorded. The command gets SIGPIPE's default back, unless this process started with it
        // ignored, which a command inherits as from a shell.
        if !pipeIgnoredAtStart { InterruptSignal.setIgnored(SIGPIPE) }
        let clock = ContinuousClock()
        let start = clock.now
        let arguments = arguments.map { argument in argument.firstIndex(of: 0).map { Array(argument[..<$0]) } ?? argument }
        guard let command = arguments.first, !command.isEmpty else {
            return Outcome(status: 127, duration: .zero, stderrTail: "", startFailure: "no command given")
        }
        let searchPath = getenv("PATH").map { Array(UnsafeRawBufferPointer(start: $0, count: strlen($0))) } ?? Array("/usr/bin:/bin".utf8)
        let executable: [UInt8]
        switch resolve(bytes: command, path: searchPath) {
        case .found(let path): executable = path
        case .notFound:
            // As a shell says it: a path that is not there, or a name no PATH directory holds.
            let reason = command.contains(UInt8(ascii: "/")) ? "No such file or directory" : "command not found"
            return Outcome(status: 127, duration: clock.now - start, stderrTail: "", startFailure: "\(text(command)): \(reason)")
        case .notExecutable(let path):
            let reason = isDirectory(path) ? "Is a directory" : "Permission denied"
            return Outcome(status: 126, duration: clock.now - start, stderrTail: "", startFailure: "\(text(path)): \(reason)")
        case .unreachable(let path, let error):
            return Outcome(status: 126, duration: clock.now - start, stderrTail: "", startFailure: "\(text(path)): \(String(cString: strerror(error)))")
        }
        // Exit statuses are learned by waiting for the command: a parent that left SIGCHLD ignored
        // would have the system reap it unseen (every command recorded as a success).
        if InterruptSignal.isIgnored(SIGCHLD) { InterruptSignal.setDefault(SIGCHLD) }
        if outlivingSignals { InterruptSignal.catchTermination() }
        return spawn(executable, arguments: arguments, started: start, passesSignals: outlivingSignals, defaultPipeSignal: !pipeIgnoredAtStart)
    }

    /// What a file the system would not run (ENOEXEC) is to a shell.
    enum NotExecutable: Equatable {
        /// Commands for sh.
        case script
        /// A program for another machine, or other data: ELF's magic number, or a NUL byte before
        /// the first line ends within 128 bytes (the rule bash and dash apply).
        case binary
        /// Not readable (a file with only execute permission): a shell cannot run it either.
        case unreadable(Int32)
    }

    /// Looks at the start of a file the system would not run, as a shell does before handing it to sh.
    static func classify(_ path: [UInt8]) -> NotExecutable {
        let descriptor = withCString(path) { open($0, O_RDONLY) }
        guard descriptor >= 0 else { return .unreadable(errno) }
        defer { close(descriptor) }
        var head = [UInt8](repeating: 0, count: 128)
        let count = head.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, 128) }
        guard count > 0 else { return .script }
        let sample = head[..<count]
        if sample.starts(with: [0x7F, 0x45, 0x4C, 0x46]) { return .binary }
        return sample.prefix { $0 != UInt8(ascii: "\n") }.contains(0) ? .binary : .script
    }

    /// Whether SIGPIPE was ignored before the first command ran (read before this type ignores it).
    private static let pipeIgnoredAtStart = InterruptSignal.isIgnored(SIGPIPE)

    /// Bytes shown as text in a message (invalid UTF-8 as U+FFFD: only what is said, never what is run).
    private static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// Calls `body` with `bytes` as a NUL-terminated C string.
    private static func withCString<T>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
        (bytes + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }

    private static func isDirectory(_ path: [UInt8]) -> Bool {
        var info = stat()
        return withCString(path) { stat($0, &info) } == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Starts the command with posix_spawn (no descriptor of ours leaks into it, `argv[0]` as typed,
    /// no signal blocked, as a shell's children), forwards its standard error while keeping the end,
    /// and returns when the command exits, not when the last process holding its standard error
    /// does (a daemon it started in the background keeps running).
    private static func spawn(
        _ executable: [UInt8], arguments: [[UInt8]], started start: ContinuousClock.Instant, passesSignals: Bool, defaultPipeSignal: Bool
    ) -> Outcome {
        let clock = ContinuousClock()
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            return Outcome(status: 126, duration: clock.now - start, stderrTail: "", startFailure: "cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        let (readEnd, writeEnd) = (ends[0], ends[1])
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        // Darwin spells these as optional pointers, Glibc as structs.
        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if writeEnd != 2 {
            posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
            posix_spawn_file_actions_addclose(&actions, writeEnd)
        }
        // Standard input or output this process was started without: closed in the command too.
        for descriptor in ProcessArguments.reservedStandardDescriptors where descriptor != 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        if defaultPipeSignal { sigaddset(&defaults, SIGPIPE) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid = pid_t()
        func launch(_ path: [UInt8], _ argv: [[UInt8]]) -> Int32 {
            let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { argument in
                let copy = UnsafeMutablePointer<CChar>.allocate(capacity: argument.count + 1)
                argument.withUnsafeBytes { UnsafeMutableRawPointer(copy).copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(copy), byteCount: argument.count) }
                copy[argument.count] = 0
                return copy
            } + [nil]
            defer { for pointer in cArguments { pointer?.deallocate() } }
            return withCString(path) { path in
                withEnvironment { environment in posix_spawn(&pid, path, &actions, &attributes, cArguments, environment) }
            }
        }
        // Our standard error when it is a pipe or socket: its reader going away shows in poll. Gone
        // already: the command's first write must meet a closed pipe too, so the relay's read end
        // is closed before it starts.
        let watchesReader = Self.isPipe(2)
        let readerGoneAtStart = watchesReader && Self.readerGone(from: 2)
        if readerGoneAtStart { close(readEnd) }
        var result = launch(executable, arguments)
        // A file without a #! line: a shell runs it with sh, unless it is a binary.
        if result == ENOEXEC {
            let refusal: String? = switch classify(executable) {
            case .script: nil
            case .binary: "cannot execute binary file: Exec format error"
            case .unreadable(let error): String(cString: strerror(error))
            }
            if let refusal {
                close(writeEnd)
                if !readerGoneAtStart { close(readEnd) }
                return Outcome(status: 126, duration: clock.now - start, stderrTail: "", startFailure: "\(text(executable)): \(refusal)")
            }
            result = launch(Array("/bin/sh".utf8), [Array("sh".utf8), executable] + arguments.dropFirst())
        }
        close(writeEnd)
        guard result == 0 else {
            if !readerGoneAtStart { close(readEnd) }
            let (status, reason): (Int32, String) = switch result {
            case ENOENT: (127, "required file not found (its #! interpreter?)")
            case EISDIR: (126, "Is a directory")
            default: (126, String(cString: strerror(result)))
            }
            return Outcome(status: status, duration: clock.now - start, stderrTail: "", startFailure: "\(text(executable)): \(reason)")
        }
        var tail: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var waitStatus: Int32 = 0
        var exited = false
        var exitSeen = clock.now
        var endOfFile = readerGoneAtStart
        var drainedAfterExit = 0
        if !readerGoneAtStart { _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK) }
        var forwarded = false
        var readEndOpen = !readerGoneAtStart
        var forwarding = true  // false once our standard error cannot take bytes (they are still kept)
        var waitFailure: Int32?
        // What was caught while the command ran is this run's (passed on, or the command got it
        // itself from the terminal); what comes after its exit stays caught, for the caller.
        var caughtBeforeExit: Int32 = 0
        func noteExit(_ waited: pid_t) {
            if waited == pid {
                exited = true
                exitSeen = clock.now
            } else if waited < 0, errno != EINTR {
                waitFailure = errno
                exited = true
                exitSeen = clock.now
            }
            if exited, passesSignals { caughtBeforeExit = InterruptSignal.take() }
        }
        // The handlers were reset to the defaults in the command by exec; a SIGTERM or SIGHUP sent to
        // this process alone is passed on once (the loop wakes at least every 10 ms, and a write
        // to a stalled standard error is interrupted by it). Returns whether to stop writing to a
        // stalled standard error: a signal came and the command has ended, so nothing but that
        // write would keep this process.
        func passOnSignal() -> Bool {
            let caught = InterruptSignal.caught
            if passesSignals, !forwarded, !exited, caught == SIGTERM || caught == SIGHUP {
                kill(pid, caught)
                forwarded = true
            }
            guard caught != 0 || caughtBeforeExit != 0 else { return false }
            if !exited { noteExit(waitpid(pid, &waitStatus, WNOHANG)) }
            return exited
        }
        // Our standard error's reader went away: the command's standard error goes too, so its next
        // write meets a closed pipe, as it would without this process between them.
        func readerGone() {
            close(readEnd)
            readEndOpen = false
            endOfFile = true
        }
        while true {
            _ = passOnSignal()
            if !endOfFile {
                var descriptors = [pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0), pollfd(fd: watchesReader ? 2 : -1, events: 0, revents: 0)]
                // 10 ms: when a background process keeps the pipe open, the command's exit is seen
                // (and its duration ends) at most that late.
                if poll(&descriptors, 2, exited ? 0 : 10) > 0 {
                    if descriptors[1].revents & Int16(POLLERR) != 0 {
                        readerGone()
                        continue
                    }
                    let count = read(readEnd, &buffer, buffer.count)
                    if count > 0 {
                        tail.append(contentsOf: buffer[..<count])
                        if tail.count > 2 * stderrTailLimit { tail.removeFirst(tail.count - stderrTailLimit) }
                        if forwarding {
                            switch forward(buffer[..<count], onInterrupt: passOnSignal) {
                            case .written: break
                            case .readerGone:
                                readerGone()
                                continue
                            case .failed:
                                // Closed (`2>&-`) or full (`2>/dev/full`): the command's own writes would
                                // fail there and it would go on; here this piece is dropped (it is still
                                // kept for the error event), and the next is tried: a disk with room again
                                // takes it, as it would the command's own write.
                                break
                            case .abandoned:
                                forwarding = false
                            }
                        }
                        if exited {
                            drainedAfterExit += count
                            // After the command's exit, what is already in the pipe is its; stop after that.
                            if drainedAfterExit < 1 << 20 { continue }
                        }
                    } else if count == 0 {
                        endOfFile = true
                    } else if errno == EINTR || errno == EAGAIN {
                        if exited { continue }
                    }
                }
            }
            if exited { break }
            // Looked for after every read too: a background process that writes to the pipe more often
            // than every 10 ms must not hide the command's exit.
            noteExit(waitpid(pid, &waitStatus, endOfFile ? 0 : WNOHANG))
        }
        // Measured to the command's exit, not to the end of draining what it left in the pipe.
        let duration = exitSeen - start
        if readEndOpen { close(readEnd) }
        if let waitFailure {
            return Outcome(status: 1, duration: duration, stderrTail: lastLines(tail),
                           startFailure: "cannot learn how the command ended: \(String(cString: strerror(waitFailure)))")
        }
        let signal = waitStatus & 0x7F
        let status: Int32 = signal == 0 ? (waitStatus >> 8) & 0xFF : 128 + signal
        return Outcome(status: status, duration: duration, stderrTail: lastLines(tail), startFailure: nil, signal: signal == 0 ? nil : signal)
    }

    /// How forwarding a piece of standard error went.
    private enum Forwarded {
        case written
        /// Our standard error is a pipe whose reader went away (EPIPE).
        case readerGone
        /// Our standard error takes nothing (closed, full, an I/O error).
        case failed
        /// Stopped waiting for a stalled standard error (`onInterrupt` said so).
        case abandoned
    }

    /// Writes a piece of the command's standard error to ours. A standard error left non-blocking by
    /// whoever shares it is waited for as a blocking one would be. `onInterrupt` runs before each
    /// write (a signal interrupts a stalled one, ending it short or with EINTR); when it answers
    /// true while the write stalls, the writing stops.
    private static func forward(_ bytes: ArraySlice<UInt8>, onInterrupt: () -> Bool) -> Forwarded {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                _ = onInterrupt()
                let written = write(2, raw.baseAddress! + offset, raw.count - offset)
                if written > 0 {
                    offset += written
                    continue
                }
                let error = written < 0 ? errno : EIO
                switch error {
                case EINTR:
                    if onInterrupt() { return .abandoned }
                case EAGAIN, EWOULDBLOCK:
                    var descriptor = pollfd(fd: 2, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&descriptor, 1, 100)
                    if descriptor.revents & Int16(POLLERR) != 0 { return .readerGone }
                    if descriptor.revents == 0, onInterrupt() { return .abandoned }
                case EPIPE:
                    return .readerGone
                default:
                    return .failed
                }
            }
            return .written
        }
    }

    /// Whether the reader of pipe or socket `fd` (written by this process) has gone.
    private static func readerGone(from fd: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: 0, revents: 0)
        return poll(&descriptor, 1, 0) > 0 && descriptor.revents & Int16(POLLERR) != 0
    }

    /// Whether descriptor `fd` is a pipe or a socket.
    private static func isPipe(_ fd: Int32) -> Bool {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return false }
        let type = info.st_mode & S_IFMT
        return type == S_IFIFO || type == S_IFSOCK
    }

    /// Calls `body` with this process's environment for the command: on Linux the C library's own
    /// (bytes that are not UTF-8 passed on untouched); elsewhere Foundation's copy, whose names and
    /// values are text (macOS keeps them UTF-8).
    private static func withEnvironment<T>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> T) -> T {
        #if canImport(Glibc)
        return body(environ)
        #else
        let lines: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for line in lines { free(line) } }
        return lines.withUnsafeBufferPointer { body($0.baseAddress!) }
        #endif
    }

    /// Where a command name leads.
    enum Resolution: Equatable {
        case found([UInt8])
        case notFound
        case notExecutable([UInt8])
        /// A path that cannot be looked at (a loop of links, a file where a directory should be, a
        /// name too long), with the error.
        case unreachable([UInt8], Int32)
    }

    /// A shell's lookup (``resolve(bytes:path:)``) of names given as text.
    static func resolve(_ command: String, path: String) -> Resolution {
        resolve(bytes: Array(command.utf8), path: Array(path.utf8))
    }

    /// A shell's lookup: a name with `/` is a path; otherwise the first executable file of that name
    /// in `PATH` (a non-executable file makes it "not executable" when no executable one follows; a
    /// directory of that name is passed over). Names and directories are bytes, looked up as they are.
    static func resolve(bytes command: [UInt8], path: [UInt8]) -> Resolution {
        func check(_ candidate: [UInt8]) -> Resolution {
            var info = stat()
            guard withCString(candidate, { stat($0, &info) }) == 0 else {
                let error = errno
                return error == ENOENT ? .notFound : .unreachable(candidate, error)
            }
            let directory = (info.st_mode & S_IFMT) == S_IFDIR
            return !directory && withCString(candidate, { access($0, X_OK) }) == 0 ? .found(candidate) : .notExecutable(candidate)
        }
        let slash = UInt8(ascii: "/")
        if command.contains(slash) { return check(command) }
        var fallback = Resolution.notFound
        for directory in path.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? [UInt8(ascii: ".")] : Array(directory)) + [slash] + command
            switch check(candidate) {
            case .found(let found): return .found(found)
            case .notExecutable(let path) where !isDirectory(path): if fallback == .notFound { fallback = .notExecutable(path) }
            case .notExecutable, .notFound, .unreachable: continue
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
