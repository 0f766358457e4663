import Foundation
import MMMMetricsCore
import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The campaigns (docs/RELIABILITY.md), one suite each, run one after another: each is heavy
/// (threads of its own, child processes, fsyncs, thousands of collector wake-ups), and side by side
/// they would crowd out the other test targets' tests that run in parallel with them on two cores.
@Suite("Reliability campaigns", .serialized)
struct ReliabilityCampaigns {}

/// What a campaign found: failures are collected (with the seed and the trial, so one can be rerun
/// alone) instead of flooding the output with a thousand issues, and reported once at the end.
final class CampaignFindings {
    let campaign: String
    let seed: UInt64
    private(set) var failures: [String] = []
    private(set) var failedTrials = Set<Int>()

    init(_ campaign: String, seed: UInt64) {
        self.campaign = campaign
        self.seed = seed
    }

    /// Records a failure of `trial` unless `condition` holds; returns `condition`.
    @discardableResult
    func check(_ condition: Bool, trial: Int, _ message: @autoclosure () -> String) -> Bool {
        if !condition {
            failedTrials.insert(trial)
            failures.append("trial \(trial): \(message())")
        }
        return condition
    }

    /// Records a failure of `trial`.
    func fail(trial: Int, _ message: String) {
        check(false, trial: trial, message)
    }

    /// Whether to stop early: a campaign that already failed this often says nothing more by going on.
    var shouldStop: Bool { failures.count >= 50 }

    /// Turns the findings into test issues (the first 20 in full), each naming the seed.
    func report(sourceLocation: SourceLocation = #_sourceLocation) {
        guard !failures.isEmpty else { return }
        let rerun = "rerun with MMM_CAMPAIGN_SEED=\(seed)\(CampaignScale.isLong ? " MMM_CAMPAIGN=long" : "")"
        for failure in failures.prefix(20) {
            Issue.record("\(campaign) campaign, seed \(seed), \(failure) (\(rerun))", sourceLocation: sourceLocation)
        }
        if failures.count > 20 {
            Issue.record("\(campaign) campaign, seed \(seed): \(failures.count - 20) more failures in \(failedTrials.count) trials in all (\(rerun))",
                         sourceLocation: sourceLocation)
        }
    }
}

/// Runs a campaign's heavy, blocking work on a thread of its own (as `offThePool`: the cooperative
/// pool, two threads here, is for the collectors' tasks of every test running meanwhile) at a low
/// scheduling priority (nice 10, inherited by the processes it starts), so that the other tests of a
/// CI run, some of them bound by time, get the CPU first.
func inBackground<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await offThePool {
        #if canImport(Glibc)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)  // Linux: the calling thread's nice value
        #endif
        return try body()
    }
}

/// One line that the long run's output can be copied from (Tools/reliability.sh greps for `CAMPAIGN `).
func printCampaignSummary(_ campaign: String, _ text: String) {
    print("CAMPAIGN \(campaign) [\(CampaignScale.isLong ? "long" : "short")]: \(text)")
}

/// The seeded generator every campaign draws from.
extension SeededRandom {
    /// A number in `range`.
    mutating func int(_ range: Range<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    /// A number in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    /// `true` with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
    /// One of `elements`.
    mutating func pick<T>(_ elements: [T]) -> T { elements[int(0..<elements.count)] }
    /// `count` random bytes.
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}

/// Reads a session strictly; an absent session (or one without segments) reads as empty.
func readAll(_ root: LogRoot, _ session: String, mode: ReadMode = .strict, warning: (ReadWarning) -> Void = { _ in }) throws
    -> [(sequence: UInt64, event: MetricEvent)]
{
    do {
        return try LogReader(root: root).events(session: session, mode: mode, warning: warning)
    } catch LogError.noSuchSession {
        return []
    }
}

/// Whether two events are the same, bit for bit (NaN-safe).
func sameEvent(_ lhs: MetricEvent, _ rhs: MetricEvent) -> Bool { sameEvents([lhs], [rhs]) }

/// Copies a directory tree (files only, as the log has no links).
func copyTree(_ source: String, to destination: String) throws {
    try FileManager.default.copyItem(atPath: source, toPath: destination)
}
