import ArgumentParser
import Foundation
import MMMMetrics
import MMMMetricsAnalysis
import MMMMetricsLog

/// `--log DIR`, shared by every subcommand.
struct LogOptions: ParsableArguments {
    @Option(name: .long, help: "The log root (default: $MMM_METRICS_DIR, else .mmm/metrics).")
    var log: String?

    var root: LogRoot { LogRoot.resolve(log, environment: ProcessInfo.processInfo.environment) }

    /// What reading commands read: a session archive when `--log` names a file, else the log root.
    /// A root that does not exist is an error (a mistyped path should not read as an empty, healthy
    /// log), unless `allowMissing`.
    func source(allowMissing: Bool = false) throws -> any LogSource {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory)
        if exists, !isDirectory.boolValue { return try ArchiveSource(path: root.path) }
        if !exists, !allowMissing {
            throw Failure(message: "\(root.path): no such log directory or archive (the log root is --log, else $MMM_METRICS_DIR, else .mmm/metrics)")
        }
        return root
    }

    /// The log root, for commands that write; an archive is refused with a clear error.
    func writableRoot() throws -> LogRoot {
        var isDirectory: ObjCBool = false
        if let log, FileManager.default.fileExists(atPath: log, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw Failure(message: "\(log) is a file (an archive is read-only); this command needs a log directory")
        }
        return root
    }
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Writes bytes to standard output.
func writeOut(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let written = write(1, raw.baseAddress! + offset, raw.count - offset)
            if written <= 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}

/// A failure already explained on standard error; exits with `code`.
struct Failure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Runs `body`, turning library errors into a one-line message on standard error and exit code 1.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        printError("mmm-analyze: error: \(error)")
        throw ExitCode(1)
    }
}

/// Parses `--since`/`--until` values.
func parseTime(_ text: String?, option: String) throws -> MetricTimestamp? {
    guard let text else { return nil }
    guard let time = TimeExpression.parse(text) else {
        throw ValidationError("\(option) \(text.debugDescription) is not an RFC 3339 timestamp, \"now\" or a relative time like -2h")
    }
    return time
}

/// Left-aligned text columns.
func table(_ header: [String], _ rows: [[String]]) -> String { TextTable.render(header, rows) }
