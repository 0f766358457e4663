import MMMMetricsCore
import MMMMetricsLogFormat

/// Injected write failures, for tests of disk-full and I/O-error handling: while a path prefix is
/// registered, writes and fsyncs to files under it fail with the given errno.
package enum FaultInjection {
    private static let failures = LockedState<[String: Int32]>([:])

    /// Makes writes under `prefix` fail with `code` (e.g. `ENOSPC`), or stop failing with `nil`.
    package static func failWrites(under prefix: String, with code: Int32?) {
        failures.withLock { $0[prefix] = code }
    }

    package static func failure(for path: String) -> Int32? {
        failures.withLock { table in
            table.isEmpty ? nil : table.first { path.hasPrefix($0.key) }?.value
        }
    }
}
