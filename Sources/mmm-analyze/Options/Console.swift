import ArgumentParser
import Foundation
import MMMMetricsCore
import MMMMetricsLog

/// Standard output and error. Output that cannot be written (a full disk, a closed pipe) is an
/// error, so a command never exits 0 after losing its answer.
enum Console {
    /// Writes `text` to standard output; throws when it cannot be written completely.
    static func write(_ text: String) throws { try write(Array(text.utf8)) }

    /// Writes bytes to standard output; throws when they cannot be written completely.
    static func write(_ bytes: [UInt8]) throws {
        let failure: Int32? = bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(1, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        if let failure { throw CommandFailure("cannot write to standard output: \(String(cString: strerror(failure)))") }
    }

    /// A line on standard error (best effort: there is nowhere left to report its failure).
    static func error(_ text: String) {
        StandardError.write(text + "\n")
    }
}

/// A failure to report on standard error as one line; exits 1.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Runs `body`, turning library errors into one line on standard error and exit code 1.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        Console.error("mmm-analyze: error: \(error)")
        throw ExitCode(1)
    }
}

/// Parses a `--since`/`--until` value.
func parseTime(_ text: String?, option: String) throws -> MetricTimestamp? {
    guard let text else { return nil }
    guard let time = TimeExpression.parse(text) else {
        throw ValidationError("\(option) \(text.debugDescription) is not \(TimeExpression.accepted), in \(RFC3339.supportedRange)")
    }
    return time
}

/// Parses a duration option such as `--segment-age 1h`.
func parseDurationOption(_ text: String, option: String, allowZero: Bool = false) throws -> Duration {
    guard let duration = MetricsConfig.parseDuration(text), allowZero || duration > .zero else {
        throw ValidationError("\(option) \(text.debugDescription) is not a \(allowZero ? "" : "positive ")duration: a number with one unit of ns, us, ms, s, m, h, d or w (such as 250ms, 5s, 2m, 1h, 30d), at most 292 years")
    }
    return duration
}
