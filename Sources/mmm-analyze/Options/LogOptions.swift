import ArgumentParser
import Foundation
import MMMMetricsCore
import MMMMetricsLog

/// `--log DIR|ARCHIVE`, shared by every subcommand.
struct LogOptions: ParsableArguments {
    @Option(name: .long, help: "The log root, or an archive to read in place (default: $MMM_METRICS_DIR, else .mmm/metrics).")
    var log: String?

    var root: LogRoot { LogRoot.resolve(log, environment: ProcessInfo.processInfo.environment) }

    /// What reading commands read: an archive when the path is a file, else the log root; a root
    /// that does not exist is an error.
    func source() throws -> any LogSource {
        try LogRoot.openSource(root.path)
    }

    /// The log root, for commands that write; an archive is refused with a clear error.
    func writableRoot() throws -> LogRoot {
        try LogRoot.openWritable(root.path)
    }
}

/// `--strict`, for every command that reads stored events.
struct DamageOptions: ParsableArguments {
    @Flag(help: "Fail on damaged data instead of skipping it with a warning on standard error.")
    var strict = false

    var mode: ReadMode { strict ? .strict : .lenient }

    /// Prints a warning about skipped data on standard error.
    func warn(_ warning: ReadWarning) { Console.error("mmm-analyze: \(warning)") }

    /// Says on standard error how much an answer left out, when it left anything out. With
    /// `--strict` only a live writer's torn tail gets this far (it is not damage: it is still being written).
    func warnIncomplete(_ skipped: SkippedData, _ what: String) {
        guard !skipped.isEmpty else { return }
        Console.error("mmm-analyze: warning: \(what) leave\(what.hasSuffix("s") ? "" : "s") out \(skipped.events) events"
            + (skipped.placesOfUnknownSize > 0 ? " or more" : "") + " in \(EnglishText.count(skipped.places, "place")) (see above; "
            + (strict ? "a torn tail that a writer may still be writing does not fail --strict)" : "--strict fails instead)"))
    }
}
