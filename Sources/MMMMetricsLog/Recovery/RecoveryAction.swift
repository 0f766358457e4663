import MMMMetricsCore
import MMMMetricsLogFormat

/// What `recover` did to one session.
public struct RecoveryAction: Sendable, Hashable, CustomStringConvertible {
    /// The session.
    public var session: String
    /// What was done or found, one entry per action.
    public var actions: [String]

    public var description: String {
        actions.isEmpty ? "\(session): nothing to do" : actions.map { "\(session): \($0)" }.joined(separator: "\n")
    }
}
