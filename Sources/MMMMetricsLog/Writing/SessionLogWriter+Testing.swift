import MMMMetricsCore
import MMMMetricsLogFormat

extension SessionLogWriter {
    /// Drops the writer as a crash would: no buffered block written, no seal, no index update;
    /// files closed and the lock released. For recovery tests.
    package func simulateCrash() {
        abandon()
    }
}
