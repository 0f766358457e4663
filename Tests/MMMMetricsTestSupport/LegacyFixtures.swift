import Foundation

/// MMM's real old metrics files, kept outside the repository in `shared/fixtures/legacy-mmm-metrics`
/// (54 `current.json` versions; see the README there).
package enum LegacyFixtures {
    static let fallback = "/work/shared/fixtures/legacy-mmm-metrics"

    /// The folder: beside the clone (as CI lays it out), else /work/shared.
    package static var directory: String {
        let beside = FixtureLogs.directory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/fixtures/legacy-mmm-metrics").path
        return FileManager.default.fileExists(atPath: beside) ? beside : fallback
    }

    /// The JSON files in it, sorted.
    package static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }
}
