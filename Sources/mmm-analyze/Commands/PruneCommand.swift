import ArgumentParser
import Foundation
import MMMMetricsCore
import MMMMetricsLog

struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove sessions not active for a while, archiving each first when asked to.",
        discussion: """
            A session's last activity is the later of its last event and the last change to its files. \
            Sessions whose lock is held (being written) are never touched. With --archive-to, a session is \
            removed only after DIR/<session>.mmmar is written and reads back with all its events; when that \
            fails the session is kept and prune exits 1. Prints one line per session old enough.
            """)

    @OptionGroup var logOptions: LogOptions
    @Option(help: "Remove sessions with no activity for this long (e.g. 30d, 2w, 12h).") var olderThan: String
    @Option(help: "Archive each session into this directory before removing it.") var archiveTo: String?
    @Flag(help: "Say what would be done; change nothing.") var dryRun = false

    func run() async throws {
        try await reportingErrors {
            // A bare number would be seconds: too easy to mistake for days when deleting.
            if Double(olderThan.trimmingCharacters(in: .whitespaces)) != nil {
                throw ValidationError("--older-than \(olderThan) needs a unit (such as 30d, 12h or 2w): a bare number is not accepted when deleting")
            }
            let age = try parseDurationOption(olderThan, option: "--older-than", allowZero: true)
            guard try logOptions.source() is LogRoot else {
                throw CommandFailure("\(logOptions.root.path) is an archive (read-only); prune works on a log directory")
            }
            let report = try LogMaintenance(root: try logOptions.writableRoot())
                .prune(olderThan: age, archiveDirectory: archiveTo, dryRun: dryRun)
            try Console.write(report.actions.map { "\($0)\n" }.joined())
            if !report.leftoversRemoved.isEmpty {
                Console.error("mmm-analyze: removed \(report.leftoversRemoved.count) director\(report.leftoversRemoved.count == 1 ? "y" : "ies") an interrupted prune left")
            }
            let removed = report.actions.filter { if case .removed = $0.outcome { true } else { false } }.count
            let old = report.actions.count
            Console.error("mmm-analyze: \(dryRun ? "would remove" : "removed") \(dryRun ? old - report.actions.filter { if case .kept = $0.outcome { true } else { false } }.count : removed) of \(old) session\(old == 1 ? "" : "s") inactive for \(olderThan); \(report.recentSessions) active since then left alone")
            if !report.succeeded { throw ExitCode.failure }
        }
    }
}
