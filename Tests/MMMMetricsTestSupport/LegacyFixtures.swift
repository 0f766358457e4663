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

    /// Makes `directory` (and its parents) holding the newest fixture as `current.json`, as MMM's
    /// metrics folder holds it; returns the file's path.
    @discardableResult
    package static func currentJSON(in directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/current.json"
        try FileManager.default.copyItem(atPath: Self.directory + "/" + files.last!, toPath: path)
        return path
    }

    /// The JSON files in it, sorted.
    package static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }
}
