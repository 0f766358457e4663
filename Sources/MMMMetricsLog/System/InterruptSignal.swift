import MMMMetricsLogFormat
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT) that asked this process to stop, once
/// ``InterruptSignal/catchTermination()`` is in place; 0 until then.
private let caughtSignal = Atomic<Int32>(0)

/// Termination signals turned into a flag, so that work that must not be left half done (an
/// all-or-nothing `ingest`) can undo itself and then exit. Without it, such a signal kills the
/// process between two writes.
package enum InterruptSignal {
    /// Catches SIGINT, SIGTERM, SIGHUP and SIGQUIT from now on (unblocking them on the calling
    /// thread): each sets the flag; a blocking read
    /// is interrupted (no `SA_RESTART`) so that the reader sees it. (SIGQUIT, Ctrl-\, is otherwise
    /// taken by Swift's backtracer, which reported a crash and let the process run on.) A signal
    /// this process was started with ignored stays ignored, as a shell's children keep it: `nohup`
    /// and a shell's background jobs ask for exactly that.
    package static func catchTermination() {
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] where !isIgnored(signal) {
            var action = sigaction()
            #if canImport(Darwin)
            action.__sigaction_u.__sa_handler = { caughtSignal.store($0, ordering: .relaxed) }
            #else
            action.__sigaction_handler.sa_handler = { caughtSignal.store($0, ordering: .relaxed) }
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signal, &action, nil)
        }
        // A parent may have started this process with them blocked (a test runner's Process does):
        // they would stay pending and never be seen.
        var termination = sigset_t()
        sigemptyset(&termination)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&termination, signal) }
        pthread_sigmask(SIG_UNBLOCK, &termination, nil)
    }

    /// Whether `signal` is ignored (`SIG_IGN`) in this process now.
    package static func isIgnored(_ signal: Int32) -> Bool {
        var current = sigaction()
        guard sigaction(signal, nil, &current) == 0 else { return false }
        #if canImport(Darwin)
        let handler = current.__sigaction_u.__sa_handler
        #else
        let handler = current.__sigaction_handler.sa_handler
        #endif
        // SIG_IGN is the handler address 1 on Linux and macOS.
        return unsafeBitCast(handler, to: Int.self) == 1
    }

    /// Gives `signal` its default action (`SIG_DFL`).
    package static func setDefault(_ signal: Int32) {
        var action = sigaction()  // zeroed: SIG_DFL, no flags
        sigemptyset(&action.sa_mask)
        sigaction(signal, &action, nil)
    }

    /// Ignores `signal` (`SIG_IGN`).
    package static func setIgnored(_ signal: Int32) {
        var action = sigaction()
        let ignore = unsafeBitCast(1, to: (@convention(c) (Int32) -> Void).self)  // SIG_IGN
        #if canImport(Darwin)
        action.__sigaction_u.__sa_handler = ignore
        #else
        action.__sigaction_handler.sa_handler = ignore
        #endif
        sigemptyset(&action.sa_mask)
        sigaction(signal, &action, nil)
    }

    /// Ends this process with `signal`, as if it had not been caught (its default action, unblocked,
    /// raised): for a process that passes on how its child ended. Returns only when that action
    /// does not end a process. No core file is written for this process (the child's may be there,
    /// under the same name).
    package static func endWith(_ signal: Int32) {
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        #if canImport(Glibc)
        setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
        #else
        setrlimit(RLIMIT_CORE, &noCore)
        #endif
        setDefault(signal)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(signal)
    }

    /// The signal caught, or 0.
    package static var caught: Int32 { caughtSignal.load(ordering: .relaxed) }

    /// The signal caught, or 0, forgotten: one caught later sets it again. (`mmm-record run` takes
    /// what came while its command ran, which the command was given or got itself, and leaves what
    /// comes after the command's exit to end the recording.)
    package static func take() -> Int32 { caughtSignal.exchange(0, ordering: .relaxed) }

    /// Throws when a termination signal was caught.
    package static func check(_ what: String) throws(LogError) {
        let signal = caught
        guard signal != 0 else { return }
        let name = switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGQUIT: "SIGQUIT"
        default: "SIGHUP"
        }
        throw .invalidInput("\(what) interrupted by signal \(signal) (\(name))")
    }
}
