public import MMMMetricsCore
public import MMMMetricsLog

/// A legacy file that cannot be imported: which file and why.
public struct LegacyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// What is wrong, naming the key where it applies.
    public var message: String
    public var description: String { "\(path): \(message)" }
}

/// MMM's old `.mmm/metrics/current.json` and `history.json` as catalog events (docs/LEGACY.md).
///
/// Recognised shapes: a snapshot object (`ImprovementMetrics`, with or without `health_score`, or
/// `ProjectMetrics`) — anything with `test_coverage` and `timestamp`; a history object
/// `{"snapshots": [{"metrics": snapshot, "iteration": N, "commit_sha": "…"}], …}`; a history array of
/// snapshots. Keys this adapter does not know are ignored (MMM added keys over time); a known key with
/// a value of the wrong type is an error naming it.
public enum LegacyImport {
    /// The events a legacy file stands for, in timestamp order. Throws for invalid JSON or an unknown shape.
    public static func events(fromFile path: String, bytes: [UInt8]) throws(LegacyError) -> [MetricEvent] {
        let json: JSONValue
        do {
            json = try bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> JSONValue in try JSONText.parse(raw) }
        } catch {
            throw LegacyError(path: path, message: "not valid JSON: \(error)")
        }
        var events: [MetricEvent] = []
        switch json {
        case .object(let object) where object["snapshots"] != nil:
            guard case .array(let snapshots) = object["snapshots"]! else {
                throw LegacyError(path: path, message: "\"snapshots\" must be an array")
            }
            for (index, entry) in snapshots.enumerated() {
                guard case .object(let item) = entry, case .object(let metrics)? = item["metrics"] else {
                    throw LegacyError(path: path, message: "snapshots[\(index)] must be an object with \"metrics\"")
                }
                var iteration: String?
                if let number = item["iteration"] {
                    guard let value = number.integerValue else { throw LegacyError(path: path, message: "snapshots[\(index)].iteration must be an integer") }
                    iteration = String(value)
                }
                var extra = Tags()
                if case .string(let sha)? = item["commit_sha"] { extra["commit"] = sha }
                events += try snapshot(metrics, key: "snapshots[\(index)].metrics", path: path, iteration: iteration, extraTags: extra)
            }
        case .object(let object) where object["test_coverage"] != nil && object["timestamp"] != nil:
            events = try snapshot(object, key: "", path: path, iteration: nil, extraTags: [:])
        case .array(let items):
            for (index, item) in items.enumerated() {
                guard case .object(let object) = item, object["timestamp"] != nil else {
                    throw LegacyError(path: path, message: "history entry [\(index)] is not a metrics snapshot (no \"timestamp\")")
                }
                events += try snapshot(object, key: "[\(index)]", path: path, iteration: nil, extraTags: [:])
            }
        default:
            throw LegacyError(path: path, message: "not one of MMM's metrics shapes: expected a current.json snapshot (with \"test_coverage\" and \"timestamp\"), a history object with \"snapshots\", or a history array")
        }
        // Stable: snapshots with equal times keep their file order.
        return events.enumerated().sorted { ($0.element.timestamp!, $0.offset) < ($1.element.timestamp!, $1.offset) }.map(\.element)
    }

    /// The iteration tag for an `iteration_id`: the number of `iteration-N`, else the id as it is.
    package static func iterationTag(_ id: String) -> String {
        if id.hasPrefix("iteration-"), let number = Int(id.dropFirst("iteration-".count)) { return String(number) }
        return id
    }

    static func snapshot(
        _ object: [String: JSONValue], key prefix: String, path: String, iteration: String?, extraTags: Tags
    ) throws(LegacyError) -> [MetricEvent] {
        var reader = try LegacySnapshot(object, key: prefix, path: path, iteration: iteration, extraTags: extraTags)
        return try reader.events()
    }

    /// What an import appended.
    public struct Result: Sendable, Hashable {
        /// Events appended.
        public var events: Int
        /// Files read.
        public var files: [String]
    }

    /// Imports `path` (a `current.json` or `history.json`, or a directory holding them: history first)
    /// into `session` of `root`. Every file is read and converted before anything is written; files
    /// with no snapshot (`[]`) write nothing, not even an empty session.
    public static func importFiles(at path: String, into root: LogRoot, session: String) throws -> Result {
        var files: [String] = []
        var isDirectory = false
        if let entries = try? FileSystem.listDirectory(path) {
            isDirectory = true
            for name in ["history.json", "current.json"] where entries.contains(name) { files.append(path + "/" + name) }
            guard !files.isEmpty else { throw LegacyError(path: path, message: "holds neither current.json nor history.json") }
        }
        if !isDirectory { files = [path] }
        var events: [MetricEvent] = []
        for file in files {
            let bytes: [UInt8]
            do { bytes = try FileSystem.readFile(file) } catch { throw LegacyError(path: file, message: "cannot be read: \(error)") }
            let converted = try Self.events(fromFile: file, bytes: bytes)
            for event in converted {
                if let violation = EventLimits.violation(event) { throw LegacyError(path: file, message: "cannot be stored: \(violation)") }
            }
            events += converted
        }
        guard !events.isEmpty else { return Result(events: 0, files: files) }
        let writer = try SessionLogWriter(root: root, session: session)
        try writer.append(contentsOf: events)
        try writer.close()
        return Result(events: events.count, files: files)
    }
}
